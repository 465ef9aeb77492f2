#!/usr/bin/env bash
# Records MEMORY USAGE of strings and collections on a real redis-server in cluster mode
# (one node holding every slot), one line per key: "KIND SIZE KEY BYTES ENCODING". Strings
# are written with SET (SIZE bytes); hashes, lists, sets and sorted sets of SIZE elements
# with the EVAL loop `load KIND KEY SIZE` runs (cluster.LoadScripts, copied here: the
# test that reads this recording checks the copies); restored ones with DUMP and RESTORE;
# and DEBUG POPULATE's keys as it makes them. MEMORY USAGE is exact but for sorted sets,
# whose skiplist nodes have random heights, and their sample of five differs from run to
# run; everything else prints the same on every run.
#   bash sim/cluster/calibration/record-memory-usage.sh > sim/cluster/calibration/memory-usage.txt
set -euo pipefail
port=${PORT:-7391}
dir=$(mktemp -d)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
redis-server --port "$port" --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
  --dir "$dir" --save '' --appendonly no --enable-debug-command yes --daemonize yes \
  --logfile "$dir/log" >/dev/null
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
redis-cli -p "$port" cluster addslotsrange 0 16383 >/dev/null
until redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok'; do sleep 0.05; done
r() { redis-cli -p "$port" "$@"; }
echo "# $(redis-server --version)"
line() { # KIND SIZE KEY
  printf '%s %s %s %s %s\n' "$1" "$2" "$3" "$(r memory usage "$3")" "$(r object encoding "$3")"
}
for n in 1 5 12 20 21 44 45 60 100 1000 4000 10000 16384 40000 100000 1000000 10000000 104857600; do
  head -c "$n" /dev/zero | tr '\0' 'x' | r -x set "s:$n" >/dev/null
  line string "$n" "s:$n"
done
for v in 7 12345 1234567890123; do
  r set "i:$v" "$v" >/dev/null
  line int "${#v}" "i:$v"
done
for n in 1 10 64 128 129 200 1000 1025 5000 100000 1000000; do
  r eval "for i=1,tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'field:'..i, 'value:'..i) end" 1 "h:$n" "$n" >/dev/null
  line hash "$n" "h:$n"
done
restore() { # KIND SIZE KEY
  r --no-raw eval "local d = redis.call('DUMP', KEYS[1]); redis.call('RESTORE', KEYS[2], 0, d); return 1" 2 "$3" "{$3}r" >/dev/null
  line "restored-$1" "$2" "{$3}r"
}
for n in 200 1025 100000; do
  restore hash "$n" "h:$n"
done
for n in 1 10 100 1000 1100 5000 100000 1000000; do
  r eval "for i=redis.call('LLEN', KEYS[1])+1,tonumber(ARGV[1]) do redis.call('RPUSH', KEYS[1], 'value:'..i) end" 1 "l:$n" "$n" >/dev/null
  line list "$n" "l:$n"
done
for n in 1 4 5 10 100 1000 1025 5000 100000 1000000; do
  r eval "for i=1,tonumber(ARGV[1]) do redis.call('SADD', KEYS[1], 'member:'..i) end" 1 "set:$n" "$n" >/dev/null
  line set "$n" "set:$n"
done
for n in 1 10 128 129 200 1000 1025 5000 100000 1000000; do
  r eval "for i=1,tonumber(ARGV[1]) do redis.call('ZADD', KEYS[1], i, 'member:'..i) end" 1 "z:$n" "$n" >/dev/null
  line zset "$n" "z:$n"
done
for n in 1000 100000; do
  restore list "$n" "l:$n"
done
for n in 10 1000 5000 100000; do
  restore set "$n" "set:$n"
done
for n in 200 100000; do
  restore zset "$n" "z:$n"
done
r debug populate 3 >/dev/null
line populate 0 key:2
r debug populate 3 big 100 >/dev/null
line populate 100 big:2
