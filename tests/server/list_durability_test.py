"""List pushes under kill -9 (docs/server.md, "Durability"), with appendfsync always.

Clients push numbered elements onto lists of their own (RPUSH, LPUSH, and a variadic RPUSH),
one command at a time, recording what was acknowledged, while the server is killed with SIGKILL
in a loop. After each restart every list holds exactly its first k elements in push order, with
k at least the acknowledged count and at most the sent count (the one push in flight at the kill
may or may not be there), and the data file passes `larder check`.

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


class Pusher(threading.Thread):
    """Pushes 0, 1, 2... onto its list until the connection fails (the server was killed)."""

    def __init__(self, port, key, mode):
        super().__init__(daemon=True)
        self.port, self.key, self.mode = port, key, mode
        self.acked = 0  # elements acknowledged
        self.sent = 0   # elements sent (acknowledged or not)

    def run(self):
        r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)
        try:
            while True:
                n = self.acked
                batch = [str(n), str(n + 1)] if self.mode == "multi" else [str(n)]
                self.sent = n + len(batch)
                if self.mode == "left":
                    length = r.lpush(self.key, *batch)
                else:
                    length = r.rpush(self.key, *batch)
                if length != self.sent:
                    raise AssertionError(f"{self.key}: length {length}, expected {self.sent}")
                self.acked = self.sent
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError, OSError):
            return
        finally:
            r.close()

    def expected(self, k):
        items = [str(i).encode() for i in range(k)]
        return items[::-1] if self.mode == "left" else items


class ListKillNineTest(unittest.TestCase):
    def test_acknowledged_pushes_survive_in_order(self):
        pushers = []
        with Larderd(args=["--appendfsync", "always"]) as srv:
            data_file = os.path.join(srv.dir, "data", "larder.db")
            for rnd in range(ROUNDS):
                modes = ["right", "left", "multi", "right"]
                current = [Pusher(srv.port, f"list:{rnd}:{i}", modes[i % len(modes)])
                           for i in range(CLIENTS)]
                for p in current:
                    p.start()
                time.sleep(random.uniform(0.3, 1.0))
                srv.kill9()
                for p in current:
                    p.join(60)
                    self.assertFalse(p.is_alive(), "a client did not notice the kill")
                pushers += current
                self.assertGreater(sum(p.acked for p in current), 0, "nothing was pushed")
                code, out = larder_check(data_file)
                self.assertEqual(code, 0, f"larder check after kill -9 (round {rnd}): {out}")
                srv.start()
                r = srv.client()
                for p in pushers:
                    got = r.lrange(p.key, 0, -1)
                    self.assertGreaterEqual(len(got), p.acked, f"{p.key}: acknowledged pushes lost")
                    self.assertLessEqual(len(got), p.sent, p.key)
                    self.assertEqual(got, p.expected(len(got)), f"{p.key}: out of order")
                    self.assertEqual(r.llen(p.key), len(got))
                r.close()
            self.assertEqual(srv.stop(), 0)
            code, out = larder_check(data_file)
            self.assertEqual(code, 0, out)
        print(f"{sum(p.acked for p in pushers)} acknowledged list pushes survived {ROUNDS} "
              "kill -9s", flush=True)


if __name__ == "__main__":
    unittest.main()
