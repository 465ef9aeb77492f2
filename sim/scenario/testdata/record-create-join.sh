#!/usr/bin/env bash
# Records how long redis-cli --cluster create waits for the cluster to join on real
# redis-server: N runs (run from the repository root) of RUNBOOK, a runbook that starts its
# servers and creates the cluster (experiments/scenario/testdata/join-*.txt), one line each:
# the dots redis-cli printed after "Waiting for the cluster to join" (one a second, the first
# check coming a second after the CLUSTER MEETs), with the host's 1-minute load after the run.
#   bash sim/scenario/testdata/record-create-join.sh N RUNBOOK
set -euo pipefail
n=${1:?usage: record-create-join.sh N RUNBOOK}
runbook=${2:?usage: record-create-join.sh N RUNBOOK}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/scenario" ./experiments/scenario
echo "# $(redis-server --version | head -1)"
echo "# bash sim/scenario/testdata/record-create-join.sh $n $runbook, $(date -u +%Y-%m-%d)"
for i in $(seq 1 "$n"); do
  "$bin/scenario" -live "$runbook" > "$bin/run.txt" 2>&1
  load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v run="$i" -v load="$load" '
    waiting { dots = $0; gsub(/[^.]/, "", dots); printf "run=%d dots=%d load1=%s\n", run, length(dots), load; found = 1; exit }
    /^Waiting for the cluster to join$/ { waiting = 1 }
    END { if (!found) { print "run " run ": no join in the transcript" > "/dev/stderr"; exit 1 } }
  ' "$bin/run.txt"
  sleep 1
done
