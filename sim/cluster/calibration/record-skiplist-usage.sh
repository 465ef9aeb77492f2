#!/usr/bin/env bash
# Records how MEMORY USAGE of a skiplist varies: RUNS times, one real redis-server in
# cluster mode builds the sorted set z of members 1…100000 (scores 1…100000, one ZADD
# each, as `load zset z 100000` does) anew, and prints "RUN BYTES BYTES_SAMPLES_0": the
# default answer, which costs the members from the first five nodes and so varies with
# their random heights, and the answer with SAMPLES 0, which costs every node.
#   bash sim/cluster/calibration/record-skiplist-usage.sh > sim/cluster/calibration/skiplist-usage.txt
set -euo pipefail
port=${PORT:-7392}
runs=${RUNS:-40}
dir=$(mktemp -d)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
redis-server --port "$port" --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
  --dir "$dir" --save '' --appendonly no --daemonize yes --logfile "$dir/log" >/dev/null
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
redis-cli -p "$port" cluster addslotsrange 0 16383 >/dev/null
until redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok'; do sleep 0.05; done
r() { redis-cli -p "$port" "$@"; }
echo "# $(redis-server --version)"
echo "# RUNS=$runs bash sim/cluster/calibration/record-skiplist-usage.sh"
for run in $(seq 1 "$runs"); do
  r del z >/dev/null
  r eval "for i=1,tonumber(ARGV[1]) do redis.call('ZADD', KEYS[1], i, 'member:'..i) end" 1 z 100000 >/dev/null
  printf '%d %s %s\n' "$run" "$(r memory usage z)" "$(r memory usage z samples 0)"
done
