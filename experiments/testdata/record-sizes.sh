#!/usr/bin/env bash
# Records what redis-cli prints about a small keyspace's sizes, for the size-file readers:
#   bash experiments/testdata/record-sizes.sh experiments/testdata
# writes memkeys.txt (redis-cli --memkeys), bigkeys.txt (--bigkeys) and sizes.txt (KEY BYTES
# TYPE ELEMENTS lines from --scan and MEMORY USAGE), from one redis-server on loopback.
set -euo pipefail
out=${1:?usage: record-sizes.sh DIR}
port=${PORT:-7711}
dir=$(mktemp -d)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
redis-server --port "$port" --save "" --appendonly no --dir "$dir" --daemonize yes >/dev/null
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
cli() { redis-cli -p "$port" "$@"; }
# 100 strings of 10 to 1000 bytes, one of 100 kB, a hash of 1000 fields, a list, a set, a zset.
cli eval "for i=1,100 do redis.call('set', 'key:'..i, string.rep('x', i*10)) end" 0 >/dev/null
cli eval "redis.call('set', 'big:string', string.rep('x', 100000))" 0 >/dev/null
cli eval "for i=1,1000 do redis.call('hset', KEYS[1], 'field:'..i, 'value:'..i) end" 1 big:hash >/dev/null
cli rpush list a b c >/dev/null
cli sadd set x y >/dev/null
cli zadd zset 1 a >/dev/null
cli --memkeys >"$out/memkeys.txt"
cli --bigkeys >"$out/bigkeys.txt"
cli --scan | sort | while IFS= read -r k; do
	t=$(cli type "$k")
	case $t in
	string) n=$(cli strlen "$k") ;;
	hash) n=$(cli hlen "$k") ;;
	list) n=$(cli llen "$k") ;;
	set) n=$(cli scard "$k") ;;
	zset) n=$(cli zcard "$k") ;;
	*) n=0 ;;
	esac
	echo "$k $(cli memory usage "$k") $t $n"
done >"$out/sizes.txt"
