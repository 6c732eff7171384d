"""Keyspace notifications: the events larderd publishes compared with Debian's redis-server 7.0.15.

Each server gets the same commands; a python3-redis pubsub client subscribed to every channel
(PSUBSCRIBE *) collects what each command published. After every command a third client
publishes a sentinel on its own channel: everything received before the sentinel is that
command's events (both servers publish an event before the command's reply), so the comparison
needs no sleeps. The streams are the hand-written cases below and differential_test.py's random
command stream (every expiry there is far in the future, so only commands publish).

On a mismatch the test prints the command, both event lists and the commands before it.
"""
import collections
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from differential_test import Gen, show  # noqa: E402
from larderd import RedisServer, server_under_test  # noqa: E402
from resp_client import RespClient  # noqa: E402

SENTINEL = "notify-test-sentinel"
CLASSES = "KEAnm"  # every class, both channels, new keys and misses
RANDOM_COMMANDS = int(os.environ.get("LARDER_NOTIFY_COMMANDS", "800"))

# Hand-written cases: every write command of the core families, the corner cases of each (no
# change, keys created or replaced, expiries in the past) and the read commands' misses.
CASES = """
SET a 1
SET a 2 PXAT 1
SET b 1 PX 100000
SET b 2 KEEPTTL
SET b 3 NX
SET c 3 XX
SET c 3 GET
SETNX a 3
SETNX c 3
SETEX e 100 v
PSETEX e 100000 v
GETSET a 4
GETSET d 4
GETEX a EX 100
GETEX a PERSIST
GETEX a PERSIST
GETEX a PXAT 1
GETEX zz PERSIST
SET a x
GETDEL a
GETDEL a
MSET a 1 b 2
MSETNX a 1 x 2
MSETNX q 1 x 2
APPEND a x
APPEND n x
SETRANGE a 5 y
SETRANGE m 3 z
INCR i
INCRBY i 5
DECR i
DECRBY i 2
INCRBYFLOAT f 1.5
SETBIT bits 3 1
SETBIT bits 3 1
BITFIELD bf SET u8 0 3
BITFIELD bf INCRBY u8 0 3
BITFIELD bf OVERFLOW FAIL INCRBY u8 0 255
BITFIELD bf GET u8 0
BITFIELD_RO nobf GET u8 0
BITOP AND dst a b
BITOP AND dst nosuch1 nosuch2
BITOP AND dst nosuch1 nosuch2
GET nokey
MGET nokey a nokey2
STRLEN nokey
GETRANGE nokey 0 1
BITCOUNT nokey
BITPOS nokey 1
LCS nokey a
DEL a b nosuch
SET a 1
UNLINK a
SET a 1
RENAME a b
RENAME b b
RENAME nosuch x
SET a 1
RENAMENX a b
RENAMENX a c
COPY c d
COPY c d
COPY c d REPLACE
COPY c e DB 1
MOVE e 1
MOVE c 1
MOVE nosuch 1
SET k v
EXPIRE k 100
EXPIRE k 100 NX
PEXPIRE k 100000
EXPIREAT k 99999999999
PEXPIREAT k 99999999999999
PERSIST k
PERSIST k
EXPIRE k 0
SET k v
PEXPIRE k -1
SET k v
EXPIREAT k 1
EXPIRE nosuch 10
TTL nosuch
PTTL nosuch
EXPIRETIME nosuch
EXISTS nosuch
TYPE nosuch
TOUCH nosuch
OBJECT ENCODING nosuch
HSET h f v g w
HSET h f v2
HMSET h x 1
HSETNX h f v
HSETNX h n v
HINCRBY h i 1
HINCRBYFLOAT h fl 1.5
HDEL h nosuch
HDEL h f g
HDEL h x n i fl
HGET nosuch f
HMGET nosuch f
HGETALL nosuch
HKEYS nosuch
HVALS nosuch
HLEN nosuch
HEXISTS nosuch f
HSTRLEN nosuch f
HRANDFIELD nosuch
HSCAN nosuch 0
SET s v
SELECT 2
SET s v
SWAPDB 0 2
FLUSHDB
SELECT 0
FLUSHALL
MULTI
SET t 1
INCR t
DEL t
EXEC
"""


class Side:
    """One server with a command client, a subscriber (python3-redis pubsub) and a publisher of
    sentinels."""

    def __init__(self, srv):
        self.srv = srv
        self.cmd = RespClient(srv.port)
        self.pub = srv.client()
        self.sub = srv.client().pubsub()
        self.sub.psubscribe("*")
        self.n = 0
        self._read_until(lambda m: m["type"] == "psubscribe")

    def _read_until(self, stop):
        got = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            m = self.sub.get_message(timeout=1)
            if m is None:
                continue
            if stop(m):
                return got
            got.append(m)
        raise AssertionError(f"no sentinel from the server on port {self.srv.port}: got {got}")

    def events(self):
        """Everything published since the last call: [(channel, payload)] in order."""
        self.n += 1
        token = str(self.n).encode()
        self.pub.publish(SENTINEL, token)
        msgs = self._read_until(lambda m: m["channel"] == SENTINEL.encode() and
                                m["data"] == token)
        return [(m["channel"].decode(errors="replace"), m["data"]) for m in msgs]

    def close(self):
        self.sub.close()
        self.pub.close()
        self.cmd.close()


def is_expired(event):
    """Whether `event` (channel, data) reports a key's expiry, on either channel."""
    channel, data = event
    return channel.endswith("__:expired") or (channel.startswith("__keyspace@") and
                                              data == b"expired")


class NotifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        args = ["--notify-keyspace-events", CLASSES]
        cls.larder = server_under_test(args).start()
        cls.redis = RedisServer(args=args).start()

    @classmethod
    def tearDownClass(cls):
        cls.larder.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def setUp(self):
        self.sides = [Side(self.larder), Side(self.redis)]
        for s in self.sides:
            s.cmd.call("CONFIG", "SET", "notify-keyspace-events", CLASSES)
            s.cmd.call("FLUSHALL")
            s.events()

    def tearDown(self):
        for s in self.sides:
            s.close()

    def run_commands(self, commands, label):
        """Runs each command on both servers and compares the events it caused. The "expired"
        events of a key whose time ran out are compared apart: each server emits them at the
        command that meets the key or from its own active-expiry cycle between two commands,
        whose moment differs between the two processes. They must match once both cycles have
        had time to run."""
        history = []
        expired = [collections.Counter(), collections.Counter()]
        for i, cmd in enumerate(commands):
            replies = [s.cmd.call(*cmd) for s in self.sides]
            raw = [s.events() for s in self.sides]
            events = [[e for e in side if not is_expired(e)] for side in raw]
            for k, side in enumerate(raw):
                expired[k].update(e for e in side if is_expired(e))
            history.append(cmd)
            if events[0] != events[1]:
                recent = "\n".join("    " + show(c) for c in history[-8:-1])
                self.fail(f"{label}, command #{i}: {show(cmd)} (replies {replies[0]!r} / "
                          f"{replies[1]!r})\n  larderd:      {raw[0]}\n"
                          f"  redis-server: {raw[1]}\n  the commands before it:\n{recent}")
        # Keys expired and never met again are found by the active cycles (hz 10 on both).
        for _ in range(50):
            if expired[0] == expired[1]:
                break
            time.sleep(0.1)
            for k, s in enumerate(self.sides):
                expired[k].update(e for e in s.events() if is_expired(e))
        self.assertEqual(expired[0], expired[1], f"{label}: expired events, larderd / redis")
        return history

    def test_config_get_and_set(self):
        for value in ["KEA", "gKE", "$lshzxeKE", "KA", "EA", "Knm", "KEAnm", "Ed", "g$lshzxet",
                      "", "x", "AKEm"]:
            got = []
            for s in self.sides:
                self.assertEqual(s.cmd.call("CONFIG", "SET", "notify-keyspace-events", value),
                                 ("+", "OK"))
                got.append(s.cmd.call("CONFIG", "GET", "notify-keyspace-events"))
            self.assertEqual(got[0], got[1], value)
        bad = [s.cmd.call("CONFIG", "SET", "notify-keyspace-events", "KEQ") for s in self.sides]
        self.assertEqual(bad[0], bad[1])
        self.assertEqual(bad[0][0], "-")

    def test_hand_written_cases(self):
        commands = [line.split() for line in CASES.strip().splitlines()]
        self.run_commands(commands, "cases")

    def test_masks(self):
        for classes in ["K$", "Eg", "Kh", "En", "Em", "Ex", "KEA"]:
            for s in self.sides:
                s.cmd.call("CONFIG", "SET", "notify-keyspace-events", classes)
            self.run_commands([["SET", "k", "1"], ["EXPIRE", "k", "100"], ["HSET", "h", "f", "v"],
                               ["GET", "none"], ["DEL", "k", "h"]], classes)

    def test_random_stream(self):
        for seed in (11, 12):
            with self.subTest(seed=seed):
                for s in self.sides:
                    s.cmd.call("SELECT", "0")
                    s.cmd.call("FLUSHALL")
                    s.events()
                self.run_commands(Gen(seed).stream(RANDOM_COMMANDS), f"seed {seed}")
                for s in self.sides:
                    s.cmd.call("DISCARD")

    def test_expired_events(self):
        """A key whose time runs out: one "expired" event, whether it is met by a read or by
        the expiry cycle (which one depends on timing, so both are waited for)."""
        early = []  # expiries already published when the SETs' events were drained
        for s in self.sides:
            s.cmd.call("SET", "short", "v", "PX", "50")
            s.cmd.call("SET", "short2", "v", "PX", "50")
            early.append([e for e in s.events() if is_expired(e)])
        time.sleep(0.3)
        got = []
        for s, events in zip(self.sides, early):
            s.cmd.call("GET", "short")  # expired lazily here unless the cycle was first
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and ("__keyevent@0__:expired", b"short2") not in events:
                events += s.events()
            got.append(sorted(e for e in events if "expired" in e[0] or e[1] == b"expired"))
        self.assertEqual(got[0], got[1])
        self.assertIn(("__keyevent@0__:expired", b"short"), got[0])
        self.assertIn(("__keyevent@0__:expired", b"short2"), got[0])


if __name__ == "__main__":
    unittest.main()
