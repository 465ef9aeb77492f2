#!/usr/bin/env bash
# Records how often del-node meets the gossip race on real redis-server: N runs (run from the
# repository root) of RUNBOOK (experiments/scenario/testdata/forget-race.txt by default), one line
# each: whether the runbook's first reshard (in forget-race.txt and seed.txt, 5 s after 6387's
# add-node) went through or printed an error, and which node answered its first del-node's CLUSTER
# FORGET with ERR Unknown node (none: every node forgot the deleted one), with the host's 1-minute
# load after the run. KEEP_DIR, if given, keeps each run's transcript as KEEP_DIR/run-I.txt.
#   bash sim/scenario/testdata/record-forget-race.sh [N [RUNBOOK [KEEP_DIR]]]
set -euo pipefail
n=${1:-20}
runbook=${2:-experiments/scenario/testdata/forget-race.txt}
keep=${3:-}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/scenario" ./experiments/scenario
for i in $(seq 1 "$n"); do
  "$bin/scenario" -live -brief "$runbook" > "$bin/run.txt" 2>&1 || true
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$bin/run.txt" "$keep/run-$i.txt"; fi
  awk -v run="$i" -v load="$load" '
    /^\$ / {
      step = ""
      if ($0 ~ /^\$ redis-cli --cluster reshard / && !reshards++) step = "reshard"
      if ($0 ~ /^\$ redis-cli --cluster del-node / && !deleted++) step = "del"
      next
    }
    step == "reshard" && /ERR/ { reshard = "refused" }
    step == "del" && /^Node 127\.0\.0\.1:[0-9]+ replied with error:/ { split($2, a, ":"); forget = a[2] }
    step == "del" && /ERR Unknown node/ { unknown = 1 }
    END {
      if (!deleted) { print "run " run ": the runbook stopped before del-node" > "/dev/stderr"; exit 1 }
      if (forget != "" && !unknown) { print "run " run ": CLUSTER FORGET failed with another error" > "/dev/stderr"; exit 1 }
      printf "run=%d reshard=%s forget_error=%s load1=%s\n", run, reshard == "" ? "ok" : reshard, forget == "" ? "none" : forget, load
    }
  ' "$bin/run.txt"
done
