"""Blocked clients against a running larderd (or, with LARDER_TEST_SERVER=redis, against Debian's
redis-server 7.0.15, which checks the tests themselves): several clients blocked in BLPOP served
first come first served, several keys, timeouts (short ones included), CLIENT UNBLOCK, a blocked
client killed or disconnected (the element stays), commands pipelined after a BLPOP, MULTI/EXEC,
CLIENT LIST's flag b and INFO blocked_clients, and redis-cli as a blocked client.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from larderd import ServerTestCase  # noqa: E402


class Raw:
    """A raw RESP connection: commands out, exact bytes in."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""

    @staticmethod
    def encode(*args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        return out

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

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

    def nothing_within(self, seconds):
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(65536)
            self.buf += data
            return False
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(20)

    def close(self):
        self.sock.close()


def pair(key, value):
    return b"*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key.encode(), len(value),
                                                 value.encode())


NULL_ARRAY = b"*-1\r\n"


class BlockingTest(ServerTestCase):
    def blocked(self):
        return int(self.r.info("clients")["blocked_clients"])

    def wait_blocked(self, n, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.blocked() == n:
                return
            time.sleep(0.01)
        self.fail(f"blocked_clients never reached {n} (now {self.blocked()})")

    def raw(self):
        c = Raw(self.srv.port)
        self.addCleanup(c.close)
        return c

    def test_clients_are_served_in_the_order_they_blocked(self):
        clients = []
        for i in range(6):
            c = self.raw()
            c.send("BLPOP", "q", "0")
            self.wait_blocked(i + 1)
            clients.append(c)
        self.assertEqual(self.r.rpush("q", *[str(i) for i in range(4)]), 4)
        for i in range(4):
            clients[i].expect(pair("q", str(i)))
        self.wait_blocked(2)
        self.assertTrue(clients[4].nothing_within(0.1))
        self.r.lpush("q", "x")
        clients[4].expect(pair("q", "x"))
        self.r.rpush("q", "y")
        clients[5].expect(pair("q", "y"))
        self.assertEqual(self.r.llen("q"), 0)

    def test_several_keys(self):
        a, b = self.raw(), self.raw()
        a.send("BLPOP", "k1", "k2", "0")
        self.wait_blocked(1)
        b.send("BRPOP", "k2", "0")
        self.wait_blocked(2)
        self.r.rpush("k2", "x", "y")
        a.expect(pair("k2", "x"))
        b.expect(pair("k2", "y"))
        self.r.rpush("k1", "z")  # nobody waits on k1 any more
        self.assertEqual(self.r.lrange("k1", 0, -1), [b"z"])
        # A key that exists with elements serves at once, in the order the keys were given.
        self.r.rpush("k2", "w")
        a.send("BLPOP", "k2", "k1", "0")
        a.expect(pair("k2", "w"))

    def test_timeouts(self):
        for timeout in ("0.01", "0.001", "0.2"):
            start = time.monotonic()
            self.assertIsNone(self.r.blpop("nothing", float(timeout)))
            self.assertGreaterEqual(time.monotonic() - start, float(timeout) * 0.9)
        # Many clients with short timeouts, each answered; then nothing is blocked.
        clients = [self.raw() for _ in range(20)]
        for i, c in enumerate(clients):
            c.send("BLPOP", "nothing", "0.0%d" % (i % 5 + 1))
        for c in clients:
            c.expect(NULL_ARRAY)
        self.assertEqual(self.blocked(), 0)
        # A negative timeout is an error.
        with self.assertRaisesRegex(Exception, "timeout is negative"):
            self.r.blpop("nothing", -1)

    def test_client_unblock(self):
        c = self.raw()
        c.send("CLIENT", "ID")
        line = c.read_exact(3)
        while not line.endswith(b"\r\n"):
            line += c.read_exact(1)
        cid = int(line[1:-2])
        c.send("BLPOP", "k", "0")
        self.wait_blocked(1)
        self.assertEqual(self.r.execute_command("CLIENT", "UNBLOCK", cid), 1)
        c.expect(NULL_ARRAY)
        c.send("BLPOP", "k", "0")
        self.wait_blocked(1)
        self.assertEqual(self.r.execute_command("CLIENT", "UNBLOCK", cid, "TIMEOUT"), 1)
        c.expect(NULL_ARRAY)
        c.send("BLPOP", "k", "0")
        self.wait_blocked(1)
        self.assertEqual(self.r.execute_command("CLIENT", "UNBLOCK", cid, "ERROR"), 1)
        c.expect(b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
        self.assertEqual(self.r.execute_command("CLIENT", "UNBLOCK", cid), 0)  # not blocked
        with self.assertRaisesRegex(Exception, "not an integer"):
            self.r.execute_command("CLIENT", "UNBLOCK", "asd")
        with self.assertRaisesRegex(Exception, "TIMEOUT or ERROR"):
            self.r.execute_command("CLIENT", "UNBLOCK", cid, "LATER")
        c.send("PING")
        c.expect(b"+PONG\r\n")

    def test_killed_or_disconnected_blocked_client_loses_nothing(self):
        a, b = self.raw(), self.raw()
        a.send("CLIENT", "SETNAME", "victim")
        a.expect(b"+OK\r\n")
        a.send("BLPOP", "k", "0")
        self.wait_blocked(1)
        victim = [c["id"] for c in self.r.client_list() if c.get("name") == "victim"][0]
        self.assertEqual(self.r.client_kill_filter(_id=victim), 1)
        self.wait_blocked(0)
        self.r.rpush("k", "v1")
        self.assertEqual(self.r.lrange("k", 0, -1), [b"v1"])
        self.r.delete("k")
        b.send("BLPOP", "k", "0")
        self.wait_blocked(1)
        b.close()
        self.wait_blocked(0)
        self.r.rpush("k", "v2")
        self.assertEqual(self.r.lrange("k", 0, -1), [b"v2"])

    def test_commands_pipelined_after_a_blocking_one_wait(self):
        c = self.raw()
        c.sock.sendall(Raw.encode("BLPOP", "k", "0") + Raw.encode("PING") +
                       Raw.encode("LLEN", "k") + Raw.encode("SET", "x", "1"))
        self.wait_blocked(1)
        self.assertTrue(c.nothing_within(0.1))
        self.assertIsNone(self.r.get("x"))  # not run yet
        self.r.rpush("k", "a", "b")
        c.expect(pair("k", "a") + b"+PONG\r\n:1\r\n+OK\r\n")
        self.assertEqual(self.r.get("x"), b"1")

    def test_blocking_inside_multi_replies_at_once(self):
        p = self.r.pipeline(transaction=True)
        p.blpop("k", 0)
        p.rpush("k", "v")
        self.assertEqual(p.execute(), [None, 1])
        self.r.delete("k")
        # EXEC is served as a whole: an LPUSH undone by a DEL in one transaction serves nobody.
        c = self.raw()
        c.send("BLPOP", "k", "0")
        self.wait_blocked(1)
        p = self.r.pipeline(transaction=True)
        p.lpush("k", "a")
        p.delete("k")
        p.execute()
        self.assertTrue(c.nothing_within(0.1))
        self.r.lpush("k", "b")
        c.expect(pair("k", "b"))

    def test_client_list_flag_and_info(self):
        c = self.raw()
        c.send("CLIENT", "SETNAME", "waiter")
        c.expect(b"+OK\r\n")
        c.send("BLPOP", "k", "0")
        self.wait_blocked(1)
        info = [x for x in self.r.client_list() if x.get("name") == "waiter"][0]
        self.assertIn("b", info["flags"])
        self.assertEqual(info["cmd"], "blpop")
        self.r.rpush("k", "v")
        c.expect(pair("k", "v"))
        self.wait_blocked(0)
        info = [x for x in self.r.client_list() if x.get("name") == "waiter"][0]
        self.assertNotIn("b", info["flags"])

    @unittest.skipIf(shutil.which("redis-cli") is None, "redis-cli not installed")
    def test_redis_cli_blocked_then_served(self):
        proc = subprocess.Popen(["redis-cli", "-p", str(self.srv.port), "BLPOP", "cli", "20"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            self.wait_blocked(1)
            self.r.rpush("cli", "hello")
            out, _ = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(out.decode().split(), ["cli", "hello"])


if __name__ == "__main__":
    unittest.main()
