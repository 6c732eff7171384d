"""larderd's TS.* commands (docs/server.md, "Time series"; issue 18) through python3-redis's
execute_command and redis-cli, TS.DEL and out-of-order TS.ADD (counts, policies, GET/INFO, rules'
buckets recomputed, restart and kill -9),
TYPE, the range options EMPTY, BUCKETTIMESTAMP, LATEST, twa, std.s and var.s, and durability: a clean SIGTERM loses nothing, a kill -9
loses at most the engine's hot-log interval (1 s) of the newest samples and never leaves a gap;
labels, retention, policies and rules survive both. A bad ts-dir stops larderd with exit 1.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import os
import shutil
import subprocess
import time
import unittest

import redis

from larderd import Larderd


def cli(srv, *args):
    res = subprocess.run(["redis-cli", "-p", str(srv.port)] + [str(a) for a in args],
                         capture_output=True, timeout=30)
    return res.stdout.decode().strip()


def ts_range(r, key):
    return [(int(t), float(v)) for t, v in r.execute_command("TS.RANGE", key, "-", "+")]


class TsCommandsTest(unittest.TestCase):
    def test_commands_replies_and_errors(self):
        with Larderd(args=["--ts-disk-space-mb", "8"]) as srv:
            r = srv.client()
            self.assertEqual(r.execute_command("TS.CREATE", "temp", "RETENTION", 0, "LABELS",
                                               "room", "kitchen", "kind", "temp"), b"OK")
            with self.assertRaisesRegex(redis.ResponseError, "TSDB: key already exists"):
                r.execute_command("TS.CREATE", "temp")
            self.assertEqual(r.execute_command("TS.ADD", "temp", 1000, 21.5), 1000)
            self.assertEqual(r.execute_command("TS.MADD", "temp", 2000, 22.25, "temp", 3000, 20),
                             [2000, 3000])
            now = r.execute_command("TS.ADD", "auto", "*", 1)
            self.assertGreater(now, 1_600_000_000_000)
            with self.assertRaisesRegex(redis.ResponseError, "TSDB: the key does not exist"):
                r.execute_command("TS.GET", "missing")
            with self.assertRaisesRegex(redis.ResponseError, "TSDB: invalid timestamp"):
                r.execute_command("TS.ADD", "temp", "soon", 1)
            self.assertEqual(r.execute_command("TS.GET", "temp"), [3000, b"20"])
            self.assertEqual(r.execute_command("TS.RANGE", "temp", "-", "+", "AGGREGATION",
                                               "max", 2000),
                             [[0, b"21.5"], [2000, b"22.25"]])
            self.assertEqual(r.execute_command("TS.REVRANGE", "temp", 0, 2500),
                             [[2000, b"22.25"], [1000, b"21.5"]])
            r.execute_command("TS.CREATE", "hum", "LABELS", "room", "kitchen", "kind", "hum")
            r.execute_command("TS.ADD", "hum", 1000, 40)
            self.assertEqual(r.execute_command("TS.QUERYINDEX", "room=kitchen"),
                             [b"hum", b"temp"])
            self.assertEqual(r.execute_command("TS.MGET", "FILTER", "room=kitchen", "kind!=hum"),
                             [[b"temp", [], [3000, b"20"]]])
            grouped = r.execute_command("TS.MRANGE", 0, 1000, "FILTER", "room=kitchen",
                                        "GROUPBY", "room", "REDUCE", "sum")
            self.assertEqual(grouped[0][0], b"room=kitchen")
            self.assertEqual(grouped[0][2], [[1000, b"61.5"]])
            info = r.execute_command("TS.INFO", "temp")
            fields = dict(zip(info[0::2], info[1::2]))
            self.assertEqual(fields[b"totalSamples"], 3)
            self.assertEqual(fields[b"labels"], [[b"room", b"kitchen"], [b"kind", b"temp"]])
            self.assertEqual(r.execute_command("CONFIG", "GET", "ts-disk-space-mb"),
                             [b"ts-disk-space-mb", b"8"])
            # Series live beside the keyspace; TYPE names them.
            self.assertEqual(r.execute_command("EXISTS", "temp"), 0)
            if shutil.which("redis-cli"):
                self.assertEqual(cli(srv, "TS.ADD", "temp", 4000, 19), "4000")
                self.assertEqual(cli(srv, "TS.GET", "temp"), "4000\n19")
                self.assertIn("TSDB: the key does not exist", cli(srv, "TS.INFO", "nope"))

    def test_del_type_and_range_options(self):
        with Larderd(args=["--ts-disk-space-mb", "8"]) as srv:
            r = srv.client()
            for t in range(1, 101):
                r.execute_command("TS.ADD", "d", t, t)
            self.assertEqual(r.execute_command("TS.DEL", "d", 10, 19), 10)
            self.assertEqual(r.execute_command("TS.DEL", "d", 15, 25), 6)  # 10..14 gone already
            self.assertEqual(r.execute_command("TS.DEL", "d", 95, "+"), 6)
            self.assertEqual(r.execute_command("TS.DEL", "d", 95, "+"), 0)
            with self.assertRaisesRegex(redis.ResponseError, "TSDB: the key does not exist"):
                r.execute_command("TS.DEL", "nope", 0, 1)
            with self.assertRaisesRegex(redis.ResponseError, "TSDB: wrong fromTimestamp"):
                r.execute_command("TS.DEL", "d", "x", 1)
            want = [t for t in range(1, 95) if not 10 <= t <= 25]
            self.assertEqual([t for t, _ in ts_range(r, "d")], want)
            self.assertEqual(r.execute_command("TS.GET", "d"), [94, b"94"])
            fields = dict(zip(*[iter(r.execute_command("TS.INFO", "d"))] * 2))
            self.assertEqual((fields[b"totalSamples"], fields[b"firstTimestamp"],
                              fields[b"lastTimestamp"]), (len(want), 1, 94))
            self.assertEqual(r.execute_command("TS.ADD", "d", 101, 101), 101)
            # Out of order: into a deleted range, and over a stored sample per DUPLICATE_POLICY.
            self.assertEqual(r.execute_command("TS.ADD", "d", 12, 12), 12)
            with self.assertRaisesRegex(redis.ResponseError, "BLOCK mode"):
                r.execute_command("TS.ADD", "d", 30, 1)
            self.assertEqual(r.execute_command("TS.ADD", "d", 30, 5, "ON_DUPLICATE", "SUM"), 30)
            self.assertEqual(r.execute_command("TS.RANGE", "d", 30, 30), [[30, b"35"]])
            want = sorted(want + [12])
            self.assertEqual(r.execute_command("TYPE", "d"), b"TSDB-TYPE")
            self.assertEqual(r.execute_command("TYPE", "nothing"), b"none")

            # Rules: the destination loses the buckets a deletion touches; LATEST shows the
            # source's open bucket.
            r.execute_command("TS.CREATE", "src")
            r.execute_command("TS.CREATE", "dst")
            r.execute_command("TS.CREATERULE", "src", "dst", "AGGREGATION", "sum", 10)
            for t in range(1, 26):
                r.execute_command("TS.ADD", "src", t, 1)
            self.assertEqual(r.execute_command("TS.GET", "dst"), [10, b"10"])
            self.assertEqual(r.execute_command("TS.GET", "dst", "LATEST"), [20, b"6"])
            self.assertEqual(r.execute_command("TS.RANGE", "dst", "-", "+", "LATEST"),
                             [[0, b"9"], [10, b"10"], [20, b"6"]])
            self.assertEqual(r.execute_command("TS.MGET", "LATEST", "FILTER", "x=y"), [])
            # A deletion or a late sample recomputes the closed buckets it touches.
            self.assertEqual(r.execute_command("TS.DEL", "src", 12, 13), 2)
            self.assertEqual(r.execute_command("TS.RANGE", "dst", "-", "+"),
                             [[0, b"9"], [10, b"8"]])
            self.assertEqual(r.execute_command("TS.ADD", "src", 12, 5), 12)
            self.assertEqual(r.execute_command("TS.DEL", "src", 1, 9), 9)
            self.assertEqual(r.execute_command("TS.RANGE", "dst", "-", "+"), [[10, b"13"]])

            # twa, EMPTY, BUCKETTIMESTAMP, std.s/var.s (RedisTimeSeries 1.8's documented results).
            for t in (12, 15, 19, 22):
                r.execute_command("TS.ADD", "w", t, t)
            self.assertEqual(r.execute_command("TS.RANGE", "w", "-", "+", "AGGREGATION", "twa", 10),
                             [[10, b"16"], [20, b"21"]])
            self.assertEqual(r.execute_command("TS.RANGE", "w", "-", "+", "AGGREGATION", "max", 10,
                                               "BUCKETTIMESTAMP", "+"), [[20, b"19"], [30, b"22"]])
            self.assertEqual(r.execute_command("TS.RANGE", "w", "-", "+", "AGGREGATION", "max", 10,
                                               "BUCKETTIMESTAMP", "~"), [[15, b"19"], [25, b"22"]])
            var_s = r.execute_command("TS.RANGE", "w", 0, 19, "AGGREGATION", "var.s", 10)
            self.assertAlmostEqual(float(var_s[0][1]), 37 / 3)
            std_s = r.execute_command("TS.RANGE", "w", 0, 19, "AGGREGATION", "std.s", 10)
            self.assertAlmostEqual(float(std_s[0][1]) ** 2, 37 / 3)
            r.execute_command("TS.ADD", "g", 10, 34)
            r.execute_command("TS.ADD", "g", 95, 34)
            self.assertEqual(r.execute_command("TS.RANGE", "g", 20, 90, "AGGREGATION", "twa", 10,
                                               "EMPTY"), [[t, b"34"] for t in range(20, 100, 10)])
            self.assertEqual(r.execute_command("TS.RANGE", "g", 20, 90, "AGGREGATION", "sum", 10,
                                               "EMPTY"), [])
            counts = r.execute_command("TS.RANGE", "g", "-", "+", "AGGREGATION", "count", 10,
                                       "EMPTY")
            self.assertEqual(counts, [[t, b"1" if t in (10, 90) else b"0"]
                                      for t in range(10, 100, 10)])
            avgs = r.execute_command("TS.RANGE", "g", "-", "+", "AGGREGATION", "avg", 10, "EMPTY")
            self.assertEqual([v for _, v in avgs], [b"34"] + [b"nan"] * 7 + [b"34"])
            with self.assertRaisesRegex(redis.ResponseError, "EMPTY is only supported"):
                r.execute_command("TS.RANGE", "g", "-", "+", "EMPTY")

            # Deletions survive a kill -9 (after the hot log's timer) and a restart.
            time.sleep(1.6)
            srv.kill9()
            srv.start()
            r = srv.client()
            self.assertEqual([t for t, _ in ts_range(r, "d")], want + [101])
            self.assertEqual(r.execute_command("TS.RANGE", "d", 30, 30), [[30, b"35"]])
            self.assertEqual(r.execute_command("TS.RANGE", "dst", "-", "+"), [[10, b"13"]])
            self.assertEqual(r.execute_command("TYPE", "d"), b"TSDB-TYPE")
            self.assertEqual(srv.stop(), 0)
            srv.start()
            r = srv.client()
            self.assertEqual([t for t, _ in ts_range(r, "d")], want + [101])
            self.assertEqual(r.execute_command("TS.DEL", "d", "-", "+"), len(want) + 1)
            self.assertEqual(r.execute_command("TS.GET", "d"), [])
            self.assertEqual(srv.stop(), 0)

    def test_del_drops_a_series(self):
        with Larderd() as srv:
            r = srv.client()
            r.execute_command("TS.CREATE", "gone", "LABELS", "team", "a")
            r.execute_command("TS.CREATE", "down", "LABELS", "team", "a")
            r.execute_command("TS.CREATE", "up")
            r.execute_command("TS.CREATERULE", "gone", "down", "AGGREGATION", "sum", 10)
            r.execute_command("TS.CREATERULE", "up", "gone", "AGGREGATION", "max", 10)
            for t in range(1, 40):
                r.execute_command("TS.ADD", "gone", t, t)
            r.execute_command("SET", "plain", "x")
            self.assertEqual(r.execute_command("DEL", "gone", "plain", "nokey"), 2)
            self.assertEqual(r.execute_command("UNLINK", "gone"), 0)
            with self.assertRaisesRegex(redis.ResponseError, "TSDB: the key does not exist"):
                r.execute_command("TS.GET", "gone")
            self.assertEqual(r.execute_command("TYPE", "gone"), b"none")
            self.assertEqual(r.execute_command("TS.QUERYINDEX", "team=a"), [b"down"])
            # The rule into it went with it; the one out of it too.
            info = r.execute_command("TS.INFO", "up")
            self.assertEqual(dict(zip(info[0::2], info[1::2]))[b"rules"], [])
            self.assertEqual(r.execute_command("TS.CREATE", "gone"), b"OK")
            self.assertEqual(ts_range(r, "gone"), [])
            for t in (5, 15):  # a rule left in "up" would write bucket 0 into the new "gone"
                r.execute_command("TS.ADD", "up", t, t)
            r.execute_command("TS.ADD", "gone", 100, 1)
            r.execute_command("TS.ADD", "gone", 200, 2)
            self.assertEqual([t for t, _ in ts_range(r, "down")], [0, 10, 20])
            self.assertEqual(r.execute_command("UNLINK", "down"), 1)
            self.assertEqual(srv.stop(), 0)
            srv.start()
            r = srv.client()
            self.assertEqual(ts_range(r, "gone"), [(100, 1.0), (200, 2.0)])
            self.assertEqual(r.execute_command("TS.QUERYINDEX", "team=a"), [])
            self.assertEqual(r.execute_command("TYPE", "down"), b"none")
            info = r.execute_command("TS.INFO", "gone")
            fields = dict(zip(info[0::2], info[1::2]))
            self.assertEqual((fields[b"labels"], fields[b"rules"]), ([], []))
            self.assertEqual(r.execute_command("TS.CREATE", "down"), b"OK")
            self.assertEqual(ts_range(r, "down"), [])

            # A crash after the engine's drop and before the metadata's: the old metadata file
            # put back; start-up removes what names the missing series (labels, rules into it).
            r.execute_command("TS.CREATE", "x", "LABELS", "team", "b")
            r.execute_command("TS.CREATERULE", "gone", "x", "AGGREGATION", "avg", 10)
            self.assertEqual(srv.stop(), 0)
            meta = os.path.join(srv.data_dir(), "dbengine", "larderd-series.meta")
            shutil.copy(meta, meta + ".old")
            srv.start()
            self.assertEqual(srv.client().execute_command("DEL", "x"), 1)
            self.assertEqual(srv.stop(), 0)
            os.replace(meta + ".old", meta)
            srv.start()
            r = srv.client()
            self.assertEqual(r.execute_command("TS.QUERYINDEX", "team=b"), [])
            info = r.execute_command("TS.INFO", "gone")
            self.assertEqual(dict(zip(info[0::2], info[1::2]))[b"rules"], [])
            self.assertEqual(srv.stop(), 0)

    def test_restarts_keep_samples_and_metadata(self):
        with Larderd() as srv:
            r = srv.client()
            r.execute_command("TS.CREATE", "src", "DUPLICATE_POLICY", "FIRST", "LABELS", "a", "1")
            r.execute_command("TS.CREATE", "down")
            r.execute_command("TS.CREATERULE", "src", "down", "AGGREGATION", "sum", 100)
            for t in range(1, 301):
                r.execute_command("TS.ADD", "src", t, t % 7)
            want = ts_range(r, "src")
            self.assertEqual(srv.stop(), 0)  # SIGTERM: nothing lost
            srv.start()
            r = srv.client()
            self.assertEqual(ts_range(r, "src"), want)
            self.assertEqual(r.execute_command("TS.QUERYINDEX", "a=1"), [b"src"])
            self.assertEqual(r.execute_command("TS.ADD", "src", 300, 99), 300)  # FIRST kept
            self.assertEqual(r.execute_command("TS.ADD", "src", 301, 1), 301)
            self.assertEqual([t for t, _ in ts_range(r, "down")], [0, 100, 200])

            # kill -9 after the hot log's 1 s timer has run: nothing acknowledged is lost.
            for t in range(302, 501):
                r.execute_command("TS.ADD", "src", t, t)
            time.sleep(1.6)
            srv.kill9()
            srv.start()
            r = srv.client()
            got = ts_range(r, "src")
            self.assertEqual(got[-1], (500, 500.0))
            # kill -9 right after adding: at most the newest second is lost, never a gap.
            for t in range(501, 701):
                r.execute_command("TS.ADD", "src", t, t)
            srv.kill9()
            srv.start()
            r = srv.client()
            got = ts_range(r, "src")
            times = [t for t, _ in got]
            self.assertEqual(times, list(range(1, len(times) + 1)))
            self.assertGreaterEqual(times[-1], 500)
            info = r.execute_command("TS.INFO", "src")
            self.assertEqual(dict(zip(info[0::2], info[1::2]))[b"labels"], [[b"a", b"1"]])
            self.assertEqual(srv.stop(), 0)
            # The engine's files pass `larder ts check` after the kills and the clean stop.
            res = subprocess.run([srv.larder, "ts", "check", os.path.join(srv.data_dir(),
                                                                         "dbengine")],
                                 capture_output=True, timeout=60)
            self.assertEqual((res.returncode, res.stdout.strip()), (0, b"OK"), res.stderr)

    def test_bad_ts_dir_stops_the_start(self):
        srv = Larderd()
        try:
            blocker = os.path.join(srv.dir, "file")
            with open(blocker, "w") as f:
                f.write("not a directory")
            res = subprocess.run([srv.binary, "--port", str(srv.port), "--dir",
                                  os.path.join(srv.dir, "data"), "--ts-dir", blocker],
                                 capture_output=True, timeout=60, cwd=srv.dir)
            self.assertEqual(res.returncode, 1)
            self.assertIn(b"cannot open the time series", res.stderr + res.stdout)
        finally:
            srv._tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
