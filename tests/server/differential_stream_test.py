"""Differential test of the stream commands: larderd against redis-server 7.0.15.

Extends differential_test.py (its stream runner, normalize and compare) with a generator of
stream commands over a few stream keys and a string key (WRONGTYPE paths): XADD with explicit
IDs from a clock the generator advances (so both servers get the same IDs; "ms-*" and too-small
IDs included), every trimming form (MAXLEN/MINID, "=", "~", LIMIT) with a small
stream-node-max-entries so that approximate trims remove whole nodes, ranges with exclusive
bounds, XDEL, XSETID, consumer groups (XGROUP's subcommands, XREADGROUP with ">" and history IDs,
NOACK, XACK, XPENDING, XCLAIM with its options, XAUTOCLAIM) and XINFO.

normalize() is extended (not edited) for what may differ between two correct servers: times
(XPENDING's idle, XINFO's idle, seen-time and delivery-time), and XINFO's radix-tree-nodes (the
inner nodes of Redis's radix tree, which larderd does not have).

Then scenarios of blocked XREAD / XREADGROUP clients (served in order, woken by XADD, replied
"no longer exists" or NOGROUP when the key or group goes away, its expiry included, timeouts),
in RESP2 and RESP3.

LARDER_DIFF_SEED / LARDER_DIFF_COMMANDS / LARDER_DIFF_SURVEY as in differential_test.py.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential_test as dt  # noqa: E402
from resp_client import RespClient  # noqa: E402

STREAM_KEYS = [f"x{i}" for i in range(3)]
GROUPS = ["g0", "g1"]
CONSUMERS = ["c0", "c1", "c2"]
FIELDS = ["f", "g", "h"]
NODE_ENTRIES = "4"  # stream-node-max-entries for the run: approximate trims come up often
BIG = "100000000"  # an idle time no entry reaches


class StreamGen(dt.Gen):
    """Random stream commands; a few others make keys of another type."""

    def __init__(self, seed):
        super().__init__(seed)
        self.clock = 1

    def skey(self):
        r = self.r
        return r.choice(dt.STRING_KEYS[:1]) if r.random() < 0.04 else r.choice(STREAM_KEYS)

    def new_id(self):
        r = self.r
        self.clock += r.choice([0, 0, 1, 1, 2, 5])
        x = r.random()
        if x < 0.1:
            return f"{self.clock}-*"
        if x < 0.15:
            return str(self.clock)
        if x < 0.2:
            return f"{max(0, self.clock - r.randrange(1, 10))}-0"  # too small, or not
        if x < 0.22:
            return r.choice(["0-0", "0", "x", "1-x", "-",
                             "18446744073709551615-18446744073709551615"])
        return f"{self.clock}-{r.randrange(3)}"

    def some_id(self, special=True):
        """An ID near the ones in use (and, for ranges, "-" / "+" / exclusive forms)."""
        r = self.r
        i = f"{r.randrange(0, self.clock + 2)}-{r.randrange(3)}"
        x = r.random()
        if special and x < 0.15:
            return r.choice(["-", "+"])
        if special and x < 0.3:
            return "(" + i
        if x < 0.35:
            return str(r.randrange(0, self.clock + 2))
        if x < 0.37:
            return r.choice(["x", "1-", "(", "(-", "18446744073709551615-18446744073709551615"])
        return i

    def trim(self):
        r = self.r
        out = [r.choice(["MAXLEN", "MINID", "maxlen"])]
        if r.random() < 0.5:
            out.append(r.choice(["~", "=", "~"]))
        out.append(str(r.randrange(0, 12)) if out[0] != "MINID" else self.some_id(False))
        if r.random() < 0.25:
            out += ["LIMIT", r.choice(["0", "1", "3", "8", "-1"])]
        return out

    def fields(self):
        r = self.r
        out = []
        for _ in range(r.randrange(1, 3)):
            out += [r.choice(FIELDS), str(r.randrange(100))]
        if r.random() < 0.02:
            out.pop()
        return out

    def stream_cmd(self):
        r = self.r
        k = self.skey
        g = lambda: r.choice(GROUPS)  # noqa: E731
        c = lambda: r.choice(CONSUMERS)  # noqa: E731
        n = r.randrange(40)
        if n < 10:
            cmd = ["XADD", k()]
            if r.random() < 0.1:
                cmd.append("NOMKSTREAM")
            if r.random() < 0.25:
                cmd += self.trim()
            return cmd + [self.new_id()] + self.fields()
        if n == 10:
            return ["XLEN", k()]
        if n in (11, 12):
            name = r.choice(["XRANGE", "XREVRANGE"])
            cmd = [name, k(), self.some_id(), self.some_id()]
            if r.random() < 0.4:
                cmd += ["COUNT", r.choice(["0", "1", "2", "5", "-1", "x"])]
            return cmd
        if n == 13:
            return ["XDEL", k()] + [self.some_id(False) for _ in range(r.randrange(1, 4))]
        if n == 14:
            return ["XTRIM", k()] + self.trim()
        if n == 15:
            cmd = ["XGROUP", "CREATE", k(), g(), r.choice(["$", "0", self.some_id(False)])]
            if r.random() < 0.4:
                cmd.append("MKSTREAM")
            if r.random() < 0.2:
                cmd += ["ENTRIESREAD", r.choice(["0", "2", "-1", "-5"])]
            return cmd
        if n == 16:
            return r.choice([
                ["XGROUP", "SETID", k(), g(), r.choice(["$", "0", self.some_id(False)])],
                ["XGROUP", "DESTROY", k(), g()],
                ["XGROUP", "CREATECONSUMER", k(), g(), c()],
                ["XGROUP", "DELCONSUMER", k(), g(), c()],
                ["XGROUP", "SETID", k(), g(), "0", "ENTRIESREAD", r.choice(["1", "3"])]])
        if n in (17, 18, 19):
            cmd = ["XREADGROUP", "GROUP", g(), c()]
            if r.random() < 0.5:
                cmd += ["COUNT", r.choice(["1", "2", "3", "0"])]
            if r.random() < 0.15:
                cmd.append("NOACK")
            keys = [k() for _ in range(r.randrange(1, 3))]
            ids = [">" if r.random() < 0.7 else r.choice(["0", self.some_id(False)])
                   for _ in keys]
            return cmd + ["STREAMS"] + keys + ids
        if n == 20:
            cmd = ["XREAD"]
            if r.random() < 0.5:
                cmd += ["COUNT", r.choice(["1", "2", "0"])]
            keys = [k() for _ in range(r.randrange(1, 3))]
            return cmd + ["STREAMS"] + keys + [r.choice(["0", "$", self.some_id(False)])
                                               for _ in keys]
        if n in (21, 22):
            return ["XACK", k(), g()] + [self.some_id(False) for _ in range(r.randrange(1, 4))]
        if n in (23, 24):
            cmd = ["XPENDING", k(), g()]
            if r.random() < 0.7:
                if r.random() < 0.3:
                    cmd += ["IDLE", r.choice(["0", BIG])]
                cmd += [self.some_id(), self.some_id(), r.choice(["1", "3", "10", "-1"])]
                if r.random() < 0.4:
                    cmd.append(c())
            return cmd
        if n in (25, 26):
            cmd = ["XCLAIM", k(), g(), c(), r.choice(["0", "0", BIG])]
            cmd += [self.some_id(False) for _ in range(r.randrange(1, 4))]
            for opt in (["JUSTID"], ["FORCE"], ["RETRYCOUNT", "7"], ["TIME", "1000"],
                        ["LASTID", self.some_id(False)]):
                if r.random() < 0.15:
                    cmd += opt
            return cmd
        if n == 27:
            cmd = ["XAUTOCLAIM", k(), g(), c(), r.choice(["0", "0", BIG]), self.some_id()]
            if r.random() < 0.5:
                cmd += ["COUNT", r.choice(["1", "2", "5", "0"])]
            if r.random() < 0.3:
                cmd.append("JUSTID")
            return cmd
        if n in (28, 29):
            return r.choice([["XINFO", "STREAM", k()], ["XINFO", "GROUPS", k()],
                             ["XINFO", "CONSUMERS", k(), g()],
                             ["XINFO", "STREAM", k(), "FULL"],
                             ["XINFO", "STREAM", k(), "FULL", "COUNT", r.choice(["1", "0"])]])
        if n == 30:
            return ["XSETID", k(), self.some_id(False)] + (
                ["ENTRIESADDED", r.choice(["0", "100"]), "MAXDELETEDID", self.some_id(False)]
                if r.random() < 0.3 else [])
        if n == 31:
            return r.choice([["TYPE", k()], ["OBJECT", "ENCODING", k()], ["EXISTS", k()],
                             ["DEL", k()], ["RENAME", k(), k()], ["COPY", k(), k()]])
        if n == 32:
            return ["SET", dt.STRING_KEYS[0], "v"]
        if n == 33:  # argument errors, in Redis's order of checks
            return r.choice([
                ["XINFO", "STREAM", k(), "FULL", "COUNT", r.choice(["-5", "x"])],
                ["XINFO", "stream", k(), r.choice(["bogus", "FULL"]), "x", "y"],
                ["XGROUP", "CREATE", k(), g(), "0", r.choice(["bogus", "ENTRIESREAD"])],
                ["XGROUP", "SETID", k(), g(), "0", "x", "y", "z"],
                ["XGROUP", "CREATECONSUMER", k(), g()], ["XGROUP", "HELP", "x"],
                ["XAUTOCLAIM", k(), g(), c(), r.choice(["x", "-1"]), "0", "COUNT",
                 r.choice(["0", "x", "5"])],
                ["XCLAIM", k(), g(), c(), r.choice(["x", "-1"]), "1", r.choice(["IDLE", "TIME",
                                                                            "RETRYCOUNT"]),
                 r.choice(["x", "5"])],
                ["XPENDING", k(), g(), r.choice(["IDLE", "-"]), r.choice(["x", "+"]), "5"],
                ["XREAD", r.choice(["BLOCK", "COUNT", "GROUP", "NOACK"]), r.choice(["x", "-1"]),
                 "STREAMS", k(), "0"],
                ["XREADGROUP", "GROUP", g(), c(), "STREAMS", k(), r.choice(["$", "x"])],
                ["XADD", k(), r.choice(["MAXLEN", "MINID", "LIMIT"]), r.choice(["x", "-1", "~"]),
                 "*", "f", "v"],
                ["XTRIM", k(), r.choice(["MAXLEN", "bogus"]), r.choice(["~", "x", "-3"])]])
        return ["XRANGE", k(), "-", "+"]

    def command(self, in_multi=False):
        return self.stream_cmd() if self.r.random() < 0.95 else super().command(in_multi)

    def multi_block(self):
        r = self.r
        return [["MULTI"]] + [self.stream_cmd() for _ in range(r.randrange(0, 5))] + [["EXEC"]]


_base_normalize = dt.normalize
TIME_FIELDS = {b"idle", b"seen-time", b"radix-tree-nodes"}


def _scrub(v):
    """Times and radix-tree-nodes out of an XINFO reply (RESP2 flat pairs or RESP3 maps)."""
    if not isinstance(v, tuple):
        return v
    t, x = v
    if t == ":" and x > 10**12:  # an absolute time (seen-time, delivery-time)
        return (t, "time")
    if t == "%":
        return (t, [(a, ("?", None) if a[1] in TIME_FIELDS else _scrub(b)) for a, b in x])
    if t == "*" and x is not None:
        out = []
        for i, e in enumerate(x):
            prev = x[i - 1] if i % 2 == 1 else None
            out.append(("?", None) if prev and prev[0] == "$" and prev[1] in TIME_FIELDS
                       else _scrub(e))
        return (t, out)
    return v


def _stream_normalize(cmd, reply):
    name = cmd[0].upper()
    t, v = reply
    if name == "XPENDING" and len(cmd) > 3 and t == "*" and v is not None:
        return (t, [(e[0], e[1][:2] + [None] + e[1][3:]) for e in v])
    if name == "XINFO":
        return _scrub(reply)
    return _base_normalize(cmd, reply)


# compare() in differential_test.py looks normalize up at call time.
dt.normalize = _stream_normalize


class StreamDifferentialTest(dt.BlockedClientScenarios, dt.DifferentialTest):
    gen = StreamGen
    test_scan_iterates_the_same_keys = None
    test_pubsub_messages = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for srv in (cls.larder, cls.redis):
            c = RespClient(srv.port)
            c.call("CONFIG", "SET", "stream-node-max-entries", NODE_ENTRIES)
            c.close()

    def run_stream(self, seed, protocol):
        saved = dt.Gen
        dt.Gen = StreamGen
        try:
            super().run_stream(seed, protocol)
        finally:
            dt.Gen = saved

    def contents(self, ctl):  # the streams, groups and pending entries left behind
        out = []
        for k in STREAM_KEYS[:2]:
            out += [ctl.call("XRANGE", k, "-", "+"), ctl.call("XINFO", "GROUPS", k),
                    ctl.call("XPENDING", k, "g0")]
        return out

    def setup_scenario(self, setup, blockers, writes, protocol=2):
        """check_scenario with `setup` commands (groups, entries) run before the blockers."""
        got, want = [], []
        for srv, out in ((self.larder, got), (self.redis, want)):
            ctl = RespClient(srv.port)
            ctl.call("FLUSHALL")
            for cmd in setup:
                ctl.call(*cmd)
            ctl.close()
            out.append(self._scenario_after_setup(srv.port, blockers, writes, protocol))
        self.assertEqual(got, want, f"setup {setup}, blockers {blockers}, writes {writes}")

    def _scenario_after_setup(self, port, blockers, writes, protocol):
        ctl = RespClient(port)
        clients = []
        try:
            for i, cmd in enumerate(blockers):
                c = RespClient(port)
                clients.append(c)
                if protocol == 3:
                    c.call("HELLO", "3")
                c.send(*cmd)
                self.wait_blocked(ctl, clients)
            ctl_replies = [ctl.call(*cmd) for cmd in writes]
            return ctl_replies, [c.read() for c in clients], self.contents(ctl)
        finally:
            for c in clients + [ctl]:
                c.close()

    def test_xread_clients_are_served_in_order(self):
        for protocol in (2, 3):
            self.check_scenario(
                [["XREAD", "BLOCK", "0", "STREAMS", "x0", "$"],
                 ["XREAD", "BLOCK", "0", "COUNT", "1", "STREAMS", "x1", "x0", "$", "$"],
                 ["XREAD", "BLOCK", "0", "STREAMS", "x1", "0"]],
                [["XADD", "x0", "5-1", "f", "1", "g", "2"], ["XADD", "x1", "6-0", "f", "3"]],
                protocol)

    def test_xread_survives_deleted_and_retyped_keys(self):
        self.setup_scenario(
            [["XADD", "x0", "666", "f", "v"]],
            [["XREAD", "BLOCK", "0", "STREAMS", "x0", "$"]],
            [["DEL", "x0"], ["SET", "x0", "s"], ["DEL", "x0"], ["XADD", "x0", "667", "f", "v"]])

    def test_xreadgroup_served_and_pending(self):
        for protocol in (2, 3):
            self.setup_scenario(
                [["XGROUP", "CREATE", "x0", "g0", "$", "MKSTREAM"]],
                [["XREADGROUP", "GROUP", "g0", "c0", "BLOCK", "0", "STREAMS", "x0", ">"],
                 ["XREADGROUP", "GROUP", "g0", "c1", "BLOCK", "0", "NOACK", "STREAMS", "x0",
                  ">"],
                 ["XREADGROUP", "GROUP", "g0", "c2", "COUNT", "1", "BLOCK", "0", "STREAMS",
                  "x0", ">"]],
                [["XADD", "x0", "1-1", "f", "v"], ["XADD", "x0", "1-2", "f", "w"],
                 ["MULTI"], ["XADD", "x0", "2-1", "a", "b"], ["XADD", "x0", "2-2", "c", "d"],
                 ["EXEC"]], protocol)

    def test_xreadgroup_unblocked_when_key_or_group_goes(self):
        for ending in ([["XGROUP", "DESTROY", "x0", "g0"]], [["DEL", "x0"]],
                       [["SET", "x0", "s"]], [["FLUSHALL"]], [["PEXPIREAT", "x0", "1"]],
                       [["XADD", "x1", "9", "f", "v"], ["RENAME", "x1", "x0"]]):
            self.setup_scenario(
                [["XGROUP", "CREATE", "x0", "g0", "$", "MKSTREAM"]],
                [["XREADGROUP", "GROUP", "g0", "c0", "BLOCK", "0", "STREAMS", "x0", ">"]],
                [["XADD", "x0", "1-1", "f", "v"], ["XDEL", "x0", "1-1"]] + ending)

    def test_timeouts(self):
        for protocol in (2, 3):
            self.check_scenario([["XREAD", "BLOCK", "30", "STREAMS", "x0", "$"]], [], protocol)
            self.setup_scenario(
                [["XGROUP", "CREATE", "x0", "g0", "$", "MKSTREAM"]],
                [["XREADGROUP", "GROUP", "g0", "c0", "BLOCK", "30", "STREAMS", "x0", ">"]], [],
                protocol)

    def test_large_stream_agrees(self):
        """Thousands of entries over many nodes: ranges, trims, groups and XINFO."""
        got = []
        for srv in (self.larder, self.redis):
            c = RespClient(srv.port)
            c.call("FLUSHALL")
            c.call("CONFIG", "SET", "stream-node-max-entries", "100")
            for i in range(0, 3000, 500):
                c.send("MULTI")
                for j in range(i, i + 500):
                    c.send("XADD", "big", f"{j // 3 + 1}-{j % 3}", "n", str(j))
                c.send("EXEC")
                for _ in range(502):
                    c.read()
            out = [c.call("XLEN", "big"),
                   c.call("XGROUP", "CREATE", "big", "g", "0"),
                   c.call("XREADGROUP", "GROUP", "g", "a", "COUNT", "700", "STREAMS", "big",
                          ">")[1][0][1][1][-1],
                   c.call("XDEL", "big", "100-0", "200-1", "999-2")]
            for args in (["XRANGE", "big", "500", "510"],
                         ["XREVRANGE", "big", "+", "(900-1", "COUNT", "4"],
                         ["XTRIM", "big", "MAXLEN", "~", "2500"],
                         ["XTRIM", "big", "MINID", "~", "300"],
                         ["XTRIM", "big", "MAXLEN", "2222"],
                         ["XPENDING", "big", "g"],
                         ["XPENDING", "big", "g", "-", "+", "3"],
                         ["XAUTOCLAIM", "big", "g", "b", "0", "0", "COUNT", "3", "JUSTID"],
                         ["XINFO", "GROUPS", "big"],
                         ["XINFO", "STREAM", "big"]):
                out.append(_stream_normalize(args, c.call(*args)))
            c.call("CONFIG", "SET", "stream-node-max-entries", NODE_ENTRIES)
            c.close()
            got.append(out)
        self.assertEqual(got[0], got[1])


if __name__ == "__main__":
    unittest.main()
