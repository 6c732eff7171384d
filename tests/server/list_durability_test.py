"""List pushes under kill -9 (docs/server.md, "Durability"), with appendfsync always.

Clients push numbered elements onto lists of their own (RPUSH, LPUSH, and a variadic RPUSH),
one command at a time, recording what was acknowledged, while the server is killed with SIGKILL
in a loop. After each restart every list holds exactly its first k elements in push order, with
k at least the acknowledged count and at most the sent count (the one push in flight at the kill
may or may not be there), and the data file passes `larder check`.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import threading
import unittest

import redis

from larderd import Larderd, kill9_rounds

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
        modes = ["right", "left", "multi", "right"]

        def start_pushers(rnd):
            pushers = [Pusher(srv.port, f"list:{rnd}:{i}", modes[i % len(modes)])
                       for i in range(CLIENTS)]
            for p in pushers:
                p.start()
            return pushers

        def check(r, pushers):
            for p in pushers:
                got = r.lrange(p.key, 0, -1)
                self.assertGreaterEqual(len(got), p.acked, f"{p.key}: acknowledged pushes lost")
                self.assertLessEqual(len(got), p.sent, p.key)
                self.assertEqual(got, p.expected(len(got)), f"{p.key}: out of order")
                self.assertEqual(r.llen(p.key), len(got))

        with Larderd(args=["--appendfsync", "always"]) as srv:
            kill9_rounds(self, srv, ROUNDS, start_pushers, check)

if __name__ == "__main__":
    unittest.main()
