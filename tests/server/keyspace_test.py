"""larderd's data model through a running server (python3-redis): DBSIZE, FLUSHDB, FLUSHALL,
SWAPDB, expiry (lazy and active), data and TTLs across a clean restart and a kill -9, a huge
hash deleted at once, binary keys, the directory lock, and `larder check` on the data file after
each test. The encoding itself is tested in src/server/*_test.cc and tests/keyspace_model_test.cc.

Run: LARDER_BIN_DIR=build/bin /usr/bin/python3 -m unittest -v keyspace_test (from tests/server).
"""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from larderd import LARDER_BIN_DIR, Larderd  # noqa: E402

import redis  # noqa: E402


class KeyspaceTest(unittest.TestCase):
    def setUp(self):
        self.srv = Larderd(args=["--appendfsync", "always"]).start()
        self.r = self.srv.client()

    def tearDown(self):
        self.r.close()
        try:
            self.srv.stop()  # checks the data file (`larder check` or `larder lsm check`)
        finally:
            self.srv.__exit__(None, None, None)

    def restart(self, kill=False):
        self.r.close()
        if kill:
            self.srv.kill9()
        else:
            self.srv.stop()
        self.srv.start()
        self.r = self.srv.client()

    def test_dbsize_flush_swap(self):
        r = self.r
        r.mset({"a": 1, "b": 2})
        r.hset("h", mapping={"f1": "v1", "f2": "v2"})
        self.assertEqual(r.dbsize(), 3)
        r1 = self.srv.client(db=1)
        r1.set("x", "y")
        self.assertTrue(r.swapdb(0, 1))
        self.assertEqual(r.dbsize(), 1)
        self.assertEqual(r1.dbsize(), 3)
        self.assertTrue(r1.flushdb(asynchronous=True))
        self.assertEqual(r1.dbsize(), 0)
        self.assertEqual(r.get("x"), b"y")
        self.assertTrue(r.flushall())
        self.assertEqual(r.dbsize(), 0)
        self.assertEqual(r.keys("*"), [])
        with self.assertRaises(redis.ResponseError):
            r.execute_command("FLUSHDB", "LATER")
        with self.assertRaises(redis.ResponseError):
            r.swapdb(0, 16)
        r1.close()

    def test_expiry_lazy_active_and_info(self):
        r = self.r
        # "short" gets its 50 ms only after INFO: on a loaded machine the SETs' fsyncs could
        # outlast it, and the cron would remove it before the count.
        r.set("short", "v", ex=1000)
        r.set("long", "v", ex=1000)
        r.set("plain", "v")
        self.assertEqual(r.info("keyspace")["db0"]["expires"], 2)
        self.assertTrue(r.pexpire("short", 50))
        time.sleep(0.2)
        self.assertIsNone(r.get("short"))
        self.assertEqual(sorted(r.keys("*")), [b"long", b"plain"])
        for i in range(50):
            r.set(f"k{i}", "v", px=20)
        deadline = time.monotonic() + 10
        while r.dbsize() > 2 and time.monotonic() < deadline:  # the cron's active expiry
            time.sleep(0.05)
        self.assertEqual(r.dbsize(), 2)

    def test_data_and_ttls_survive_restarts(self):
        r = self.r
        r.set("s", "v", ex=1000)
        r.hset("h", "f", "v")
        r.set(b"bin\x00\xff", b"\x00")
        r.set(b"", b"empty key")
        self.restart()
        self.assertEqual(self.r.get("s"), b"v")
        self.assertGreater(self.r.ttl("s"), 990)
        self.assertEqual(self.r.get(b"bin\x00\xff"), b"\x00")
        self.assertEqual(self.r.get(b""), b"empty key")
        self.r.set("after", "restart")
        self.r.delete("h")
        self.restart(kill=True)  # acknowledged writes are in the log
        self.assertEqual(self.r.get("after"), b"restart")
        self.assertEqual(self.r.exists("h"), 0)
        self.assertGreater(self.r.ttl("s"), 990)
        self.assertEqual(self.r.dbsize(), 4)

    def test_huge_hash_delete_returns_at_once(self):
        r = self.r
        p = r.pipeline(transaction=False)
        for i in range(0, 100000, 1000):
            p.hset("big", mapping={f"f{j}": "v" for j in range(i, i + 1000)})
        p.execute()
        self.assertEqual(r.hlen("big"), 100000)
        self.assertEqual(r.delete("big"), 1)
        self.assertEqual(r.exists("big"), 0)
        self.assertEqual(r.dbsize(), 0)
        r.hset("big", "new", "v")  # a new hash under the same name sees none of the old members
        self.assertEqual(r.hgetall("big"), {b"new": b"v"})

    def test_second_server_on_the_same_dir_fails(self):
        binary = os.path.join(LARDER_BIN_DIR, "larderd")
        out = subprocess.run([binary, "--port", "0", "--dir", os.path.join(self.srv.dir, "data")],
                             capture_output=True, text=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("in use by another process", out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
