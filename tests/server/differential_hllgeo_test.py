"""Differential test of HyperLogLog and geo: the same commands sent to larderd and to redis-server
7.0.15, replies compared with differential_test.py's machinery (compare, normalize).

HyperLogLog values are compared byte for byte (GET of the key: the same dense/sparse
representation), and PFCOUNT exactly. Geo replies are compared exactly as both servers print
them: scores (GEOADD's geohashes, WITHHASH), distances (%.4f), coordinates (%.17Lf trimmed) and
the order of unsorted search results (the order the geohash boxes are walked in).

LARDER_DIFF_SEED=<seed> reruns one stream; LARDER_DIFF_COMMANDS=<n> sets its length.
"""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential_test  # noqa: E402
from differential_test import compare, show  # noqa: E402
from resp_client import RespClient  # noqa: E402

HLL_KEYS = [f"hll{i}" for i in range(4)]
GEO_KEYS = [f"geo{i}" for i in range(3)]
UNITS = ["m", "km", "ft", "mi", "KM", "yd"]


class HllGeoGen:
    """Random HyperLogLog and geo commands over a few keys (a string key for WRONGTYPE)."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.members = [f"m{i}" for i in range(40)]

    def element(self):
        r = self.r
        kind = r.randrange(4)
        if kind == 0:
            return str(r.randrange(100000))
        if kind == 1:
            return bytes(r.randrange(256) for _ in range(r.randrange(0, 20)))
        if kind == 2:
            return f"el:{r.random()}"
        return r.choice(["", "a", "b", "c", "foo"])

    def lon(self):
        r = self.r
        return r.choice([f"{r.uniform(-180, 180):.6f}", f"{r.uniform(10, 16):.6f}",
                         str(r.choice([-180, 180, 0, 181, "x"]))])

    def lat(self):
        r = self.r
        return r.choice([f"{r.uniform(-85, 85):.6f}", f"{r.uniform(35, 40):.6f}",
                         str(r.choice([85.05112878, -85.05112878, 0, 86, "nan"]))])

    def hll_cmd(self):
        r = self.r
        k = lambda: r.choice(HLL_KEYS + ["str"] if r.random() < 0.1 else HLL_KEYS)  # noqa: E731
        c = r.randrange(8)
        if c <= 2:
            return ["PFADD", k()] + [self.element() for _ in range(r.randrange(0, 300))]
        if c == 3:
            return ["PFCOUNT"] + [k() for _ in range(r.randrange(1, 4))]
        if c == 4:
            return ["PFMERGE"] + [k() for _ in range(r.randrange(1, 4))]
        if c == 5:
            return ["GET", k()]
        if c == 6:
            return ["PFDEBUG", r.choice(["ENCODING", "DECODE", "TODENSE"]), k()]
        return ["PFCOUNT", k()]

    def search_opts(self, store_ok):
        r = self.r
        opts = []
        for o in ("WITHDIST", "WITHHASH", "WITHCOORD", "ASC", "DESC"):
            if r.random() < 0.25:
                opts.append(o)
        if r.random() < 0.3:
            opts += ["COUNT", str(r.choice([1, 2, 5, 0]))]
            if r.random() < 0.3:
                opts.append("ANY")
        if store_ok and r.random() < 0.15:
            opts = [o for o in opts if not o.startswith("WITH")]
            opts += [r.choice(["STORE", "STOREDIST"]), r.choice(GEO_KEYS + ["dst"])]
        return opts

    def geo_cmd(self):
        r = self.r
        k = lambda: r.choice(GEO_KEYS + ["str"] if r.random() < 0.05 else GEO_KEYS)  # noqa: E731
        member = lambda: r.choice(self.members)  # noqa: E731
        radius = lambda: str(r.choice([r.uniform(0, 500), r.uniform(0, 5000), 0, -1]))  # noqa
        c = r.randrange(12)
        if c <= 3:
            opts = [o for o in ("NX", "XX", "CH") if r.random() < 0.15]
            args = []
            for _ in range(r.randrange(1, 6)):
                args += [self.lon(), self.lat(), member()]
            return ["GEOADD", k()] + opts + args
        if c == 4:
            return ["GEOPOS", k()] + [member() for _ in range(r.randrange(1, 4))]
        if c == 5:
            return ["GEODIST", k(), member(), member()] + ([r.choice(UNITS)] if r.random() < 0.7
                                                           else [])
        if c == 6:
            return ["GEOHASH", k()] + [member() for _ in range(r.randrange(1, 4))]
        if c == 7:
            name = r.choice(["GEORADIUS", "GEORADIUS_RO"])
            return [name, k(), self.lon(), self.lat(), radius(), r.choice(UNITS)] + \
                self.search_opts(name == "GEORADIUS")
        if c == 8:
            name = r.choice(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"])
            return [name, k(), member(), radius(), r.choice(UNITS)] + \
                self.search_opts(name == "GEORADIUSBYMEMBER")
        if c == 9:
            return ["ZRANGE", k(), "0", "-1", "WITHSCORES"]
        frm = (["FROMMEMBER", member()] if r.random() < 0.5 else
               ["FROMLONLAT", self.lon(), self.lat()])
        by = (["BYRADIUS", radius(), r.choice(UNITS)] if r.random() < 0.5 else
              ["BYBOX", radius(), radius(), r.choice(UNITS)])
        opts = self.search_opts(False)
        if c == 10:
            return ["GEOSEARCH", k()] + frm + by + opts
        opts = [o for o in opts if not o.startswith("WITH")]
        if r.random() < 0.5:
            opts.append("STOREDIST")
        return ["GEOSEARCHSTORE", r.choice(GEO_KEYS + ["dst"]), k()] + frm + by + opts

    def stream(self, n):
        out = [["SET", "str", "not an hll"]]
        for _ in range(n):
            out.append(self.hll_cmd() if self.r.random() < 0.4 else self.geo_cmd())
        return out


class DifferentialHllGeoTest(differential_test.DifferentialTest):
    """differential_test's random streams (RESP2 and RESP3, its servers and comparison) with
    HllGeoGen's commands, and the tests below."""
    gen = HllGeoGen
    test_scan_iterates_the_same_keys = None  # differential_test.py runs these
    test_pubsub_messages = None

    def clients(self, protocol=2):
        a, b = RespClient(self.larder.port), RespClient(self.redis.port)
        for c in (a, b):
            c.call("FLUSHALL")
            if protocol == 3:
                c.call("HELLO", "3")
        return a, b

    def same(self, a, b, cmd, context=""):
        ra, rb = a.call(*cmd), b.call(*cmd)
        self.assertTrue(compare(cmd, ra, rb),
                        f"{context}{show(cmd)[:300]}\n  larderd:      {ra!r}\n"
                        f"  redis-server: {rb!r}")
        return ra

    def test_pfcount_and_representation_at_many_cardinalities(self):
        """PFCOUNT equal, and the HLL's bytes equal, as the sparse form grows and turns dense."""
        a, b = self.clients()
        r = random.Random(7)
        try:
            for card in (1, 10, 100, 1000, 5000, 20000, 100000):
                key = f"card{card}"
                for start in range(0, card, 1000):
                    batch = [f"{card}:{j}:{r.random()}" for j in range(start, min(card,
                                                                                  start + 1000))]
                    self.same(a, b, ["PFADD", key] + batch)
                    self.same(a, b, ["GET", key], f"cardinality {card}: ")
                self.same(a, b, ["PFCOUNT", key])
                self.same(a, b, ["PFDEBUG", "ENCODING", key])
            keys = [f"card{c}" for c in (100, 1000, 20000)]
            self.same(a, b, ["PFCOUNT"] + keys)
            self.same(a, b, ["PFMERGE", "merged"] + keys)
            self.same(a, b, ["GET", "merged"])
            self.same(a, b, ["PFCOUNT", "merged"])
            self.same(a, b, ["CONFIG", "SET", "hll-sparse-max-bytes", "100"])
            self.same(a, b, ["PFADD", "small"] + [str(j) for j in range(40)])
            self.same(a, b, ["PFDEBUG", "ENCODING", "small"])
            self.same(a, b, ["GET", "small"])
        finally:
            for c in (a, b):
                c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
            a.close()
            b.close()

    def test_geo_searches_over_many_points(self):
        """Searches of every shape and size over 3000 points give the same members, order,
        distances, hashes and coordinates."""
        a, b = self.clients()
        r = random.Random(11)
        try:
            args = []
            for j in range(3000):
                lon = r.uniform(-180, 180) if j % 2 else r.uniform(5, 25)
                lat = r.uniform(-80, 80) if j % 2 else r.uniform(30, 50)
                args += [f"{lon:.7f}", f"{lat:.7f}", f"p{j}"]
            self.same(a, b, ["GEOADD", "pts"] + args)
            self.same(a, b, ["ZRANGE", "pts", "0", "-1", "WITHSCORES"])
            for q in range(300):
                lon, lat = f"{r.uniform(-180, 180):.5f}", f"{r.uniform(-84, 84):.5f}"
                if q % 2:
                    lon, lat = f"{r.uniform(5, 25):.5f}", f"{r.uniform(30, 50):.5f}"
                size = str(r.choice([1, 10, 100, 500, 2000, 8000]))
                opts = r.choice([[], ["ASC"], ["DESC", "COUNT", "7"], ["COUNT", "3", "ANY"]])
                cmd = r.choice([
                    ["GEORADIUS_RO", "pts", lon, lat, size, "km", "WITHDIST", "WITHHASH",
                     "WITHCOORD"],
                    ["GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYBOX", size,
                     str(r.choice([5, 50, 700])), "km", "WITHDIST"],
                    ["GEOSEARCH", "pts", "FROMMEMBER", f"p{r.randrange(3000)}", "BYRADIUS",
                     size, "km", "WITHCOORD"],
                ]) + opts
                self.same(a, b, cmd, f"query {q}: ")
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    unittest.main()
