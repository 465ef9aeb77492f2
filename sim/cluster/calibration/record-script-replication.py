#!/usr/bin/env python3
"""Records what `load hash`'s script costs a master with a replica, the replica, and then a
MIGRATE of the hash it built; and, in the same run, a MIGRATE of the same hash built by a
master without a replica, the baseline.

A master, with or without a replica (redis-server on loopback, appendonly off, not in
cluster mode: replication and MIGRATE are the same), and a target are started fresh for
each run. The master runs load hash's EVAL of FIELDS HSETs while this script sends the
replica HLEN every 20 ms. Redis 7 replicates a script's effects as MULTI, one HSET per
field, EXEC: the replica reads and queues them, answering other clients between reads, then
runs the EXEC in one go. Once the replica has the hash, the master MIGRATEs it to the
target. One line per run:

    fields replica run master_ms receive_ms exec_ms migrate_us restore_us load1

master_ms is the EVAL as the client saw it; receive_ms the time from its reply until the
replica's longest stall began (the stream arriving and being queued); exec_ms that stall
(the EXEC); without a replica these three are the EVAL's and 0 0. migrate_us and restore_us
are the MIGRATE on the master and the RESTORE on the target, from INFO commandstats. Run with
the machine otherwise idle:

    python3 sim/cluster/calibration/record-script-replication.py > sim/cluster/calibration/script-replication.txt
"""
import os, socket, subprocess, sys, tempfile, threading, time

SCRIPT = "for i=1,tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'field:'..i, 'value:'..i) end"
CELLS = [(1000000, 10), (3000000, 10)]
MASTER = int(os.environ.get("PORT", "7511"))
REPLICA, TARGET = MASTER + 1, MASTER + 2


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout


def start(port, d, *extra):
    subprocess.run(["redis-server", "--port", str(port), "--dir", d, "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--logfile", d + "/log", *extra], check=True)
    while cli(port, "ping").strip() != "PONG":
        time.sleep(0.05)


def ask(port, command):
    """Sends one inline command and returns its reply's first line."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(command.encode() + b"\r\n")
    reply = s.recv(64).decode()
    s.close()
    return reply.split("\r\n")[0]


def usec(port, command):
    """The microseconds INFO commandstats gives command since the last CONFIG RESETSTAT."""
    for line in cli(port, "info", "commandstats").splitlines():
        if line.startswith("cmdstat_" + command + ":"):
            return int(line.split("usec=")[1].split(",")[0])
    raise RuntimeError(f"no {command} in {port}'s commandstats")


def run(fields, replica, n):
    with tempfile.TemporaryDirectory() as d:
        for sub in "mrt":
            os.mkdir(d + "/" + sub)
        try:
            start(MASTER, d + "/m")
            start(TARGET, d + "/t")
            if replica:
                start(REPLICA, d + "/r", "--replicaof", "127.0.0.1", str(MASTER))
                while "master_link_status:up" not in cli(REPLICA, "info", "replication"):
                    time.sleep(0.1)
                master_ms, receive_ms, exec_ms = loaded(fields)
            else:
                t = time.time()
                cli(MASTER, "eval", SCRIPT, "1", "h", str(fields))
                master_ms, receive_ms, exec_ms = (time.time() - t) * 1000, 0, 0
            migrate_us, restore_us = migrate()
            load1 = open("/proc/loadavg").read().split()[0]
            print(f"{fields} {int(replica)} {n} {master_ms:.0f} {receive_ms:.0f} {exec_ms:.0f} {migrate_us} {restore_us} {load1}", flush=True)
        finally:
            for port in (REPLICA, MASTER, TARGET):
                cli(port, "shutdown", "nosave")


def migrate():
    """MIGRATEs h from the master to the target, and returns both sides' microseconds."""
    cli(MASTER, "config", "resetstat"); cli(TARGET, "config", "resetstat")
    reply = cli(MASTER, "migrate", "127.0.0.1", str(TARGET), "h", "0", "600000").strip()
    if reply != "OK":
        raise RuntimeError("MIGRATE: " + reply)
    return usec(MASTER, "migrate"), usec(TARGET, "restore")


def loaded(fields):
    """Runs the EVAL with the replica attached, probing the replica; returns the three times."""
    done = {}
    def load():
        t = time.time()
        cli(MASTER, "eval", SCRIPT, "1", "h", str(fields))
        done["at"], done["took"] = time.time(), time.time() - t
    th = threading.Thread(target=load)
    th.start()
    stalls = []
    while True:
        t = time.time()
        length = ask(REPLICA, "HLEN h")
        stalls.append((time.time() - t, t))
        if "at" in done and length == ":" + str(fields):
            break
        time.sleep(0.02)
    th.join()
    longest, began = max(stalls)
    return done["took"] * 1000, (began - done["at"]) * 1000, longest * 1000


if __name__ == "__main__":
    print("# " + subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip())
    print("# fields replica run master_ms receive_ms exec_ms migrate_us restore_us load1")
    for fields, runs in CELLS:
        for n in range(1, runs + 1):
            for replica in (False, True):
                run(fields, replica, n)
