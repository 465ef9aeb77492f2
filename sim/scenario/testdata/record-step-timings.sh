#!/usr/bin/env bash
# Records how long redis-cli's steps take on real redis-server: N runs (run from the
# repository root) of experiments/scenario/testdata/step-timing.txt, one line each: the
# median milliseconds from a step to the next, over the run's ten single commands
# (redis-cli -p PORT cluster info), its ten --cluster checks and its five --cluster fixes
# of 16 nodes, and the host's 1-minute load.
set -euo pipefail
n=${1:-12}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/scenario" ./experiments/scenario
for i in $(seq 1 "$n"); do
  "$bin/scenario" -time -live experiments/scenario/testdata/step-timing.txt > "${TMPDIR:-/tmp}/step-timing-run.txt" 2>&1
  load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v run="$i" -v load="$load" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
    }
    /^\[ *[0-9.]+s\] \$ / {
      t = $2; sub(/s\]$/, "", t); t += 0
      if (kind != "") { ms = int((t - start) * 1000 + 0.5); if (kind == "cmd") c[++nc] = ms; else if (kind == "check") k[++nk] = ms; else f[++nf] = ms }
      kind = ""
      if ($0 ~ /\$ redis-cli -p [0-9]+ cluster info$/) kind = "cmd"
      else if ($0 ~ /\$ redis-cli --cluster check /) kind = "check"
      else if ($0 ~ /\$ redis-cli --cluster fix /) kind = "fix"
      start = t
    }
    END { printf "run=%d command_ms=%g check_ms=%g fix_ms=%g load1=%s\n", run, median(c, nc), median(k, nk), median(f, nf), load }
  ' "${TMPDIR:-/tmp}/step-timing-run.txt"
done
