"""String and bitmap commands through python3-redis against a running larderd (RESP2 and RESP3),
and the data surviving a restart. The command-by-command checks are the unit tests beside the
handlers (src/server/*_test.cc); this checks the path through the real server.

Run: LARDER_BIN_DIR=build/bin /usr/bin/python3 -m unittest -v strings_test (from tests/server);
with LARDER_TEST_SERVER=redis it checks itself against redis-server.
"""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from larderd import RedisServer, ServerTestCase  # noqa: E402

import redis  # noqa: E402


class StringsTest(ServerTestCase):
    def test_set_get_options(self):
        r = self.r
        self.assertTrue(r.set("k", "v"))
        self.assertEqual(r.get("k"), b"v")
        self.assertIsNone(r.set("k", "w", nx=True))
        self.assertEqual(r.set("k", "w", get=True), b"v")
        self.assertTrue(r.set("k", "x", px=100000))
        self.assertGreater(r.pttl("k"), 0)
        self.assertEqual(r.getex("k", persist=True), b"x")
        self.assertEqual(r.ttl("k"), -1)
        with self.assertRaisesRegex(redis.ResponseError, "^syntax error$"):
            r.execute_command("SET", "k", "v", "NX", "XX")
        with self.assertRaisesRegex(redis.ResponseError, "invalid expire time in 'set' command"):
            r.execute_command("SET", "k", "v", "EX", "0")
        r.hset("h", "f", "v")
        with self.assertRaisesRegex(redis.ResponseError, "^WRONGTYPE"):
            r.get("h")

    def test_multi_key_and_counters(self):
        r = self.r
        self.assertTrue(r.mset({"a": "1", "b": "2"}))
        self.assertEqual(r.mget("a", "missing", "b"), [b"1", None, b"2"])
        self.assertFalse(r.msetnx({"a": "9", "c": "3"}))
        self.assertEqual(r.incr("a"), 2)
        self.assertEqual(r.decrby("a", 5), -3)
        self.assertEqual(r.incrbyfloat("f", "10.5"), 10.5)
        self.assertEqual(r.get("f"), b"10.5")
        self.assertEqual(r.append("s", "Hello "), 6)
        self.assertEqual(r.append("s", "World"), 11)
        self.assertEqual(r.getrange("s", -5, -1), b"World")
        self.assertEqual(r.setrange("s", 13, "!"), 14)
        self.assertEqual(r.get("s"), b"Hello World\x00\x00!")
        self.assertEqual(r.strlen("s"), 14)

    def test_bits(self):
        r = self.r
        self.assertEqual(r.setbit("b", 7, 1), 0)
        self.assertEqual(r.getbit("b", 7), 1)
        r.set("foo", "foobar")
        self.assertEqual(r.bitcount("foo"), 26)
        self.assertEqual(r.execute_command("BITCOUNT", "foo", "5", "30", "BIT"), 17)
        self.assertEqual(r.bitpos("b", 1), 7)
        self.assertEqual(r.bitop("XOR", "d", "b", "foo"), 6)
        self.assertEqual(r.bitfield("bf").set("u8", 0, 255).incrby("u8", 0, 10).execute(), [0, 9])
        self.assertEqual(r.execute_command("BITFIELD_RO", "bf", "GET", "u8", "0"), [9])

    def test_lcs_resp3_map(self):
        r = self.r
        r.mset({"a": "ohmytext", "b": "mynewtext"})
        self.assertEqual(r.execute_command("LCS", "a", "b"), b"mytext")
        resp2 = r.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", "4")
        self.assertEqual(resp2, [b"matches", [[[4, 7], [5, 8]]], b"len", 6])
        # python3-redis 4.3 speaks RESP2 only: RESP3 through a raw socket.
        want = (b"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
                b"$3\r\nlen\r\n:6\r\n")
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=30) as s:
            s.sendall(b"HELLO 3\r\nPING\r\nLCS a b IDX MINMATCHLEN 4\r\n")
            got = b""
            while not got.endswith(want) and len(got) < 65536:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        self.assertTrue(got.endswith(b"+PONG\r\n" + want), got)

    def test_values_survive_a_restart(self):
        if isinstance(self.srv, RedisServer):
            self.skipTest("the reference redis-server runs without persistence")
        r = self.r
        r.set("k", "v" * 1000)
        r.setbit("bits", 100, 1)
        r.set("t", "x", ex=1000)
        r.close()
        self.srv.stop()
        self.srv.start()
        self.r = self.srv.client()
        self.assertEqual(self.r.get("k"), b"v" * 1000)
        self.assertEqual(self.r.getbit("bits", 100), 1)
        self.assertGreater(self.r.ttl("t"), 990)


if __name__ == "__main__":
    unittest.main()
