#!/usr/bin/env bash
# Records experiments/scenario/testdata/reshard-big-hash.txt on real redis-server, N runs
# (default 10) at each node timeout it lowers the cluster to (default 1000 and 15000 ms),
# run from the repository root with the machine otherwise idle. Each run's timed, brief
# transcript from the load of the hash on goes to
# sim/scenario/testdata/reshard-big-hash-live/TIMEOUT/run-N.txt, its first line the host's
# 1-minute load average when the run ended; TestReshardBigHash reads the same facts from
# them and from the simulation.
set -euo pipefail
n=${1:-10}
timeouts=${2:-1000 15000}
out=sim/scenario/testdata/reshard-big-hash-live
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/scenario" ./experiments/scenario
for t in $timeouts; do
  mkdir -p "$out/$t"
  sed "s/set-timeout 127.0.0.1:7401 1000\$/set-timeout 127.0.0.1:7401 $t/" \
    experiments/scenario/testdata/reshard-big-hash.txt > "$dir/runbook.txt"
  for i in $(seq 1 "$n"); do
    "$dir/scenario" -time -brief -live "$dir/runbook.txt" > "$dir/run.txt" 2>&1 || true
    {
      echo "# $(redis-server --version), node timeout $t ms, run $i, load1 $(cut -d' ' -f1 /proc/loadavg)"
      sed -n '/\$ load hash /,$p' "$dir/run.txt"
    } > "$out/$t/run-$i.txt"
  done
done
