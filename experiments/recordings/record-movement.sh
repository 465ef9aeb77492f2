#!/usr/bin/env bash
# Records live movement runs, the live side of the movement experiment's comparison:
# RUNS runs (seeds 1..RUNS) of `movement -live -csv` (the slots scheme on real
# redis-server on loopback: 3 masters grown to 4 and shrunk back with the real redis-cli,
# a master killed and restarted with and without a replica, under go-redis load) into
# movement/slots-3-4.csv, each row led by its seed, with the command, the versions and the
# host's load in '#' lines. Keep the machine otherwise idle while it runs; about a minute
# a run.
#
#   bash experiments/recordings/record-movement.sh          # 10 runs
#   RUNS=12 bash experiments/recordings/record-movement.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-10}
args=(-live -to 4 -keys 2000 -rate 400 -node-timeout 5s -outage 15s -csv -q)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/movement" ./experiments/movement # built before, not during, the runs
goredis=$(go list -m -f '{{.Version}}' github.com/redis/go-redis/v9)
out=experiments/recordings/movement/slots-3-4.csv
{
  echo "# movement ${args[*]} -seed N, for N = 1..$runs; each row is led by N"
  echo "# $(redis-server --version)"
  echo "# go-redis $goredis; recorded $(date -u +%FT%TZ) on $(nproc) cores; load1 before: $(cut -d' ' -f1 /proc/loadavg)"
  for n in $(seq 1 "$runs"); do
    "$bin/movement" "${args[@]}" -seed "$n" | awk -v n="$n" -F, 'NR == 1 { if (n == 1) print "seed," $0; next } { print n "," $0 }'
    echo "# load1 after run $n: $(cut -d' ' -f1 /proc/loadavg)"
  done
} >"$out.tmp"
mv "$out.tmp" "$out"
