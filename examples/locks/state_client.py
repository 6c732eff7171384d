#!/usr/bin/python3
"""The single-owner state service pattern over larderd's locks, with python3-redis
(docs/locks.md, "Examples").

A shared state (here a counter and the name of the last writer, as JSON) lives in one key.
Anyone may read a snapshot at any time; to change it a client takes the lock, which hands it a
fresh snapshot, changes it, and writes it back and releases in one step (LOCK.WRITERELEASE).
A client that decides not to change anything just releases.

    /usr/bin/python3 examples/locks/state_client.py PORT NAME ROUNDS

Prints "writes N" (the rounds that wrote) on exit.
"""
import json
import os
import sys

import redis

LOCK = "state-lock"
KEY = "state"


def main():
    port, name, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    r = redis.Redis(host="127.0.0.1", port=port)
    writes = 0
    for i in range(rounds):
        snapshot = r.get(KEY)  # a read without the lock: may be stale at once
        if snapshot is not None:
            json.loads(snapshot)
        # Lock: wait in line (first come, first served) up to 10 s; the grant carries the
        # token, the fencing number and the state at the moment of the grant.
        grant = r.execute_command("LOCK.ACQUIRE", LOCK, "STATE", KEY, "TIMEOUT", 10000,
                                  "OWNER", f"{name} pid {os.getpid()}")
        if grant is None:
            print("timed out waiting for the lock", file=sys.stderr)
            return 1
        token, fencing, state = grant
        current = json.loads(state) if state is not None else {"count": 0, "by": None}
        if i % 10 == 9:
            # Nothing to change this round: release without writing.
            r.execute_command("LOCK.RELEASE", LOCK, token)
            continue
        current["count"] += 1
        current["by"] = f"{name}#{fencing}"
        r.execute_command("LOCK.WRITERELEASE", LOCK, token, KEY, json.dumps(current))
        writes += 1
    print(f"writes {writes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
