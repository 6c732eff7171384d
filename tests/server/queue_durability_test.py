"""The durable queue under kill -9 (docs/queue.md, issue 17).

Producers and consumers run against larderd (appendfsync always, then everysec: a kill -9 of the
process alone loses nothing acknowledged in either mode) while the server is killed with SIGKILL
and restarted, several times. Consumers sometimes drop a lease on purpose, so items
come back after their lease ends. Afterwards the queue and its dead-letter queue are drained and:
  - every produced item that was acknowledged was completed exactly once by an acknowledged
    QCOMPLETE, or sits in the dead-letter queue, or its QCOMPLETE was in flight at a kill;
  - nothing turns up that was never produced (or in flight);
  - no two leases of one item overlapped in time (each lease runs from its deadline minus the
    lease timeout to its deadline, as the server granted it);
  - after each kill, `larder queue check` finds every invariant of docs/formats/queue.md kept in
    the stores as the kill left them.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import os
import random
import subprocess
import threading
import time
import unittest
from collections import defaultdict

import redis

from larderd import LARDER_BIN_DIR, Larderd

LEASE_MS = 300
ROUNDS = 4


class Worker(threading.Thread):
    def __init__(self, port, stop, body):
        super().__init__(daemon=True)
        self.port, self.stop, self.body = port, stop, body
        self.error = None

    def run(self):
        r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        while not self.stop.is_set():
            try:
                self.body(r)
            except (redis.ConnectionError, redis.TimeoutError):
                time.sleep(0.05)  # the server is down: try again once it is back
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.error = e
                return


class QueueKillTest(unittest.TestCase):
    def test_acknowledged_items_survive_kill9_exactly_once_always(self):
        self.run_kills("always")

    def test_acknowledged_items_survive_kill9_exactly_once_everysec(self):
        # The partitions' writes are buffered in the process and written out once per batch of
        # commands, before its replies (Partition::FlushWrites).
        self.run_kills("everysec")

    def run_kills(self, appendfsync):
        rng = random.Random(1702)
        with Larderd(args=["--appendfsync", appendfsync]) as srv:
            r = srv.client()
            r.execute_command("QCREATE", "dead")
            r.execute_command("QCREATE", "q", "PARTITIONS", 2, "LEASE-TIMEOUT", LEASE_MS,
                              "MAX-ATTEMPTS", 4, "DEAD-QUEUE", "dead")
            lock = threading.Lock()
            acked, tried = set(), set()
            completed = defaultdict(int)
            complete_in_flight = set()
            intervals = defaultdict(list)
            counter = [0]

            def produce(c):
                with lock:
                    counter[0] += 1
                    batch = [f"item-{counter[0]}-{j}" for j in range(rng.randint(1, 5))]
                    tried.update(batch)
                c.execute_command("QPRODUCE", "q", *batch)
                with lock:
                    acked.update(batch)

            def consume(c):
                items = c.execute_command("QLEASE", "q", "w", "COUNT", 8, "BLOCK", 100)
                keep = []
                with lock:
                    for item_id, attempts, deadline, payload in items:
                        intervals[payload.decode()].append((deadline - LEASE_MS, deadline))
                        if rng.random() < 0.15:
                            continue  # dropped: comes back when its lease ends
                        keep.append((item_id, payload.decode()))
                    complete_in_flight.update(p for _, p in keep)
                if keep:
                    c.execute_command("QCOMPLETE", "q", *[i for i, _ in keep])
                    with lock:
                        for _, p in keep:
                            completed[p] += 1
                            complete_in_flight.discard(p)

            stop = threading.Event()
            workers = [Worker(srv.port, stop, produce) for _ in range(2)]
            workers += [Worker(srv.port, stop, consume) for _ in range(3)]
            for w in workers:
                w.start()
            for _ in range(ROUNDS):
                time.sleep(0.6)
                srv.kill9()
                # The stores as the kill left them keep every invariant of formats/queue.md.
                check = subprocess.run(
                    [os.path.join(LARDER_BIN_DIR, "larder"), "queue", "check", srv.data_dir()],
                    capture_output=True, text=True)
                self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
                srv.start()
            time.sleep(0.5)
            stop.set()
            for w in workers:
                w.join(15)
                self.assertIsNone(w.error, w.error)
            self.assertGreater(len(acked), 50)

            # Drain: every lease left running ends, then everything is leased and completed.
            r = srv.client()
            drained, dead = [], []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                st = dict(zip(*[iter(r.execute_command("QSTATS", "q"))] * 2))
                items = r.execute_command("QLEASE", "q", "drain", "COUNT", 1000)
                for item_id, _, dl, payload in items:
                    intervals[payload.decode()].append((dl - LEASE_MS, dl))
                    drained.append(payload.decode())
                if items:
                    r.execute_command("QCOMPLETE", "q", *[i[0] for i in items])
                if not items and st[b"leased"] == 0 and st[b"scheduled"] == 0:
                    break
                time.sleep(0.05)
            while True:
                items = r.execute_command("QLEASE", "dead", "drain", "COUNT", 1000)
                if not items:
                    break
                dead += [i[3].decode() for i in items]
                r.execute_command("QCOMPLETE", "dead", *[i[0] for i in items])

        for p, n in completed.items():
            self.assertEqual(n, 1, f"{p} completed {n} times")
        found = set(completed) | set(drained) | set(dead)
        self.assertEqual(len(drained) + len(dead) + len(completed), len(found),
                         "an item came back after an acknowledged completion")
        self.assertEqual(found - tried, set(), "items nobody produced")
        lost = acked - found - complete_in_flight
        self.assertEqual(lost, set(), "acknowledged items lost")
        for p, spans in intervals.items():
            spans.sort()
            for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
                self.assertLessEqual(e1, s2, f"two leases of {p} overlap: {spans}")


if __name__ == "__main__":
    unittest.main()
