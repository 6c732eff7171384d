"""Differential test of sets and SORT: a seeded random stream of set, SORT and list commands (with
some of the core families' commands, so that types collide) sent to larderd and redis-server
7.0.15, replies compared as differential_test.py compares them.

Normalized: the order of unordered replies (SMEMBERS, SINTER, SUNION, SDIFF; SORT BY a constant
of a set, which Redis returns in hash order; SORT ALPHA BY a pattern, whose ties Redis leaves in
no defined order). SPOP and SRANDMEMBER are checked by shape and membership against the set as
both servers held it before the command; after an SPOP larderd is brought to redis-server's
state (its popped members are put back and redis-server's are removed), so later commands
compare equal states; inside MULTI no SPOP is generated. SSCAN is checked by full iterations (every member, no duplicates beyond
what the guarantees allow).

Rerun one stream with LARDER_DIFF_SEED=<seed>; LARDER_DIFF_COMMANDS=<n> sets its length.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential_test as base  # noqa: E402
from larderd import RedisServer, server_under_test  # noqa: E402
from resp_client import RespClient  # noqa: E402

SET_KEYS = [f"set{i}" for i in range(5)]
LIST_KEYS = ["list0", "list1"]
# Mostly numbers (SORT's numeric path), a few words, strtod's corners.
# LARDER_DIFF_CHECK_STATE=1: compare every set after every command (finds where states part).
CHECK_STATE = os.environ.get("LARDER_DIFF_CHECK_STATE") == "1"
MEMBERS = ([str(i) for i in range(-5, 25)] + ["1.5", "-0", "0x1A", "1e3", " 7", "inf"] +
           ["apple", "pear", "fig", "a b", ""])


class SetGen(base.Gen):
    """Set, SORT and list commands, with the core stream now and then."""

    def skey(self):
        r = self.r
        if r.random() < 0.08:
            return r.choice(base.STRING_KEYS[:2])  # WRONGTYPE paths (lists: see sort_cmd)
        return r.choice(SET_KEYS)

    def member(self):
        return self.r.choice(MEMBERS)

    def members(self, lo=1, hi=6):
        return [self.member() for _ in range(self.r.randrange(lo, hi))]

    def set_cmd(self):
        r, k = self.r, self.skey
        c = r.randrange(22)
        if c in (0, 1, 2):
            return ["SADD", k()] + self.members(1, 10)
        if c == 3:
            return ["SREM", k()] + self.members()
        if c == 4:
            return ["SISMEMBER", k(), self.member()]
        if c == 5:
            return ["SMISMEMBER", k()] + self.members()
        if c == 6:
            return ["SCARD", k()]
        if c == 7:
            return ["SMEMBERS", k()]
        if c == 8:
            return ["SMOVE", k(), k(), self.member()]
        if c in (9, 10):
            return [r.choice(["SINTER", "SUNION", "SDIFF"])] + [k() for _ in range(r.randrange(1, 4))]
        if c == 11:
            return [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k()] + [
                k() for _ in range(r.randrange(1, 4))]
        if c == 12:
            keys = [k() for _ in range(r.randrange(1, 4))]
            n = r.choice([str(len(keys)), str(len(keys)), "0", "x", str(len(keys) + 1)])
            return ["SINTERCARD", n] + keys + r.choice(
                [[], ["LIMIT", str(r.randrange(0, 4))], ["LIMIT", "-1"], ["LIMIT"], ["FOO", "1"]])
        if c in (13, 14):
            return ["SPOP", k()] + r.choice([[], [], [str(r.randrange(0, 6))], ["-1"], ["x"],
                                            ["1", "2"]])
        if c in (15, 16):
            return ["SRANDMEMBER", k()] + r.choice(
                [[], [str(r.randrange(-8, 9))], ["x"], ["-9223372036854775808"], ["1", "2"]])
        if c in (17, 18, 19):
            return self.sort_cmd()
        if c == 20:
            return [r.choice(["RPUSH", "LPUSH"]), r.choice(LIST_KEYS)] + self.members()
        return [r.choice(["DEL", "EXISTS", "TYPE"]), k()]

    def sort_cmd(self):
        r = self.r
        src = r.choice(SET_KEYS + LIST_KEYS + ["nokey", base.STRING_KEYS[0]])
        cmd = [r.choice(["SORT", "SORT", "SORT_RO"]), src]
        by = r.choice([None, None, "w_*", "o_*->f", "nosort", "w_*->"])
        if by:
            cmd += ["BY", by]
        alpha = r.random() < 0.5
        # ALPHA BY a pattern leaves ties (equal or missing values) in no defined order: such a
        # reply is compared as a multiset, and never cut by LIMIT or stored.
        sorting_alpha_by = alpha and by not in (None, "nosort")
        # A set BY a constant comes in Redis's hash order: compared as a multiset, never cut.
        set_order = by == "nosort" and src not in LIST_KEYS
        if r.random() < 0.3 and not sorting_alpha_by and not set_order:
            cmd += ["LIMIT", str(r.randint(-2, 5)), str(r.randint(-2, 6))]
        for _ in range(r.choice([0, 0, 1, 2])):
            cmd += ["GET", r.choice(["#", "w_*", "o_*->f", "const", "o_*->"])]
        if r.random() < 0.3:
            cmd.append(r.choice(["ASC", "DESC"]))
        if alpha:
            cmd.append("ALPHA")
        if cmd[0] == "SORT" and r.random() < 0.3 and not sorting_alpha_by:
            cmd += ["STORE", r.choice(LIST_KEYS + ["sorted", SET_KEYS[0]])]
        if r.random() < 0.03:
            cmd.insert(2, r.choice(["BOGUS", "LIMIT"]))
        return cmd

    def weight_cmd(self):
        r, m = self.r, self.member()
        if r.random() < 0.5:
            return ["SET", f"w_{m}", r.choice([str(r.randint(-50, 50)), f"{r.uniform(-9, 9):.3f}",
                                               "nan?", m])]
        return ["HSET", f"o_{m}", "f", r.choice(["x", "y", str(r.randint(0, 9)), m])]

    def command(self, in_multi=False):
        x = self.r.random()
        if x < 0.70:
            cmd = self.set_cmd()
            # In a transaction an SPOP's pick could not be resynced (the database it ran in is
            # not known after EXEC): a deterministic command instead.
            return ["SCARD", cmd[1]] if in_multi and cmd[0] == "SPOP" else cmd
        if x < 0.85:
            return self.weight_cmd()
        return super().command(in_multi)


UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF"}


def sort_is_unordered(cmd):
    up = [str(x).upper() for x in cmd]
    if "STORE" in up:
        return False
    by = up[up.index("BY") + 1] if "BY" in up[:-1] else None
    if by is not None and "*" not in by:
        return not cmd[1].startswith("list")  # a set in its own (hash) order
    return by is not None and "ALPHA" in up


def normalize(cmd, reply):
    name = cmd[0].upper()
    t, v = reply
    if t in "*~" and v is not None:
        if name in UNORDERED or (name in ("SORT", "SORT_RO") and sort_is_unordered(cmd)):
            return (t, sorted(repr(x) for x in v))
    return base.normalize(cmd, reply)


def members_of(client, key):
    t, v = client.call("SMEMBERS", key)
    return set(x[1] for x in v) if t in "*~" else set()


class DifferentialSetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.larder = server_under_test().start()
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.larder.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def check_random(self, cmd, before, ra, rb):
        """SPOP/SRANDMEMBER: same type and size, members of the set as it was."""
        name, ctx = cmd[0].upper(), f"{base.show(cmd)}: larderd {ra!r}, redis {rb!r}"
        self.assertEqual(ra[0], rb[0], ctx)
        if ra[0] in "-:" or ra[1] is None:
            self.assertEqual(ra, rb, ctx)
            return
        picks = [x[1] for x in ra[1]] if isinstance(ra[1], list) else [ra[1]]
        other = rb[1] if isinstance(rb[1], list) else [rb[1]]
        self.assertEqual(len(picks), len(other), ctx)
        self.assertTrue(set(picks) <= before, ctx)
        count = int(cmd[2]) if len(cmd) == 3 else 1
        if name == "SPOP" or count > 0:
            self.assertEqual(len(set(picks)), len(picks), ctx)

    def run_stream(self, seed, protocol):
        a, b = RespClient(self.larder.port), RespClient(self.redis.port)
        try:
            for c in (a, b):
                c.call("FLUSHALL")
                if protocol == 3:
                    c.call("HELLO", "3")
            history, in_multi = [], False
            for i, cmd in enumerate(SetGen(seed).stream(base.COMMANDS)):
                if in_multi and cmd[0] == "SPOP":  # a bare MULTI of the core stream is open
                    cmd = ["SCARD", cmd[1]]
                name = cmd[0].upper()
                history.append(cmd)
                random_cmd = name in ("SPOP", "SRANDMEMBER") and not in_multi
                before = members_of(b, cmd[1]) if random_cmd else None
                ra, rb = a.call(*cmd), b.call(*cmd)
                if random_cmd:
                    self.check_random(cmd, before, ra, rb)
                    if name == "SPOP" and ra[0] not in "-_" and ra[1] is not None:
                        mine = [x[1] for x in ra[1]] if isinstance(ra[1], list) else [ra[1]]
                        theirs = [x[1] for x in rb[1]] if isinstance(rb[1], list) else [rb[1]]
                        if mine:
                            a.call("SADD", cmd[1], *mine)
                        if theirs:
                            a.call("SREM", cmd[1], *theirs)
                        if CHECK_STATE:
                            self.assertEqual(members_of(a, cmd[1]), members_of(b, cmd[1]),
                                             f"#{i} {base.show(cmd)} {ra} {rb}")
                    continue
                ok = normalize(cmd, ra) == normalize(cmd, rb) or (
                    name in base.CLOCKS and base.compare(cmd, ra, rb))
                if name == "EXEC" and ra[0] == rb[0] == "*" and ra[1] and rb[1]:
                    ok = len(ra[1]) == len(rb[1])  # SRANDMEMBER's picks inside differ
                if not ok:
                    recent = "\n".join("    " + base.show(c) for c in history[-10:-1])
                    self.fail(f"RESP{protocol} seed {seed}, command #{i}: {base.show(cmd)}\n"
                              f"  larderd:      {ra!r}\n  redis-server: {rb!r}\n"
                              f"  the commands before it:\n{recent}")
                if CHECK_STATE and not in_multi and i % int(os.environ.get("EVERY", "1000000")) == 0:
                    for key in SET_KEYS + base.STRING_KEYS:
                        self.assertEqual(members_of(a, key), members_of(b, key),
                                         f"#{i} {base.show(cmd)}: {key} differs")
                if name == "MULTI" and rb == ("+", "OK"):
                    in_multi = True
                elif name in ("EXEC", "DISCARD"):
                    in_multi = False
        finally:
            a.close()
            b.close()

    def test_random_stream_resp2(self):
        for seed in base.SEEDS:
            with self.subTest(seed=seed):
                self.run_stream(seed + 500, 2)

    def test_random_stream_resp3(self):
        for seed in base.SEEDS:
            with self.subTest(seed=seed):
                self.run_stream(seed + 1500, 3)

    def test_sscan_iterates_the_same_members(self):
        got = []
        for srv in (self.larder, self.redis):
            c = RespClient(srv.port)
            c.call("FLUSHALL")
            c.call("SADD", "ints", *range(100))            # an intset: one call
            c.call("SADD", "big", *[f"m:{i}" for i in range(700)])
            out = {}
            for args in (["SSCAN", "ints", "{}", "COUNT", "5"], ["SSCAN", "big", "{}", "COUNT", "13"],
                         ["SSCAN", "big", "{}", "MATCH", "m:1*"]):
                seen, cursor, calls = [], "0", 0
                for _ in range(10_000):
                    t, v = c.call(*[x.format(cursor) if x == "{}" else x for x in args])
                    self.assertEqual(t, "*", v)
                    cursor = v[0][1].decode()
                    seen += [x[1] for x in v[1][1]]
                    calls += 1
                    if cursor == "0":
                        break
                out[" ".join(args)] = sorted(set(seen))
                if args[1] == "ints":
                    out["ints calls"] = calls
            c.close()
            got.append(out)
        self.assertEqual(got[0], got[1])

    def test_srandmember_is_close_to_uniform(self):
        """Chi-square of SRANDMEMBER -N on a small and on a big set (the seek path)."""
        c = RespClient(self.larder.port)
        c.call("FLUSHALL")
        for key, n, draws in (("small", 10, 2000), ("big", 3000, 30000)):
            c.call("SADD", key, *[f"m:{i:05d}" for i in range(n)])
            t, v = c.call("SRANDMEMBER", key, str(-draws))
            self.assertEqual(len(v), draws)
            buckets = [0] * 10
            for x in v:
                buckets[int(x[1][2:]) * 10 // n] += 1
            expected = draws / 10
            chi = sum((b - expected) ** 2 / expected for b in buckets)
            self.assertLess(chi, 40, (key, buckets))  # df = 9: p < 1e-5
        c.close()

    def test_keyspace_events(self):
        """The set commands' events as redis-server sends them (skipped until larderd sends
        keyspace events at all)."""
        script = [["SADD", "ev", "a", "b", "c"], ["SREM", "ev", "zz"], ["SREM", "ev", "a"],
                  ["SMOVE", "ev", "ev2", "b"], ["SMOVE", "ev", "ev2", "nope"],
                  ["SINTERSTORE", "ev3", "ev", "ev2"], ["SUNIONSTORE", "ev3", "ev", "ev2"],
                  ["SDIFFSTORE", "ev3", "ev", "ev2"], ["SINTERSTORE", "ev3", "nokey"],
                  ["SPOP", "ev"], ["SADD", "ev", "x", "y"], ["SPOP", "ev", "5"],
                  ["SADD", "ev", "1"], ["SORT", "ev", "STORE", "ev4"], ["SORT", "nokey", "STORE", "ev4"]]
        got = []
        for srv in (self.larder, self.redis):
            sub, c = RespClient(srv.port, timeout=2), RespClient(srv.port)
            c.call("FLUSHALL")
            if c.call("CONFIG", "SET", "notify-keyspace-events", "KEA")[0] == "-":
                self.skipTest("no notify-keyspace-events")
            sub.call("PSUBSCRIBE", "__keyevent@0__:*")
            c.call("SET", "probe", "1")
            try:
                first = sub.read()
            except OSError:
                self.skipTest("larderd sends no keyspace events yet")
            events = [first[1][2][1]]
            for cmd in script:
                c.call(*cmd)
            c.call("SET", "end", "1")
            while events[-1] != b"__keyevent@0__:set" or len(events) == 1:
                msg = sub.read()
                events.append(msg[1][2][1])
                if len(events) > 200:
                    break
            got.append(events)
            c.call("CONFIG", "SET", "notify-keyspace-events", "")
            sub.close()
            c.close()
        self.assertEqual(got[0], got[1])


if __name__ == "__main__":
    unittest.main()
