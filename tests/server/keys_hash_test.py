"""Key, expiry and hash commands through python3-redis against a running larderd.

Run with Debian's /usr/bin/python3 (python3-redis). LARDER_TEST_REFERENCE=1 runs the same checks
against Debian's redis-server 7.0.15 instead, to confirm the expectations are Redis's.
"""
import os
import socket
import time
import unittest

import redis

from larderd import Larderd, RedisServer

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def make_server():
    if os.environ.get("LARDER_TEST_REFERENCE") == "1":
        return RedisServer()
    return Larderd()


def resp3_exchange(port, commands):
    """Sends raw commands after HELLO 3; returns the bytes after HELLO's reply settles."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        payload = b""
        for cmd in [["HELLO", "3"]] + commands + [["PING", "done"]]:
            payload += b"*%d\r\n" % len(cmd)
            for arg in cmd:
                arg = arg.encode()
                payload += b"$%d\r\n%s\r\n" % (len(arg), arg)
        s.sendall(payload)
        data = b""
        while not data.endswith(b"+done\r\n") and b"$4\r\ndone\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


class KeysHashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = make_server().start()
        cls.r = cls.server.client(decode_responses=True)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.server.__exit__(None, None, None)

    def setUp(self):
        for db in (0, 1):
            c = self.server.client(db=db)
            c.flushdb()
            c.close()

    def assertError(self, message, fn, *args):
        with self.assertRaises(redis.ResponseError) as ctx:
            fn(*args)
        self.assertEqual(str(ctx.exception), message)

    def test_generic_key_commands(self):
        r = self.r
        r.set("a", "1")
        r.hset("h", mapping={"f": "v"})
        self.assertEqual(r.exists("a", "a", "nokey", "h"), 3)
        self.assertEqual(r.type("a"), "string")
        self.assertEqual(r.type("h"), "hash")
        self.assertEqual(r.type("nokey"), "none")
        self.assertEqual(r.touch("a", "nokey"), 1)
        self.assertError("no such key", r.rename, "nokey", "b")
        self.assertTrue(r.rename("a", "b"))
        self.assertFalse(r.renamenx("b", "h"))
        self.assertTrue(r.copy("h", "h2"))
        self.assertFalse(r.copy("h", "h2"))
        self.assertTrue(r.copy("h", "h2", replace=True))
        self.assertTrue(r.copy("h", "h", destination_db=1))
        self.assertError("source and destination objects are the same", r.copy, "h", "h")
        self.assertTrue(r.move("b", 1))
        self.assertFalse(r.move("nokey", 1))
        self.assertError("DB index is out of range", r.move, "h", 99)
        self.assertEqual(sorted(r.keys("*")), ["h", "h2"])
        self.assertEqual(r.keys("h?"), ["h2"])
        self.assertIn(r.randomkey(), ("h", "h2"))
        self.assertEqual(r.delete("h", "h2", "nokey"), 2)
        self.assertEqual(r.unlink("h"), 0)
        self.assertIsNone(r.randomkey())
        r1 = self.server.client(db=1, decode_responses=True)
        self.assertEqual(r1.get("b"), "1")
        self.assertEqual(r1.hgetall("h"), {"f": "v"})
        r1.close()

    def test_scan_iterates_everything_once(self):
        r = self.r
        for i in range(500):
            r.set(f"s:{i}", i)
        for i in range(50):
            r.hset(f"h:{i}", "f", i)
        seen = list(r.scan_iter(count=37))
        self.assertEqual(len(seen), 550)
        self.assertEqual(len(set(seen)), 550)
        self.assertEqual(sorted(r.scan_iter(match="h:1*", count=100)),
                         sorted(f"h:{i}" for i in range(50) if str(i).startswith("1")))
        self.assertEqual(len(list(r.scan_iter(_type="hash", count=100))), 50)
        self.assertError("invalid cursor", r.execute_command, "SCAN", "x")
        self.assertError("syntax error", r.execute_command, "SCAN", "0", "COUNT", "0")

    def test_expiry(self):
        r = self.r
        r.set("k", "v")
        self.assertEqual(r.ttl("k"), -1)
        self.assertEqual(r.ttl("nokey"), -2)
        self.assertFalse(r.expire("k", 100, xx=True))
        self.assertTrue(r.expire("k", 100, nx=True))
        self.assertFalse(r.expire("k", 50, gt=True))
        self.assertTrue(r.expire("k", 50, lt=True))
        self.assertTrue(0 < r.pttl("k") <= 50000)
        at = int(time.time()) + 1000
        self.assertTrue(r.expireat("k", at))
        self.assertEqual(r.expiretime("k"), at)
        self.assertEqual(r.execute_command("PEXPIRETIME", "k"), at * 1000)
        self.assertTrue(r.persist("k"))
        self.assertFalse(r.persist("k"))
        self.assertError("NX and XX, GT or LT options at the same time are not compatible",
                         r.execute_command, "EXPIRE", "k", "1", "NX", "XX")
        self.assertError("invalid expire time in 'expire' command",
                         r.execute_command, "EXPIRE", "k", "9223372036854775807")
        self.assertTrue(r.pexpire("k", 30))
        time.sleep(0.3)  # well past the 30 ms expiry
        self.assertIsNone(r.get("k"))
        self.assertEqual(r.exists("k"), 0)
        r.set("gone", "v")
        self.assertTrue(r.expire("gone", -1))
        self.assertEqual(r.exists("gone"), 0)

    def test_object(self):
        r = self.r
        r.set("i", "12345")
        r.set("e", "x" * 44)
        r.set("w", "x" * 45)
        r.hset("h", "f", "v")
        self.assertEqual(r.object("encoding", "i"), "int")
        self.assertEqual(r.object("encoding", "e"), "embstr")
        self.assertEqual(r.object("encoding", "w"), "raw")
        self.assertEqual(r.object("encoding", "h"), "listpack")
        r.hset("h", "big", "x" * 100)
        self.assertEqual(r.object("encoding", "h"), "hashtable")
        self.assertIsNone(r.object("encoding", "nokey"))
        self.assertEqual(r.object("refcount", "e"), 1)
        self.assertGreaterEqual(r.object("idletime", "e"), 0)

    def test_hash_commands(self):
        r = self.r
        self.assertEqual(r.hset("h", mapping={"a": "1", "b": "2"}), 2)
        self.assertEqual(r.hset("h", "a", "10"), 0)
        self.assertFalse(r.hsetnx("h", "a", "x"))
        self.assertTrue(r.hsetnx("h", "c", "3"))
        self.assertEqual(r.hget("h", "a"), "10")
        self.assertEqual(r.hmget("h", ["a", "zz", "c"]), ["10", None, "3"])
        self.assertEqual(r.hgetall("h"), {"a": "10", "b": "2", "c": "3"})
        self.assertEqual(sorted(r.hkeys("h")), ["a", "b", "c"])
        self.assertEqual(sorted(r.hvals("h")), ["10", "2", "3"])
        self.assertEqual(r.hlen("h"), 3)
        self.assertEqual(r.hstrlen("h", "a"), 2)
        self.assertTrue(r.hexists("h", "b"))
        self.assertEqual(r.hincrby("h", "a", 5), 15)
        self.assertEqual(r.hincrbyfloat("h", "f", "10.5"), 10.5)
        self.assertEqual(r.hincrbyfloat("h", "f", "0.1"), 10.6)
        self.assertError("hash value is not an integer", r.hincrby, "h", "f", 1)
        self.assertEqual(r.hdel("h", "a", "b", "zz"), 2)
        r.set("s", "x")
        self.assertError(WRONGTYPE, r.hget, "s", "f")
        self.assertError(WRONGTYPE, r.hset, "s", "f", "v")
        self.assertError("wrong number of arguments for 'hset' command",
                         r.execute_command, "HSET", "h", "a")
        self.assertEqual(r.hdel("h", "c", "f"), 2)
        self.assertEqual(r.exists("h"), 0)

    def test_hrandfield_and_hscan(self):
        r = self.r
        fields = {f"f{i}": str(i) for i in range(300)}
        r.hset("big", mapping=fields)
        self.assertIn(r.hrandfield("big"), fields)
        picked = r.hrandfield("big", 10)
        self.assertEqual(len(picked), 10)
        self.assertEqual(len(set(picked)), 10)
        self.assertEqual(len(r.hrandfield("big", -1000)), 1000)
        pairs = r.hrandfield("big", 5, withvalues=True)
        self.assertEqual(len(pairs), 10)
        for f, v in zip(pairs[::2], pairs[1::2]):
            self.assertEqual(fields[f], v)
        self.assertIsNone(r.hrandfield("nokey"))
        self.assertEqual(r.hrandfield("nokey", 3), [])
        self.assertEqual(dict(r.hscan_iter("big", count=17)), fields)
        self.assertEqual(dict(r.hscan_iter("big", match="f1?", count=1000)),
                         {f"f{i}": str(i) for i in range(10, 20)})
        r.hset("small", mapping={"a": "1", "b": "2"})
        self.assertEqual(r.hscan("small"), (0, {"a": "1", "b": "2"}))

    def test_resp3_shapes(self):
        self.r.hset("h", mapping={"a": "1"})
        data = resp3_exchange(self.server.port, [["HGETALL", "h"], ["HGETALL", "nokey"],
                                                 ["HRANDFIELD", "h", "1", "WITHVALUES"],
                                                 ["HGET", "h", "zz"]])
        self.assertIn(b"%1\r\n$1\r\na\r\n$1\r\n1\r\n%0\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n_\r\n",
                      data)


if __name__ == "__main__":
    unittest.main()
