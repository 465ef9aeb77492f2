#!/usr/bin/env bash
# Records the two reshards of experiments/scenario/testdata/reshard-timing.txt on real
# redis-server, N runs (run from the repository root), one line each: the
# milliseconds from each reshard's step to the next step, and the host's 1-minute load.
set -euo pipefail
n=${1:-12}
for i in $(seq 1 "$n"); do
  go run ./experiments/scenario -time -live experiments/scenario/testdata/reshard-timing.txt > "${TMPDIR:-/tmp}/reshard-timing-run.txt" 2>&1
  load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v run="$i" -v load="$load" '
    /^\[ *[0-9.]+s\] \$ / {
      t = $2; sub(/s\]$/, "", t); t += 0
      if (open) { ms[++k] = int((t - start) * 1000 + 0.5); open = 0 }
      if ($0 ~ /\$ redis-cli --cluster reshard/) { start = t; open = 1 }
    }
    END { printf "run=%d empty_ms=%d keyed_ms=%d load1=%s\n", run, ms[1], ms[2], load }
  ' "${TMPDIR:-/tmp}/reshard-timing-run.txt"
done
