"""Transactions, pub/sub and MONITOR against a running larderd (or, with LARDER_TEST_SERVER=redis,
against Debian's redis-server 7.0.15, which checks the tests themselves):
WATCH/MULTI/EXEC races between connections, EXEC's atomicity as other clients see it, Redis's
error replies, pub/sub with patterns and many subscribers, RESP3 pushes (raw and through
`redis-cli -3`), RESP2 subscribed mode, a subscriber that never reads, and MONITOR's lines.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from larderd import ServerTestCase, server_under_test  # noqa: E402

import redis  # noqa: E402


class Raw:
    """A raw RESP connection: exact bytes out, exact bytes in."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def read_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def expect(self, data):
        got = self.read_exact(len(data))
        if got != data:
            raise AssertionError(f"expected {data!r}, got {got + self.buf!r}")

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def close(self):
        self.sock.close()


def frame(head, *items):
    """A RESP array/push of bulks and integers (ints as ':')."""
    out = b"%s%d\r\n" % (head, len(items))
    for i in items:
        if isinstance(i, int):
            out += b":%d\r\n" % i
        else:
            i = i.encode() if isinstance(i, str) else i
            out += b"$%d\r\n%s\r\n" % (len(i), i)
    return out


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class MultiPubSubTest(ServerTestCase):
    def raw(self):
        c = Raw(self.srv.port)
        self.addCleanup(c.close)
        return c

    # ---- transactions ----

    def test_exec_applies_the_queue_in_order(self):
        p = self.r.pipeline(transaction=True)
        p.set("t:k", "1").incr("t:k").get("t:k").hset("t:h", "f", "v").hget("t:h", "f")
        self.assertEqual(p.execute(), [True, 2, b"2", 1, b"v"])

    def test_errors_as_redis(self):
        c = self.raw()
        c.send("EXEC")
        c.expect(b"-ERR EXEC without MULTI\r\n")
        c.send("DISCARD")
        c.expect(b"-ERR DISCARD without MULTI\r\n")
        c.send("MULTI")
        c.expect(b"+OK\r\n")
        c.send("MULTI")
        c.expect(b"-ERR MULTI calls can not be nested\r\n")
        c.send("WATCH", "x")
        c.expect(b"-ERR WATCH inside MULTI is not allowed\r\n")
        c.send("SET", "t:a", "1")
        c.expect(b"+QUEUED\r\n")
        c.send("NOSUCH")
        self.assertTrue(c.line().startswith(b"-ERR unknown command 'NOSUCH'"))
        c.send("EXEC")
        c.expect(b"-EXECABORT Transaction discarded because of previous errors.\r\n")
        self.assertIsNone(self.r.get("t:a"))
        # A command that fails when run does not abort the others.
        c.send("MULTI")
        c.expect(b"+OK\r\n")
        for cmd in (("SET", "t:s", "x"), ("INCR", "t:s"), ("SET", "t:b", "2")):
            c.send(*cmd)
            c.expect(b"+QUEUED\r\n")
        c.send("EXEC")
        c.expect(b"*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n")

    def test_watch_fails_exec_after_another_connections_write(self):
        other = self.srv.client()
        self.addCleanup(other.close)
        self.r.set("t:w", "0")
        with self.r.pipeline() as p:
            p.watch("t:w")
            p.multi()
            p.set("t:w", "mine")
            other.set("t:w", "theirs")
            with self.assertRaises(redis.WatchError):
                p.execute()
        self.assertEqual(self.r.get("t:w"), b"theirs")
        # Watching a key nobody touches lets EXEC through; UNWATCH forgets.
        with self.r.pipeline() as p:
            p.watch("t:w")
            p.unwatch()
            other.set("t:w", "again")
            p.multi()
            p.set("t:w", "mine")
            self.assertEqual(p.execute(), [True])

    def test_watch_and_flush_rules(self):
        c = self.raw()
        self.r.set("t:present", "1")
        c.send("WATCH", "t:absent")
        c.expect(b"+OK\r\n")
        self.r.flushdb()  # the watched key did not exist: untouched
        c.send("MULTI")
        c.expect(b"+OK\r\n")
        c.send("EXEC")
        c.expect(b"*0\r\n")
        self.r.set("t:present", "1")
        c.send("WATCH", "t:present")
        c.expect(b"+OK\r\n")
        self.r.flushall()
        c.send("MULTI")
        c.expect(b"+OK\r\n")
        c.send("EXEC")
        c.expect(b"*-1\r\n")
        # SWAPDB: a key absent here but present in the other database is touched.
        r1 = self.srv.client(db=1)
        self.addCleanup(r1.close)
        r1.set("t:swap", "in db 1")
        c.send("WATCH", "t:swap")
        c.expect(b"+OK\r\n")
        self.r.swapdb(0, 1)
        c.send("MULTI")
        c.expect(b"+OK\r\n")
        c.send("EXEC")
        c.expect(b"*-1\r\n")

    def test_watched_key_that_expires_fails_exec(self):
        # 1 s: the WATCH must come before the key expires (one already expired at WATCH is
        # just absent, in Redis too), even on a loaded machine.
        self.r.set("t:ttl", "v", px=1000)
        with self.r.pipeline() as p:
            p.watch("t:ttl")
            self.assertTrue(wait_until(lambda: self.r.exists("t:ttl") == 0))
            p.multi()
            p.set("t:other", "x")
            with self.assertRaises(redis.WatchError):
                p.execute()

    def test_optimistic_increments_race_to_the_exact_total(self):
        """Each thread increments by WATCH/GET/MULTI/SET/EXEC, retrying on WatchError: a lost
        update (EXEC applied over a write it did not see) would show in the total."""
        threads, per_thread = 4, 60
        retries = [0]
        lock = threading.Lock()

        def worker():
            r = self.srv.client()
            try:
                for _ in range(per_thread):
                    while True:
                        with r.pipeline() as p:
                            try:
                                p.watch("t:counter")
                                v = int(p.get("t:counter") or 0)
                                p.multi()
                                p.set("t:counter", v + 1)
                                p.execute()
                                break
                            except redis.WatchError:
                                with lock:
                                    retries[0] += 1
            finally:
                r.close()

        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(int(self.r.get("t:counter")), threads * per_thread)

    def test_exec_is_atomic_for_concurrent_readers(self):
        """A writer sets ten keys to the same generation in each EXEC; a reader's MGET must never
        see two generations at once."""
        keys = [f"t:atom:{i}" for i in range(10)]
        self.r.mset({k: 0 for k in keys})
        stop = threading.Event()
        mixed = []

        def reader():
            r = self.srv.client()
            try:
                while not stop.is_set():
                    values = r.mget(keys)
                    if len(set(values)) != 1:
                        mixed.append(values)
            finally:
                r.close()

        t = threading.Thread(target=reader)
        t.start()
        try:
            w = self.srv.client()
            for gen in range(1, 150):
                p = w.pipeline(transaction=True)
                for k in keys:
                    p.set(k, gen)
                p.execute()
            w.close()
        finally:
            stop.set()
            t.join()
        self.assertEqual(mixed, [])
        self.assertEqual(set(self.r.mget(keys)), {b"149"})

    # ---- pub/sub ----

    def test_pubsub_channels_and_patterns(self):
        p = self.r.pubsub()
        self.addCleanup(p.close)
        p.subscribe("ps:news")
        p.psubscribe("ps:n*", "ps:x?")
        kinds = [p.get_message(timeout=5)["type"] for _ in range(3)]
        self.assertEqual(kinds, ["subscribe", "psubscribe", "psubscribe"])
        self.assertEqual(self.r.publish("ps:news", "hello"), 2)
        m1 = p.get_message(timeout=5)
        m2 = p.get_message(timeout=5)
        self.assertEqual((m1["type"], m1["channel"], m1["data"]), ("message", b"ps:news", b"hello"))
        self.assertEqual((m2["type"], m2["pattern"], m2["channel"], m2["data"]),
                         ("pmessage", b"ps:n*", b"ps:news", b"hello"))
        self.assertEqual(self.r.publish("ps:xy", "z"), 1)
        self.assertEqual(p.get_message(timeout=5)["pattern"], b"ps:x?")
        self.assertEqual(self.r.publish("other:nobody", "z"), 0)
        self.assertEqual(self.r.pubsub_channels(), [b"ps:news"])
        self.assertEqual(self.r.pubsub_numsub("ps:news", "ps:zz"), [(b"ps:news", 1), (b"ps:zz", 0)])
        self.assertEqual(self.r.pubsub_numpat(), 2)
        p.punsubscribe()
        p.unsubscribe()
        self.assertTrue(wait_until(lambda: self.r.pubsub_numpat() == 0))
        self.assertEqual(self.r.pubsub_channels(), [])

    def test_many_subscribers(self):
        n = 60
        subs = []
        for i in range(n):
            c = self.raw()
            c.send("SUBSCRIBE", "ps:fan", f"ps:own{i}")
            c.expect(frame(b"*", "subscribe", "ps:fan", 1))
            c.expect(frame(b"*", "subscribe", f"ps:own{i}", 2))
            subs.append(c)
        for round_ in range(3):
            self.assertEqual(self.r.publish("ps:fan", f"m{round_}"), n)
        for c in subs:
            for round_ in range(3):
                c.expect(frame(b"*", "message", "ps:fan", f"m{round_}"))
        self.assertEqual(self.r.publish("ps:own7", "only"), 1)
        subs[7].expect(frame(b"*", "message", "ps:own7", "only"))

    def test_resp2_subscribed_mode(self):
        c = self.raw()
        c.send("SUBSCRIBE", "ps:a", "ps:b")
        c.expect(frame(b"*", "subscribe", "ps:a", 1) + frame(b"*", "subscribe", "ps:b", 2))
        c.send("GET", "k")
        c.expect(b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                 b"QUIT / RESET are allowed in this context\r\n")
        c.send("PSUBSCRIBE", "ps:*")
        c.expect(frame(b"*", "psubscribe", "ps:*", 3))
        c.send("UNSUBSCRIBE", "ps:a", "ps:nope")
        c.expect(frame(b"*", "unsubscribe", "ps:a", 2) + frame(b"*", "unsubscribe", "ps:nope", 2))
        c.send("PUNSUBSCRIBE")
        c.expect(frame(b"*", "punsubscribe", "ps:*", 1))
        c.send("UNSUBSCRIBE")
        c.expect(frame(b"*", "unsubscribe", "ps:b", 0))
        c.send("UNSUBSCRIBE")
        c.expect(b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n")
        c.send("GET", "k")
        c.expect(b"$-1\r\n")

    def test_resp3_pushes_and_commands_while_subscribed(self):
        c = self.raw()
        c.send("HELLO", "3")
        c.line()
        c.sock.settimeout(10)
        # Skip HELLO's map: read until a PING's reply shows up.
        c.send("PING")
        while c.line() != b"+PONG":
            pass
        c.send("SUBSCRIBE", "ps:r3")
        c.expect(frame(b">", "subscribe", "ps:r3", 1))
        c.send("SET", "ps:k", "v")  # any command works in RESP3
        c.expect(b"+OK\r\n")
        self.assertEqual(self.r.publish("ps:r3", "pushed"), 1)
        c.expect(frame(b">", "message", "ps:r3", "pushed"))
        c.send("UNSUBSCRIBE")
        c.expect(frame(b">", "unsubscribe", "ps:r3", 0))

    def test_redis_cli_resp3_subscriber(self):
        proc = subprocess.Popen(["redis-cli", "-3", "-h", "127.0.0.1", "-p", str(self.srv.port),
                                 "SUBSCRIBE", "ps:cli"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            self.assertTrue(wait_until(lambda: self.r.pubsub_numsub("ps:cli")[0][1] == 1))
            self.assertEqual(self.r.publish("ps:cli", "from python"), 1)
            lines = []
            deadline = time.monotonic() + 20
            while "from python" not in lines and time.monotonic() < deadline:
                lines.append(proc.stdout.readline().decode().rstrip("\n"))
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        self.assertEqual(lines[:6], ["subscribe", "ps:cli", "1", "message", "ps:cli", "from python"])

    # ---- MONITOR ----

    def test_monitor_lines(self):
        m = self.raw()
        m.send("MONITOR")
        m.expect(b"+OK\r\n")
        c = self.raw()
        for cmd in (("SET", "mon:k", "a b\n\"c\""), ("GET",), ("MULTI",), ("GET", "mon:k"),
                    ("EXEC",), ("AUTH", "secret"), ("SELECT", "2"), ("PING",)):
            c.send(*cmd)
            c.line()
            if cmd == ("EXEC",):
                c.line()
                c.line()
        pattern = re.compile(rb'^\+(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)$')
        seen = []
        for _ in range(7):
            mt = pattern.match(m.line())
            self.assertIsNotNone(mt)
            self.assertLess(abs(int(mt.group(1)) - time.time()), 600)
            seen.append((int(mt.group(3)), mt.group(5)))
        self.assertEqual(seen, [
            (0, b'"SET" "mon:k" "a b\\n\\"c\\""'),  # GET without its key: rejected, not shown
            (0, b'"MULTI"'),
            (0, b'"GET" "mon:k"'),
            (0, b'"EXEC"'),
            (0, b'"AUTH" "(redacted)"'),
            (2, b'"SELECT" "2"'),
            (2, b'"PING"'),
        ])


class SlowSubscriberTest(unittest.TestCase):
    def test_subscriber_that_never_reads_is_disconnected(self):
        with server_under_test(["--client-output-buffer-limit", "pubsub", "262144", "0", "0"]) as srv:
            slow = socket.create_connection(("127.0.0.1", srv.port))
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
            r = srv.client()
            self.assertTrue(wait_until(lambda: r.pubsub_numsub("slow")[0][1] == 1))
            payload = b"x" * 16384
            for _ in range(400):  # 6.5 MB: far over the limit and any socket buffers
                r.publish("slow", payload)
                if r.pubsub_numsub("slow")[0][1] == 0:
                    break
            self.assertTrue(wait_until(lambda: r.pubsub_numsub("slow")[0][1] == 0))
            self.assertTrue(r.ping())
            r.close()
            slow.close()


if __name__ == "__main__":
    unittest.main()
