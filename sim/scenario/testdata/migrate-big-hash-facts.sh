#!/usr/bin/env bash
# Prints the facts of one timed transcript of migrate-big-hash.txt (scenario -time):
#   load_ms migrate_ms reply role keys open
# as record-migrate-big-hash.sh describes them.
set -euo pipefail
f=$1
awk '
  function at(line) { sub(/^\[ */, "", line); sub(/s\].*/, "", line); return line + 0 }
  /^\[ *[0-9.]+s\] \$ / {
    t = at($0)
    if (step == "load") load = int((t - start) * 1000 + 0.5)
    if (step == "migrate") migrate = int((t - start) * 1000 + 0.5)
    step = ""; start = t
    if ($0 ~ /\$ load hash /) step = "load"
    if ($0 ~ /\$ redis-cli -p 7301 migrate /) { step = "migrate"; want = "reply" }
    if ($0 ~ /\$ redis-cli -p 7301 role$/) want = "role"
    next
  }
  want == "reply" { reply = $0; gsub(/ /, "_", reply); want = "" }
  want == "role" { role = $0; gsub(/^1\) "|"$/, "", role); want = "" }
  /^\[OK\] [0-9]+ keys in / { keys = $2 }
  /has slots in (importing|migrating) state/ { open++ }
  END { printf "%d %d %s %s %d %d\n", load, migrate, reply, role, keys, open }
' "$f"
