"""Sorted-set updates under kill -9 (docs/server.md, "Durability"), with appendfsync always.

Clients update sorted sets of their own, one command at a time, recording what was acknowledged,
while the server is killed with SIGKILL in a loop: ZADD of member i with score i (one pair, or
two pairs a command), or ZINCRBY of one member by 1. After each restart every set holds exactly
its first k members with their scores (k at least the acknowledged count, at most the sent
count: the one command in flight at the kill may or may not be there), the counter is between
its acknowledged and sent values, the rank index agrees (ZRANK, ZCOUNT, ZRANGE by rank), and the
data file passes `larder check`.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import os
import random
import threading
import time
import unittest

import redis

from durability_test import larder_check
from larderd import Larderd

CLIENTS = 4
ROUNDS = 5


def member(i):
    return f"m{i:08d}".encode()


class Updater(threading.Thread):
    """Updates its set until the connection fails (the server was killed)."""

    def __init__(self, port, key, mode):
        super().__init__(daemon=True)
        self.port, self.key, self.mode = port, key, mode
        self.acked = 0  # members added, or increments, acknowledged
        self.sent = 0   # the same, sent (acknowledged or not)

    def run(self):
        r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)
        try:
            while True:
                n = self.acked
                if self.mode == "incr":
                    self.sent = n + 1
                    score = r.zincrby(self.key, 1, "counter")
                    if score != float(self.sent):
                        raise AssertionError(f"{self.key}: score {score}, expected {self.sent}")
                else:
                    count = 2 if self.mode == "multi" else 1
                    self.sent = n + count
                    added = r.zadd(self.key, {member(i): i for i in range(n, n + count)})
                    if added != count:
                        raise AssertionError(f"{self.key}: added {added}, expected {count}")
                self.acked = self.sent
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError, OSError):
            return
        finally:
            r.close()


class ZSetKillNineTest(unittest.TestCase):
    def check(self, r, u):
        if u.mode == "incr":
            score = r.zscore(u.key, "counter")
            self.assertIsNotNone(score, f"{u.key}: acknowledged increments lost")
            self.assertGreaterEqual(score, u.acked, f"{u.key}: acknowledged increments lost")
            self.assertLessEqual(score, u.sent, u.key)
            return
        got = r.zrange(u.key, 0, -1, withscores=True)
        self.assertGreaterEqual(len(got), u.acked, f"{u.key}: acknowledged ZADDs lost")
        self.assertLessEqual(len(got), u.sent, u.key)
        self.assertEqual(got, [(member(i), float(i)) for i in range(len(got))], u.key)
        k = len(got)
        self.assertEqual(r.zcard(u.key), k)
        for i in random.sample(range(k), min(k, 20)):
            self.assertEqual(r.zrank(u.key, member(i)), i, u.key)
            self.assertEqual(r.zrevrank(u.key, member(i)), k - 1 - i, u.key)
            self.assertEqual(r.zrange(u.key, i, i), [member(i)], u.key)
        if k > 2:
            self.assertEqual(r.zcount(u.key, 1, f"({k - 1}"), k - 2, u.key)

    def test_acknowledged_updates_survive(self):
        updaters = []
        with Larderd(args=["--appendfsync", "always"]) as srv:
            data_file = os.path.join(srv.dir, "data", "larder.db")
            for rnd in range(ROUNDS):
                modes = ["one", "multi", "incr", "one"]
                current = [Updater(srv.port, f"zset:{rnd}:{i}", modes[i % len(modes)])
                           for i in range(CLIENTS)]
                for u in current:
                    u.start()
                time.sleep(random.uniform(0.3, 1.0))
                srv.kill9()
                for u in current:
                    u.join(60)
                    self.assertFalse(u.is_alive(), "a client did not notice the kill")
                updaters += current
                self.assertGreater(sum(u.acked for u in current), 0, "nothing was written")
                code, out = larder_check(data_file)
                self.assertEqual(code, 0, f"larder check after kill -9 (round {rnd}): {out}")
                srv.start()
                r = srv.client()
                for u in updaters:
                    self.check(r, u)
                r.close()
            self.assertEqual(srv.stop(), 0)
            code, out = larder_check(data_file)
            self.assertEqual(code, 0, out)
        print(f"{sum(u.acked for u in updaters)} acknowledged sorted-set updates survived "
              f"{ROUNDS} kill -9s", flush=True)


if __name__ == "__main__":
    unittest.main()
