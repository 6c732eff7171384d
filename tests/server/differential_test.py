"""Differential test: one seeded random command stream sent to larderd and to redis-server 7.0.15.

Each reply is compared exactly (RESP type, error string, value) after normalizing only what may
differ between two correct servers: the order of unordered replies (KEYS, HKEYS, HVALS, HGETALL),
random picks (RANDOMKEY, HRANDFIELD: shape only) and clocks (TTL/PTTL/EXPIRETIME within two
seconds; every expiry in the stream is far in the future, so nothing expires during a run).

On a mismatch the test prints the seed, the command's index, the command, both replies and the
commands before it; rerun one stream with LARDER_DIFF_SEED=<seed> (LARDER_DIFF_COMMANDS=<n> sets
its length). LARDER_DIFF_SURVEY=1 goes on past mismatches (both servers are flushed after each, so
that later comparisons start from equal states) and prints a count of them per command.
"""
import collections
import os
import random
import select
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from larderd import RedisServer, server_under_test  # noqa: E402
from resp_client import RespClient  # noqa: E402

COMMANDS = int(os.environ.get("LARDER_DIFF_COMMANDS", "1500"))
SEEDS = [int(os.environ["LARDER_DIFF_SEED"])] if "LARDER_DIFF_SEED" in os.environ else [1, 2, 3]
SURVEY = os.environ.get("LARDER_DIFF_SURVEY") == "1"

STRING_KEYS = [f"s{i}" for i in range(6)]
HASH_KEYS = [f"h{i}" for i in range(4)]
FIELDS = [f"f{i}" for i in range(6)]
# Far in the future and the same for both servers: absolute expiry times never depend on when a
# command reaches a server.
FAR = int(time.time()) + 50_000_000


class Gen:
    """Random commands of every family, over a small key pool so that types collide."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def key(self, want="s"):
        r = self.r
        if r.random() < 0.1:  # the other type: WRONGTYPE paths
            want = "h" if want == "s" else "s"
        return r.choice(STRING_KEYS if want == "s" else HASH_KEYS)

    def value(self):
        r = self.r
        kind = r.randrange(6)
        if kind == 0:
            return str(r.randint(-1000, 1000))
        if kind == 1:
            return str(r.choice([0, 1, -1, 2**62, -(2**63), 2**63 - 1, 10**20]))
        if kind == 2:
            return f"{r.uniform(-100, 100):.{r.randrange(0, 5)}f}"
        if kind == 3:
            return ""
        if kind == 4:
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 12)))
        return "".join(r.choice("abcxyz ") for _ in range(r.randrange(1, 20)))

    def num(self):
        r = self.r
        return r.choice([str(r.randint(-20, 20)), str(r.randint(-10**6, 10**6)), "x", "1.5",
                         str(2**63), "-0", "9223372036854775807"])

    def ttl(self):
        return str(self.r.randint(10_000, 1_000_000))

    def string_cmd(self):
        r, k, v = self.r, self.key, self.value
        opts = [[], ["NX"], ["XX"], ["GET"], ["EX", self.ttl()], ["PX", self.ttl() + "000"],
                ["EXAT", str(FAR)], ["PXAT", str(FAR * 1000)], ["KEEPTTL"], ["NX", "GET"],
                ["EX", "0"], ["EX", "-5"], ["EX", "x"], ["BOGUS"], ["EX", "10", "PX", "10"]]
        c = r.randrange(24)
        if c == 0:
            return ["SET", k(), v()] + r.choice(opts)
        if c == 1:
            return ["GET", k()]
        if c == 2:
            return ["GETEX", k()] + r.choice([[], ["PERSIST"], ["EX", self.ttl()],
                                              ["EXAT", str(FAR)], ["EX", "0"], ["FOO"]])
        if c == 3:
            return ["GETDEL", k()]
        if c == 4:
            return ["GETSET", k(), v()]
        if c == 5:
            return ["SETNX", k(), v()]
        if c == 6:
            return [r.choice(["SETEX", "PSETEX"]), k(), r.choice([self.ttl(), "0", "x"]), v()]
        if c == 7:
            return ["MGET"] + [k() for _ in range(r.randrange(1, 5))]
        if c == 8:
            return [r.choice(["MSET", "MSETNX"])] + [x for _ in range(r.randrange(1, 4))
                                                     for x in (k(), v())]
        if c == 9:
            return [r.choice(["INCR", "DECR"]), k()]
        if c == 10:
            return [r.choice(["INCRBY", "DECRBY"]), k(), self.num()]
        if c == 11:
            return ["INCRBYFLOAT", k(), r.choice(["1.5", "-0.25", "3", "1e3", "x", "inf"])]
        if c == 12:
            return ["APPEND", k(), v()]
        if c == 13:
            return ["STRLEN", k()]
        if c in (14, 15):
            return [r.choice(["GETRANGE", "SUBSTR"]), k(), str(r.randint(-10, 10)),
                    str(r.randint(-10, 20))]
        if c == 16:
            return ["SETRANGE", k(), r.choice(["0", "3", "20", "-1"]), v()]
        if c == 17:
            return ["LCS", k(), k()] + r.choice([[], ["LEN"], ["IDX"], ["IDX", "MINMATCHLEN", "2"],
                                                 ["IDX", "WITHMATCHLEN"]])
        return self.bit_cmd()

    def bit_cmd(self):
        r, k = self.r, self.key
        c = r.randrange(7)
        if c == 0:
            return ["SETBIT", k(), str(r.choice([0, 1, 7, 63, 200, -1])), r.choice(["0", "1", "2"])]
        if c == 1:
            return ["GETBIT", k(), str(r.randint(0, 100))]
        if c == 2:
            return ["BITCOUNT", k()] + r.choice([[], ["0", "-1"], ["1", "3", "BIT"],
                                                 ["0", "5", "BYTE"], ["2", "1"]])
        if c == 3:
            return ["BITPOS", k(), r.choice(["0", "1"])] + r.choice(
                [[], ["1"], ["0", "-1"], ["2", "20", "BIT"]])
        if c == 4:
            op = r.choice(["AND", "OR", "XOR", "NOT"])
            n = 1 if op == "NOT" else r.randrange(1, 4)
            return ["BITOP", op, k()] + [k() for _ in range(n)]
        enc = r.choice(["u8", "i8", "u4", "i16", "u63", "i64", "u64", "x1"])
        sub = r.choice([["GET", enc, str(r.randint(0, 40))],
                        ["SET", enc, "#" + str(r.randint(0, 3)), self.num()],
                        ["INCRBY", enc, str(r.randint(0, 40)), self.num()],
                        ["OVERFLOW", r.choice(["WRAP", "SAT", "FAIL", "BAD"]),
                         "INCRBY", enc, "0", "100"]])
        if c == 5:
            return ["BITFIELD", k()] + sub
        return ["BITFIELD_RO", k(), "GET", enc, str(r.randint(0, 40))]

    def key_cmd(self):
        r = self.r

        def k():
            return self.key(r.choice("sh"))
        c = r.randrange(22)
        if c == 0:
            return [r.choice(["DEL", "UNLINK"])] + [k() for _ in range(r.randrange(1, 3))]
        if c == 1:
            return ["EXISTS"] + [k() for _ in range(r.randrange(1, 4))]
        if c == 2:
            return ["TYPE", k()]
        if c == 3:
            return [r.choice(["RENAME", "RENAMENX"]), k(), k()]
        if c == 4:
            return ["COPY", k(), k()] + r.choice([[], ["REPLACE"], ["DB", "1"]])
        if c == 5:
            return ["MOVE", k(), r.choice(["1", "0", "99", "x"])]
        if c == 6:
            return ["KEYS", r.choice(["*", "s*", "h[0-1]", "?1", "nomatch"])]
        if c == 7:
            return ["RANDOMKEY"]
        if c == 8:
            return ["TOUCH", k(), k()]
        if c in (9, 10):
            cmd = r.choice(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
            t = {"EXPIRE": self.ttl(), "PEXPIRE": self.ttl() + "000", "EXPIREAT": str(FAR),
                 "PEXPIREAT": str(FAR * 1000 + r.randint(0, 999))}[cmd]
            return [cmd, k(), r.choice([t, t, "x"])] + r.choice(
                [[], [], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"], ["FOO"]])
        if c == 11:
            return [r.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k()]
        if c == 12:
            return ["PERSIST", k()]
        if c == 13:
            return ["DBSIZE"]
        if c == 14:
            return ["SELECT", r.choice(["0", "0", "0", "1", "16", "x"])]
        if c == 15:
            return ["SWAPDB", r.choice(["0", "1"]), r.choice(["0", "1", "x"])]
        if c == 16 and r.random() < 0.05:
            return [r.choice(["FLUSHDB", "FLUSHALL"])]
        if c == 17:
            return ["ECHO", self.value()]
        if c == 18:
            return ["PING"] + r.choice([[], ["hi"]])
        if c == 19:
            return ["PUBLISH", r.choice(["ch1", "ch2"]), self.value()]
        if c == 20:
            return ["PUBSUB"] + r.choice([["CHANNELS"], ["NUMSUB", "ch1"], ["NUMPAT"],
                                          ["BOGUS"]])
        return ["EXISTS", k()]

    def hash_cmd(self):
        r = self.r

        def k():
            return self.key("h")

        def f():
            return r.choice(FIELDS)
        c = r.randrange(17)
        if c in (0, 1):
            return [r.choice(["HSET", "HMSET"]), k()] + [x for _ in range(r.randrange(1, 4))
                                                          for x in (f(), self.value())]
        if c == 2:
            return ["HSETNX", k(), f(), self.value()]
        if c == 3:
            return ["HGET", k(), f()]
        if c == 4:
            return ["HMGET", k()] + [f() for _ in range(r.randrange(1, 4))]
        if c == 5:
            return ["HDEL", k()] + [f() for _ in range(r.randrange(1, 3))]
        if c == 6:
            return ["HLEN", k()]
        if c == 7:
            return ["HSTRLEN", k(), f()]
        if c == 8:
            return ["HEXISTS", k(), f()]
        if c in (9, 10, 11):
            return [r.choice(["HKEYS", "HVALS", "HGETALL"]), k()]
        if c == 12:
            return ["HINCRBY", k(), f(), self.num()]
        if c == 13:
            return ["HINCRBYFLOAT", k(), f(), r.choice(["1.5", "-2", "x", "1e2"])]
        if c == 14:
            return ["HRANDFIELD", k()] + r.choice([[], ["2"], ["-3"], ["0"], ["3", "WITHVALUES"],
                                                   ["x"]])
        return ["HSET", k(), f(), self.value()]

    def error_cmd(self):
        """Wrong arity, unknown commands, syntax and type errors."""
        r = self.r
        c = r.randrange(4)
        if c == 0:
            return [r.choice(["GET", "SET", "HSET", "INCRBY", "EXPIRE", "GETRANGE", "HGET",
                              "MSET", "BITCOUNT", "RENAME"])]
        if c == 1:
            return [r.choice(["FOOBAR", "GETT", "hsett"])] + [self.value()
                                                             for _ in range(r.randrange(3))]
        if c == 2:
            return ["GET", "s0", "extra"]
        return ["SET", "s1", "v", "EX"]

    def multi_block(self):
        r = self.r
        out = []
        if r.random() < 0.3:
            out.append(["WATCH", self.key(r.choice("sh"))])
        out.append(["MULTI"])
        for _ in range(r.randrange(0, 5)):
            out.append(self.command(in_multi=True))
        out.append([r.choice(["EXEC", "EXEC", "EXEC", "DISCARD"])])
        return out

    def command(self, in_multi=False):
        x = self.r.random()
        if x < 0.35:
            return self.string_cmd()
        if x < 0.55:
            return self.hash_cmd()
        if x < 0.85:
            return self.key_cmd()
        if x < 0.95 or in_multi:
            return self.error_cmd() if not in_multi or self.r.random() < 0.3 else ["PING"]
        return self.r.choice([["EXEC"], ["DISCARD"], ["MULTI"], ["UNWATCH"]])

    def stream(self, n):
        while n > 0:
            if self.r.random() < 0.06:
                block = self.multi_block()
                n -= len(block)
                yield from block
            else:
                n -= 1
                yield self.command()


UNORDERED = {"KEYS", "HKEYS", "HVALS"}
CLOCKS = {"TTL": 2, "EXPIRETIME": 2, "PTTL": 2000, "PEXPIRETIME": 2000}


def _pairs(v):
    return sorted((repr(a), repr(b)) for a, b in zip(v[0::2], v[1::2]))


def normalize(cmd, reply):
    """The reply with what may legitimately differ taken out."""
    name = cmd[0].upper()
    t, v = reply
    if t in "*~%" and v is not None:
        if name in UNORDERED:
            return (t, sorted(repr(x) for x in v))
        if name == "HGETALL":
            return (t, _pairs(v) if t == "*" else sorted(repr(x) for x in v))
    if name == "RANDOMKEY":
        return (t, v is None)
    if name == "HRANDFIELD" and t != "-":
        return (t, None if v is None else (len(v) if isinstance(v, list) else 1))
    return reply


def compare(cmd, a, b, queued=()):
    """Whether two replies to cmd agree; queued: the commands an EXEC ran, in order."""
    name = cmd[0].upper()
    if name in CLOCKS and a[0] == b[0] == ":" and a[1] >= 0 and b[1] >= 0:
        return abs(a[1] - b[1]) <= CLOCKS[name]
    if name == "EXEC" and a[0] == b[0] == "*" and a[1] is not None and b[1] is not None:
        return len(a[1]) == len(b[1]) == len(queued) and all(
            compare(q, x, y) for q, x, y in zip(queued, a[1], b[1]))
    return normalize(cmd, a) == normalize(cmd, b)


def show(cmd):
    return " ".join(repr(x) if isinstance(x, bytes) else str(x) for x in cmd)


class BlockedClientScenarios:
    """For a DifferentialTest of blocking commands: run the same scenario of blocked clients on
    larderd and redis-server and compare. The family defines contents(ctl): what its keys hold
    afterwards (e.g. every list's elements)."""

    def wait_blocked(self, ctl, clients):
        """Waits until the server has run the command of each of `clients` (sent in order): each
        is either still blocked or already answered (a short timeout may have run out before
        the first INFO; its reply then waits in its socket)."""
        deadline = time.time() + 10
        while time.time() < deadline:
            info = ctl.call("INFO", "clients")[1]
            info = info.decode() if isinstance(info, bytes) else str(info)
            answered = len(select.select([c.sock for c in clients if not c.buf], [], [], 0)[0])
            answered += sum(1 for c in clients if c.buf)
            for line in info.splitlines():
                if (line.startswith("blocked_clients:") and
                        int(line.split(":")[1]) + answered == len(clients)):
                    return
            time.sleep(0.005)
        self.fail(f"the server did not count {len(clients)} blocked clients")

    def scenario(self, port, blockers, writes, protocol=2):
        """Each of `blockers` (commands) sent by its own client, in order, each once the server
        counts it blocked; then `writes` from a controller; then every client's reply, and the
        keys' contents."""
        ctl = RespClient(port)
        clients = []
        try:
            ctl.call("FLUSHALL")
            for i, cmd in enumerate(blockers):
                c = RespClient(port)
                clients.append(c)
                if protocol == 3:
                    c.call("HELLO", "3")
                c.send(*cmd)
                self.wait_blocked(ctl, clients)
            ctl_replies = [ctl.call(*cmd) for cmd in writes]
            replies = [c.read() for c in clients]
            return ctl_replies, replies, self.contents(ctl)
        finally:
            for c in clients + [ctl]:
                c.close()

    def check_scenario(self, blockers, writes, protocol=2):
        got = self.scenario(self.larder.port, blockers, writes, protocol)
        want = self.scenario(self.redis.port, blockers, writes, protocol)
        self.assertEqual(got, want, f"blockers {blockers}, writes {writes}")


class DifferentialTest(unittest.TestCase):
    gen = Gen  # the command generator (differential_<family>_test.py swap in their own)

    @classmethod
    def setUpClass(cls):
        cls.larder = server_under_test().start()
        cls.redis = RedisServer().start()

        cls.survey = collections.Counter()

    @classmethod
    def tearDownClass(cls):
        if SURVEY:
            print("\nmismatches per command (RESP version, command, count):")
            for (proto, name), n in sorted(cls.survey.items()):
                print(f"  RESP{proto} {name}: {n}")
        cls.larder.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def run_stream(self, seed, protocol):
        a, b = RespClient(self.larder.port), RespClient(self.redis.port)
        try:
            for c in (a, b):
                c.call("FLUSHALL")
                if protocol == 3:
                    c.call("HELLO", "3")
            history, queued, in_multi = [], [], False
            for i, cmd in enumerate(self.gen(seed).stream(COMMANDS)):
                ra, rb = a.call(*cmd), b.call(*cmd)
                history.append(cmd)
                name = cmd[0].upper()
                if not compare(cmd, ra, rb, queued) and SURVEY:
                    self.survey[(protocol, name)] += 1
                    if self.survey[(protocol, name)] == 1:
                        print(f"\nRESP{protocol} {show(cmd)}\n  larderd:      {ra!r}\n"
                              f"  redis-server: {rb!r}")
                    for c in (a, b):  # back to equal states
                        for reset in (["DISCARD"], ["UNWATCH"], ["SELECT", "0"], ["FLUSHALL"]):
                            c.call(*reset)
                    in_multi = False
                    continue
                if not compare(cmd, ra, rb, queued):
                    recent = "\n".join("    " + show(c) for c in history[-10:-1])
                    self.fail(f"RESP{protocol} seed {seed}, command #{i}: {show(cmd)}\n"
                              f"  larderd:      {ra!r}\n  redis-server: {rb!r}\n"
                              f"  the commands before it:\n{recent}")
                # Track the transaction as redis-server sees it (the two agreed so far).
                if name == "MULTI" and rb == ("+", "OK"):
                    in_multi, queued = True, []
                elif name in ("EXEC", "DISCARD") and in_multi:
                    in_multi = False
                elif in_multi and rb == ("+", "QUEUED"):
                    queued.append(cmd)
        finally:
            a.close()
            b.close()

    def test_random_stream_resp2(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                self.run_stream(seed, 2)

    def test_random_stream_resp3(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                self.run_stream(seed + 1000, 3)

    def test_scan_iterates_the_same_keys(self):
        sets = []
        for srv in (self.larder, self.redis):
            c = RespClient(srv.port)
            c.call("FLUSHALL")
            for i in range(300):
                c.call("SET", f"key:{i}", i)
            c.call("HSET", "hash", *[x for i in range(200) for x in (f"f{i}", i)])
            got = {}
            for args in (["SCAN", "{}", "COUNT", "17"], ["SCAN", "{}", "MATCH", "key:1*"],
                         ["SCAN", "{}", "TYPE", "hash"], ["HSCAN", "hash", "{}", "COUNT", "9"],
                         ["HSCAN", "hash", "{}", "MATCH", "f1?"]):
                seen, cursor = [], "0"
                for _ in range(10_000):
                    t, v = c.call(*[x.format(cursor) if x == "{}" else x for x in args])
                    self.assertEqual(t, "*", v)
                    cursor = v[0][1].decode()
                    seen += [x[1] for x in v[1][1]]
                    if cursor == "0":
                        break
                got[" ".join(args)] = sorted(set(seen))
            c.close()
            sets.append(got)
        self.assertEqual(sets[0], sets[1])

    def test_pubsub_messages(self):
        for protocol in (2, 3):
            got = []
            for srv in (self.larder, self.redis):
                sub, pub = RespClient(srv.port, timeout=10), RespClient(srv.port)
                if protocol == 3:
                    sub.call("HELLO", "3")
                replies = [sub.call("SUBSCRIBE", "news", "sport"), sub.read(),
                           sub.call("PSUBSCRIBE", "n*")]
                replies.append(pub.call("PUBLISH", "news", "hello"))
                replies += [sub.read(), sub.read()]  # message, pmessage
                replies.append(pub.call("PUBSUB", "NUMSUB", "news", "none"))
                replies.append(pub.call("PUBSUB", "NUMPAT"))
                replies.append(sub.call("UNSUBSCRIBE", "news"))
                replies.append(sub.call("PING"))
                if protocol == 2:
                    replies.append(sub.call("GET", "x"))  # not allowed while subscribed
                replies.append(sub.call("PUNSUBSCRIBE"))
                replies.append(sub.call("UNSUBSCRIBE"))
                sub.close()
                pub.close()
                got.append(replies)
            self.assertEqual(got[0], got[1], f"RESP{protocol}")


if __name__ == "__main__":
    unittest.main()
