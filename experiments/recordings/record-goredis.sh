#!/usr/bin/env bash
# Records real failovers under go-redis load, the live side of issue 19's comparison: for
# each cell, RUNS runs of `failover -live -csv` (real redis-server 7.0.15 on loopback, 3
# masters + 3 replicas, DefaultLoad: 4 go-redis ClusterClients, 1000 requests/s, half of
# them writes) into goredis/FAULT-TIMEOUT-OPTIONS.csv, with the command, the versions and
# the host's load in '#' lines. Isolate needs root and iptables. Keep the machine otherwise
# idle while it runs; about 25 s a run at node timeout 1 s, 45 s at 5 s.
#
#   bash experiments/recordings/record-goredis.sh             # every cell, 10 runs each
#   RUNS=12 CELLS="kill-1s-default" bash experiments/recordings/record-goredis.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-10}
cells=${CELLS:-"kill-1s-default kill-1s-replicas isolate-1s-default isolate-1s-replicas kill-5s-default kill-5s-replicas isolate-5s-default isolate-5s-replicas"}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/failover" ./experiments/failover # built before, not during, the runs
goredis=$(go list -m -f '{{.Version}}' github.com/redis/go-redis/v9)
for cell in $cells; do
  IFS=- read -r fault timeout options <<<"$cell"
  args=(-live -runs "$runs" -csv -q -fault "$fault" -node-timeout "$timeout")
  case $options in
    default) ;;
    replicas) args+=(-read-only -route-randomly) ;; # reads from a random node of the slot
    *) echo "unknown options $options in cell $cell" >&2; exit 2 ;;
  esac
  out=experiments/recordings/goredis/$cell.csv
  echo "recording $cell ($runs runs) into $out" >&2
  {
    echo "# failover ${args[*]}"
    echo "# $(redis-server --version)"
    echo "# go-redis $goredis; recorded $(date -u +%FT%TZ) on $(nproc) cores; load1 before: $(cut -d' ' -f1 /proc/loadavg)"
    "$bin/failover" "${args[@]}"
    echo "# load1 after: $(cut -d' ' -f1 /proc/loadavg)"
  } >"$out.tmp"
  mv "$out.tmp" "$out"
done
