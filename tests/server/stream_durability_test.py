"""Stream updates under kill -9 (docs/server.md, "Durability"), with appendfsync always.

Clients append to streams of their own, one command at a time, recording what was acknowledged,
while the server is killed with SIGKILL in a loop. An "add" client sends XADD key i-0 n i; a
"group" client sends, for each i, XADD then XREADGROUP (which must deliver i-0) then XACK. After
each restart every stream holds exactly its first k entries (k at least the acknowledged count,
at most the sent count), XLEN and XINFO agree, and for a group client every acknowledged XACK is
still acknowledged (at most the one entry in flight is pending) and the group's last delivered ID
is at least the last one acknowledged; the data file passes `larder check`.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import threading
import unittest

import redis

from larderd import Larderd, kill9_rounds

CLIENTS = 4
ROUNDS = 4


class Appender(threading.Thread):
    """Appends to its stream until the connection fails (the server was killed)."""

    def __init__(self, port, key, group):
        super().__init__(daemon=True)
        self.port, self.key, self.group = port, key, group
        self.acked = 0  # entries whose every command was acknowledged
        self.sent = 0   # entries whose XADD was sent

    def run(self):
        r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)
        try:
            if self.group:
                r.xgroup_create(self.key, "g", id="0", mkstream=True)
            while True:
                i = self.acked + 1
                self.sent = i
                got = r.xadd(self.key, {"n": str(i)}, id=f"{i}-0")
                if got != f"{i}-0".encode():
                    raise AssertionError(f"{self.key}: XADD gave {got}, expected {i}-0")
                if self.group:
                    read = r.xreadgroup("g", "c", {self.key: ">"}, count=1)
                    if read[0][1][0][0] != got:
                        raise AssertionError(f"{self.key}: XREADGROUP gave {read}")
                    if r.xack(self.key, "g", got) != 1:
                        raise AssertionError(f"{self.key}: XACK of {got} failed")
                self.acked = i
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError, OSError):
            return
        finally:
            r.close()


class StreamKillNineTest(unittest.TestCase):
    def check(self, r, a):
        got = r.xrange(a.key)
        k = len(got)
        self.assertGreaterEqual(k, a.acked, f"{a.key}: acknowledged XADDs lost")
        self.assertLessEqual(k, a.sent, a.key)
        self.assertEqual(got, [(f"{i}-0".encode(), {b"n": str(i).encode()})
                               for i in range(1, k + 1)], a.key)
        self.assertEqual(r.xlen(a.key), k)
        info = r.xinfo_stream(a.key)
        self.assertEqual(info["entries-added"], k, a.key)
        self.assertEqual(info["last-generated-id"], f"{k}-0".encode() if k else b"0-0", a.key)
        if not a.group:
            return
        groups = r.xinfo_groups(a.key)
        if not groups:  # killed before XGROUP CREATE was acknowledged
            self.assertEqual(a.acked, 0, a.key)
            return
        pending = r.xpending(a.key, "g")
        self.assertLessEqual(pending["pending"], 1, a.key)
        if pending["pending"]:
            self.assertEqual(pending["min"], f"{a.acked + 1}-0".encode(), a.key)
        group = groups[0]
        last = int(group["last-delivered-id"].split(b"-")[0])
        self.assertGreaterEqual(last, a.acked, a.key)
        self.assertLessEqual(last, k, a.key)

    def test_acknowledged_updates_survive(self):
        def start_appenders(rnd):
            appenders = [Appender(srv.port, f"stream:{rnd}:{i}", group=i % 2 == 1)
                         for i in range(CLIENTS)]
            for a in appenders:
                a.start()
            return appenders

        def check(r, appenders):
            for a in appenders:
                self.check(r, a)

        with Larderd(args=["--appendfsync", "always"]) as srv:
            appenders = kill9_rounds(self, srv, ROUNDS, start_appenders, check)
        print(f"{sum(a.acked for a in appenders)} acknowledged stream entries survived "
              f"{ROUNDS} kill -9s", flush=True)


if __name__ == "__main__":
    unittest.main()
