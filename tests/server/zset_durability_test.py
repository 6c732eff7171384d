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
import random
import threading
import unittest

import redis

from larderd import Larderd, kill9_rounds

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
        modes = ["one", "multi", "incr", "one"]

        def start_updaters(rnd):
            updaters = [Updater(srv.port, f"zset:{rnd}:{i}", modes[i % len(modes)])
                        for i in range(CLIENTS)]
            for u in updaters:
                u.start()
            return updaters

        def check(r, updaters):
            for u in updaters:
                self.check(r, u)

        with Larderd(args=["--appendfsync", "always"]) as srv:
            updaters = kill9_rounds(self, srv, ROUNDS, start_updaters, check)
        print(f"{sum(u.acked for u in updaters)} acknowledged sorted-set updates survived "
              f"{ROUNDS} kill -9s", flush=True)


if __name__ == "__main__":
    unittest.main()
