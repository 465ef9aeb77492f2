#!/usr/bin/env bash
# Records full synchronisations of a replica from a master holding one big value, on real
# redis-server processes on loopback (defaults but repl-diskless-sync-delay 0, so each
# copy starts at once; repl-diskless-sync is yes and repl-diskless-load disabled, 7.0's
# defaults). Per cell the master is written once (`load hash KEY N`'s EVAL loop, or SET of
# N bytes), then the replica syncs RUNS+1 times: REPLICAOF NO ONE and REPLICAOF again
# makes each sync a full one, and from the second on the replica has the value to flush
# first; the first is not recorded. One line per recorded sync:
#   KIND N RUN SAVE_MS FLUSH_MS LOAD_MS TOTAL_MS
# from the servers' logs: SAVE the master's child, from "Starting BGSAVE for SYNC" to
# "Diskless rdb transfer, done reading from pipe"; FLUSH the replica's emptyData, from
# "Flushing old data" to "Loading DB in memory", answering nothing; LOAD its rdbLoad, to
# "Finished with success", answering -LOADING; TOTAL from "MASTER <-> REPLICA sync started"
# to "Finished with success". Run it on an otherwise idle machine:
#   bash sim/cluster/calibration/record-full-sync.sh > sim/cluster/calibration/full-sync.txt
# and, at sizes the model interpolates between, the cells that validate it:
#   CELLS='hash:300000 hash:2000000 string:31457280' bash sim/cluster/calibration/record-full-sync.sh \
#     > sim/cluster/calibration/full-sync-validation.txt
set -euo pipefail
mport=${PORT:-7395}
rport=$((mport + 1))
runs=${RUNS:-10}
dir=$(mktemp -d)
trap 'redis-cli -p "$mport" shutdown nosave >/dev/null 2>&1 || true
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
rm -rf "$dir"' EXIT
start() { # PORT
  mkdir -p "$dir/$1"
  redis-server --port "$1" --dir "$dir/$1" --save '' --appendonly no --daemonize yes \
    --repl-diskless-sync-delay 0 --logfile "$dir/$1/log" >/dev/null
  until redis-cli -p "$1" ping >/dev/null 2>&1; do sleep 0.05; done
}
# ms prints the milliseconds since midnight of the last line of log FILE matching TEXT,
# from Redis's "PID:R 05 Dec 2026 21:30:01.123 * TEXT" lines.
ms() {
  grep -F "$2" "$1" | tail -1 | awk '{split($5, t, "[:.]"); print ((t[1]*60+t[2])*60+t[3])*1000+t[4]}'
}
echo "# $(redis-server --version); load1 $(cut -d' ' -f1 /proc/loadavg) at start"
echo "# kind n run save_ms flush_ms load_ms total_ms"
cell() { # KIND N
  start "$mport"
  start "$rport"
  if [ "$1" = hash ]; then
    redis-cli -p "$mport" eval "for i=1,tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'field:'..i, 'value:'..i) end" 1 big "$2" >/dev/null
  else
    head -c "$2" /dev/urandom | redis-cli -p "$mport" -x set big >/dev/null
  fi
  for run in $(seq 0 "$runs"); do
    redis-cli -p "$rport" replicaof no one >/dev/null
    : > "$dir/$rport/log"
    : > "$dir/$mport/log"
    redis-cli -p "$rport" replicaof 127.0.0.1 "$mport" >/dev/null
    until grep -q 'sync: Finished with success' "$dir/$rport/log"; do sleep 0.05; done
    until grep -q 'done reading from pipe' "$dir/$mport/log"; do sleep 0.05; done
    [ "$run" = 0 ] && continue
    local m=$dir/$mport/log r=$dir/$rport/log
    local s0 s1 f0 l0 l1 t0
    s0=$(ms "$m" 'Starting BGSAVE for SYNC')
    s1=$(ms "$m" 'done reading from pipe')
    f0=$(ms "$r" 'Flushing old data')
    l0=$(ms "$r" 'Loading DB in memory')
    l1=$(ms "$r" 'Finished with success')
    t0=$(ms "$r" 'MASTER <-> REPLICA sync started')
    echo "$1 $2 $run $((s1 - s0)) $((l0 - f0)) $((l1 - l0)) $((l1 - t0))"
  done
  redis-cli -p "$mport" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
  rm -rf "${dir:?}/$mport" "${dir:?}/$rport"
}
for c in ${CELLS:-hash:100000 hash:1000000 hash:3000000 string:104857600}; do
  cell "${c%%:*}" "${c#*:}"
done
echo "# load1 $(cut -d' ' -f1 /proc/loadavg) at end"
