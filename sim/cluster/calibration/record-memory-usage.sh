#!/usr/bin/env bash
# Records MEMORY USAGE of strings and hashes on a real redis-server in cluster mode (one
# node holding every slot), one line per key: "KIND SIZE KEY BYTES ENCODING". Strings are
# written with SET (SIZE bytes), hashes with HSET field:i value:i for i in 1..SIZE in one
# EVAL loop (what `load hash KEY SIZE` writes), restored hashes with DUMP and RESTORE, and
# DEBUG POPULATE's keys as it makes them. MEMORY USAGE is exact, not a timing: one run
# suffices, and two runs print the same file.
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
for n in 200 1025 100000; do
  r --no-raw eval "local d = redis.call('DUMP', KEYS[1]); redis.call('RESTORE', KEYS[2], 0, d); return 1" 2 "h:$n" "{h:$n}r" >/dev/null
  line restored-hash "$n" "{h:$n}r"
done
r debug populate 3 >/dev/null
line populate 0 key:2
r debug populate 3 big 100 >/dev/null
line populate 100 big:2
