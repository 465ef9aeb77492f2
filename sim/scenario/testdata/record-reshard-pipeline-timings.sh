#!/usr/bin/env bash
# Records the three reshards of experiments/scenario/testdata/reshard-pipeline.txt on real
# redis-server, N runs (run from the repository root), one line each: the milliseconds
# from each reshard's step to the next step (--cluster-pipeline 1, 10, 100), the keys the
# fourth master holds after each, and the host's 1-minute load.
set -euo pipefail
n=${1:-12}
for i in $(seq 1 "$n"); do
  go run ./experiments/scenario -time -brief -live experiments/scenario/testdata/reshard-pipeline.txt > "${TMPDIR:-/tmp}/reshard-pipeline-run.txt" 2>&1
  load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v run="$i" -v load="$load" '
    /^\[ *[0-9.]+s\] \$ / {
      t = $2; sub(/s\]$/, "", t); t += 0
      if (open) { ms[++k] = int((t - start) * 1000 + 0.5); open = 0 }
      if ($0 ~ /\$ redis-cli --cluster reshard/) { start = t; open = 1 }
    }
    /^\(integer\) / { keys[++d] = $2 }
    END { printf "run=%d pipeline1_ms=%d pipeline10_ms=%d pipeline100_ms=%d keys=%d,%d,%d load1=%s\n", run, ms[1], ms[2], ms[3], keys[1], keys[2], keys[3], load }
  ' "${TMPDIR:-/tmp}/reshard-pipeline-run.txt"
done
