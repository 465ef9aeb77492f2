#!/usr/bin/env bash
# Records experiments/scenario/testdata/migrate-big-hash.txt on real redis-server, N runs
# (default 10) at each node timeout it lowers the cluster to (default 1000, 2000, 15000 ms;
# run from the repository root, with the machine otherwise idle). One line a run:
#
#   timeout_ms run load_ms migrate_ms reply role keys open load1
#
# load_ms is the `load hash` of 3 000 000 fields; migrate_ms the MIGRATE as redis-cli saw
# it; reply its reply, spaces as underscores; role 6381's ROLE ten seconds later (master
# or slave); keys the keys --cluster check counts in the masters; open how many nodes it
# warns have an open slot; load1 the host's 1-minute load after the run.
set -euo pipefail
n=${1:-10}
timeouts=${2:-1000 2000 15000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/scenario" ./experiments/scenario
redis-server --version | sed 's/^/# /'
echo "# timeout_ms run load_ms migrate_ms reply role keys open load1"
for t in $timeouts; do
  sed "s/set-timeout 127.0.0.1:7301 1000\$/set-timeout 127.0.0.1:7301 $t/" \
    experiments/scenario/testdata/migrate-big-hash.txt > "$dir/runbook.txt"
  for i in $(seq 1 "$n"); do
    "$dir/scenario" -time -live "$dir/runbook.txt" > "$dir/out.txt" 2>&1
    echo "$t $i $(bash sim/scenario/testdata/migrate-big-hash-facts.sh "$dir/out.txt") $(cut -d' ' -f1 /proc/loadavg)"
  done
done
