"""Differential test of the sorted-set commands: larderd against redis-server 7.0.15.

Extends differential_test.py (its stream runner, normalize and compare) with a generator of
sorted-set commands over a small pool of zset, set and string keys (so WRONGTYPE paths and sets
as ZUNION inputs come up), scores that exercise Redis's doubles (inf, -inf, -0, exclusive "("
bounds, NaN results), lex ranges, and every option. Sets stay small, so both servers keep them
as listpacks, where a lex range over mixed scores is a linear walk in both.

normalize() is extended (not edited) for what may differ between two correct servers: ZSCAN and
ZRANDMEMBER with a count at least the set's size list the same members in another order, and
ZRANDMEMBER's other picks are random (shape only).

Then scenarios of BZPOPMIN/BZPOPMAX/BZMPOP with several clients, as differential_list_test.py
runs them: each client blocks in a fixed order, then writes wake them; every client's reply and
the sets left behind must be the same on both servers (first come, first served).

LARDER_DIFF_SEED / LARDER_DIFF_COMMANDS / LARDER_DIFF_SURVEY as in differential_test.py.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential_test as dt  # noqa: E402
from resp_client import RespClient  # noqa: E402

ZSET_KEYS = [f"z{i}" for i in range(4)]
SET_KEYS = ["set0", "set1"]
MEMBERS = ["a", "b", "c", "d", "e", "1", "2", "", "x y", "zz"]
SCORES = ["0", "1", "2", "-1", "1.5", "-2.5", "3", "10", "-0", "inf", "-inf", "+inf", "1e3",
          "0.1", "100"]
BAD_SCORES = ["x", "nan", "", "1.2.3", " 1", "(1"]


class ZSetGen(dt.Gen):
    """Random sorted-set commands; a few others make keys of another type."""

    def zkey(self):
        r = self.r
        x = r.random()
        if x < 0.05:
            return r.choice(dt.STRING_KEYS[:2])
        if x < 0.1:
            return r.choice(SET_KEYS)
        return r.choice(ZSET_KEYS)

    def member(self):
        r = self.r
        return r.choice(MEMBERS) if r.random() < 0.9 else self.value()

    def score(self):
        r = self.r
        return r.choice(BAD_SCORES) if r.random() < 0.04 else r.choice(SCORES)

    def bound(self):
        r = self.r
        s = r.choice(SCORES[:9] + ["-inf", "+inf", "inf"])
        if r.random() < 0.3:
            s = "(" + s
        return r.choice(["x", "(x", "nan", "(", ""]) if r.random() < 0.03 else s

    def lex(self):
        r = self.r
        if r.random() < 0.2:
            return r.choice(["-", "+"])
        if r.random() < 0.03:
            return r.choice(["a", "", "*"])
        return r.choice("[(") + r.choice(MEMBERS[:7])

    def index(self):
        r = self.r
        return r.choice([str(r.randint(-6, 6)), str(r.randint(-50, 50)), "x",
                         "-9223372036854775808", "9223372036854775807"])

    def limit(self):
        r = self.r
        return ["LIMIT", r.choice(["0", "1", "2", "-1", "x"]), r.choice(["1", "2", "-1", "0", "5"])]

    def keys(self, n):
        return [self.zkey() for _ in range(n)]

    def zset_cmd(self):
        r = self.r
        k = self.zkey
        c = r.randrange(32)
        if c <= 4:
            opts = []
            for o in ["NX", "XX", "GT", "LT", "CH", "INCR"]:
                if r.random() < 0.12:
                    opts.append(o)
            pairs = []
            for _ in range(1 if "INCR" in opts and r.random() < 0.9 else r.randrange(1, 5)):
                pairs += [self.score(), self.member()]
            if r.random() < 0.03:
                pairs.pop()
            return ["ZADD", k()] + opts + pairs
        if c == 5:
            return ["ZINCRBY", k(), self.score(), self.member()]
        if c == 6:
            return ["ZREM", k()] + [self.member() for _ in range(r.randrange(1, 4))]
        if c == 7:
            return r.choice([["ZSCORE", k(), self.member()], ["ZCARD", k()],
                             ["ZMSCORE", k()] + [self.member() for _ in range(r.randrange(1, 4))],
                             ["OBJECT", "ENCODING", k()], ["TYPE", k()]])
        if c == 8:
            return ["ZCOUNT", k(), self.bound(), self.bound()]
        if c == 9:
            return ["ZLEXCOUNT", k(), self.lex(), self.lex()]
        if c in (10, 11):
            kind = r.choice(["", "BYSCORE", "BYLEX"])
            rev = r.random() < 0.4
            if kind == "BYSCORE":
                lo, hi = self.bound(), self.bound()
            elif kind == "BYLEX":
                lo, hi = self.lex(), self.lex()
            else:
                lo, hi = self.index(), self.index()
            cmd = ["ZRANGE", k(), lo, hi] + ([kind] if kind else []) + (["REV"] if rev else [])
            if r.random() < 0.4:
                cmd += self.limit()
            if r.random() < 0.4:
                cmd.append("WITHSCORES")
            if r.random() < 0.15:
                cmd = ["ZRANGESTORE", r.choice(ZSET_KEYS)] + cmd[1:]
            return cmd
        if c == 12:
            return ["ZREVRANGE", k(), self.index(), self.index()] + (
                ["WITHSCORES"] if r.random() < 0.5 else [])
        if c == 13:
            name = r.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"])
            cmd = [name, k(), self.bound(), self.bound()]
            if r.random() < 0.5:
                cmd.append("WITHSCORES")
            if r.random() < 0.4:
                cmd += self.limit()
            return cmd
        if c == 14:
            name = r.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"])
            return [name, k(), self.lex(), self.lex()] + (self.limit() if r.random() < 0.4
                                                          else [])
        if c == 15:
            return [r.choice(["ZRANK", "ZREVRANK"]), k(), self.member()]
        if c == 16:
            return [r.choice(["ZPOPMIN", "ZPOPMAX"]), k()] + (
                [r.choice(["0", "1", "2", "10", "-1", "x"])] if r.random() < 0.6 else [])
        if c == 17:
            n = r.randrange(0, 4)
            cmd = ["ZMPOP", str(n) if r.random() < 0.9 else "x"] + self.keys(n)
            cmd.append(r.choice(["MIN", "MAX", "max", "BOTH"]) if r.random() < 0.1
                       else r.choice(["MIN", "MAX"]))
            if r.random() < 0.5:
                cmd += ["COUNT", r.choice(["1", "2", "5", "0", "-1", "x"])]
            return cmd
        if c in (18, 19, 20):
            op = r.choice(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE",
                           "ZDIFFSTORE", "ZINTERCARD"])
            n = r.randrange(1, 4)
            cmd = [op] + ([r.choice(ZSET_KEYS)] if op.endswith("STORE") else [])
            cmd += [str(n) if r.random() < 0.95 else r.choice(["0", "x", "9"])] + self.keys(n)
            if op == "ZINTERCARD":
                if r.random() < 0.5:
                    cmd += ["LIMIT", r.choice(["0", "1", "2", "-1"])]
                return cmd
            if op != "ZDIFF" and op != "ZDIFFSTORE" or r.random() < 0.05:
                if r.random() < 0.4:
                    cmd += ["WEIGHTS"] + [r.choice(["1", "2", "0", "-1", "0.5", "inf", "x"])
                                          for _ in range(n)]
                if r.random() < 0.4:
                    cmd += ["AGGREGATE", r.choice(["SUM", "MIN", "MAX", "max", "avg"])]
            if not op.endswith("STORE") and r.random() < 0.5:
                cmd.append("WITHSCORES")
            return cmd
        if c == 21:
            name = r.choice(["ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"])
            if name == "ZREMRANGEBYRANK":
                return [name, k(), self.index(), self.index()]
            if name == "ZREMRANGEBYSCORE":
                return [name, k(), self.bound(), self.bound()]
            return [name, k(), self.lex(), self.lex()]
        if c == 22:
            cmd = ["ZRANDMEMBER", k()]
            if r.random() < 0.7:
                cmd.append(r.choice(["0", "1", "3", "-3", "20", "-20", "x",
                                     "-9223372036854775808"]))
                if r.random() < 0.4:
                    cmd.append(r.choice(["WITHSCORES", "withscores", "bogus"]))
            return cmd
        if c == 23:
            cmd = ["ZSCAN", k(), r.choice(["0", "0", "x"])]
            if r.random() < 0.4:
                cmd += ["MATCH", r.choice(["*", "a*", "?", "[a-c]"])]
            if r.random() < 0.3:
                cmd += ["COUNT", r.choice(["1", "10", "0", "x"])]
            return cmd
        if c == 24:
            # Blocking pops on keys that hold members (or inside MULTI): no wait either way.
            return r.choice([["BZPOPMIN", k(), k(), "0.01"], ["BZPOPMAX", k(), "0.01"],
                             ["BZMPOP", "0.01", "2", k(), k(), r.choice(["MIN", "MAX"]),
                              "COUNT", "2"],
                             ["BZPOPMIN", k(), r.choice(["-1", "x", "nan"])]])
        if c == 25:
            return ["SADD", r.choice(SET_KEYS)] + [self.member() for _ in range(r.randrange(1, 4))]
        if c == 26:
            return [r.choice(["DEL", "EXISTS"]), k(), k()]
        if c == 27:
            return ["SET", r.choice(dt.STRING_KEYS[:2]), self.member()]
        if c == 28:
            # Equal scores: the lex commands' home ground.
            return ["ZADD", k()] + [x for m in r.sample(MEMBERS, r.randrange(1, 6))
                                     for x in ("0", m)]
        return ["ZRANGE", k(), "0", "-1", "WITHSCORES"]

    def command(self, in_multi=False):
        return self.zset_cmd() if self.r.random() < 0.93 else super().command(in_multi)

    def multi_block(self):
        r = self.r
        out = [["MULTI"]]
        for _ in range(r.randrange(0, 5)):
            out.append(self.zset_cmd())
        out.append(["EXEC"])
        return out


_base_normalize = dt.normalize


def _zset_normalize(cmd, reply):
    name = cmd[0].upper()
    t, v = reply
    if name == "ZSCAN" and t == "*" and v is not None and len(v) == 2:
        items = v[1][1] or []
        return (t, v[0], dt._pairs(items))
    if name == "ZRANDMEMBER" and t not in "-":
        if len(cmd) == 2 or v is None:
            return (t, v is None)
        try:
            count = int(cmd[2])
        except ValueError:
            return reply
        if count < 0:
            return (t, len(v))
        # Distinct members: the same set when the count covers the whole set.
        return (t, len(v), sorted(repr(x) for x in v) if count >= 20 else None)
    return _base_normalize(cmd, reply)


# compare() in differential_test.py looks normalize up at call time.
dt.normalize = _zset_normalize


class ZSetDifferentialTest(dt.BlockedClientScenarios, dt.DifferentialTest):
    gen = ZSetGen
    # The base class's scenarios are not about sorted sets.
    test_scan_iterates_the_same_keys = None
    test_pubsub_messages = None

    def run_stream(self, seed, protocol):
        # The base runner builds its commands with dt.Gen: run ours instead.
        saved = dt.Gen
        dt.Gen = ZSetGen
        try:
            super().run_stream(seed, protocol)
        finally:
            dt.Gen = saved

    def contents(self, ctl):  # the sorted sets left behind
        return [ctl.call("ZRANGE", k, "0", "-1", "WITHSCORES") for k in ZSET_KEYS]

    def test_bzpopmin_clients_are_served_first_come_first_served(self):
        self.check_scenario([["BZPOPMIN", "z0", "0"], ["BZPOPMAX", "z0", "0"],
                             ["BZPOPMIN", "z0", "0"]],
                            [["ZADD", "z0", "1", "a", "2", "b"], ["ZADD", "z0", "3", "c"]])

    def test_several_keys_transaction_and_bzmpop(self):
        self.check_scenario([["BZPOPMIN", "z1", "z0", "0"],
                             ["BZMPOP", "0", "2", "z0", "z1", "MAX", "COUNT", "2"],
                             ["BZPOPMAX", "z0", "z1", "0"]],
                            [["MULTI"], ["ZADD", "z0", "1", "x", "2", "y", "3", "w"],
                             ["ZADD", "z1", "5", "q"], ["EXEC"]], 3)

    def test_wrong_type_and_replaced_keys_do_not_wake(self):
        self.check_scenario([["BZPOPMIN", "z0", "0"], ["BZMPOP", "0", "1", "z1", "MIN"]],
                            [["MULTI"], ["ZADD", "z0", "0", "foo"], ["DEL", "z0"],
                             ["SET", "z0", "str"], ["EXEC"], ["SET", "z1", "s"], ["DEL", "z1"],
                             ["DEL", "z0"], ["ZADD", "z0", "1", "bar"],
                             ["ZADD", "z1", "2", "baz"]])

    def test_timeouts(self):
        for cmd in (["BZPOPMIN", "z0", "0.05"], ["BZMPOP", "0.05", "1", "z0", "MAX"]):
            for protocol in (2, 3):
                self.check_scenario([cmd], [], protocol)

    def test_random_blocking_scenarios(self):
        for seed in dt.SEEDS:
            r = ZSetGen(seed).r
            for _ in range(8):
                blockers = []
                for _ in range(r.randrange(1, 5)):
                    k = lambda: r.choice(ZSET_KEYS)  # noqa: E731
                    blockers.append(r.choice([
                        ["BZPOPMIN", k(), k(), "0"], ["BZPOPMAX", k(), "0"],
                        ["BZMPOP", "0", "2", k(), k(), r.choice(["MIN", "MAX"]), "COUNT",
                         str(r.randrange(1, 4))]]))
                writes = [["ZADD", r.choice(ZSET_KEYS)] +
                          [x for _ in range(r.randrange(1, 4))
                           for x in (str(r.randrange(100)), f"m{r.randrange(20)}")]
                          for _ in range(r.randrange(1, 5))]
                # Enough members in every key to serve every client at the end.
                writes += [["ZADD", k] + [x for i in range(3 * len(blockers))
                                          for x in (str(i), f"e{i}")] for k in ZSET_KEYS]
                self.check_scenario(blockers, writes, r.choice([2, 3]))

    def test_large_sets_agree(self):
        """Sets past the listpack limits (skiplist in Redis, the rank index here)."""
        got = []
        for srv in (self.larder, self.redis):
            c = RespClient(srv.port)
            c.call("FLUSHALL")
            for i in range(0, 3000, 500):
                c.call("ZADD", "big", *[x for j in range(i, i + 500)
                                        for x in (str((j * 7919) % 1000), f"m{j}")])
            out = [c.call("ZCARD", "big"), c.call("OBJECT", "ENCODING", "big")]
            for j in range(0, 3000, 137):
                out.append(c.call("ZRANK", "big", f"m{j}"))
                out.append(c.call("ZREVRANK", "big", f"m{j}"))
            for args in (["ZRANGE", "big", "1000", "1010", "WITHSCORES"],
                         ["ZRANGE", "big", "5", "9", "REV"],
                         ["ZCOUNT", "big", "(100", "900"],
                         ["ZRANGEBYSCORE", "big", "500", "+inf", "LIMIT", "700", "5"],
                         ["ZREVRANGEBYSCORE", "big", "500", "-inf", "LIMIT", "300", "3"],
                         ["ZREMRANGEBYRANK", "big", "100", "1999"],
                         ["ZRANGE", "big", "90", "110"],
                         ["ZREMRANGEBYSCORE", "big", "(10", "990"],
                         ["ZRANGE", "big", "0", "-1", "WITHSCORES"]):
                out.append(c.call(*args))
            c.close()
            got.append(out)
        self.assertEqual(got[0], got[1])


if __name__ == "__main__":
    unittest.main()
