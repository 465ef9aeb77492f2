#!/usr/bin/env bash
# Records how long the live backend's docker run step takes on real redis-server: N runs
# (run from the repository root) of experiments/scenario/testdata/step-timing.txt, one line
# each: the milliseconds from each of its 16 docker run steps to the next step, in order,
# and the host's 1-minute load. A docker run step starts redis-server and polls it every
# 20 ms until it answers PING (sim/live.Server.Start).
set -euo pipefail
n=${1:-12}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/scenario" ./experiments/scenario
for i in $(seq 1 "$n"); do
  "$bin/scenario" -time -live experiments/scenario/testdata/step-timing.txt > "$bin/run.txt" 2>&1
  load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v run="$i" -v load="$load" '
    /^\[ *[0-9.]+s\] \$ / {
      t = $2; sub(/s\]$/, "", t); t += 0
      if (docker) ms = ms (ms == "" ? "" : ",") int((t - start) * 1000 + 0.5)
      docker = $0 ~ /\$ docker run /
      start = t
    }
    END { printf "run=%d docker_run_ms=%s load1=%s\n", run, ms, load }
  ' "$bin/run.txt"
done
