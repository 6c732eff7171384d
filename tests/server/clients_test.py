"""Real clients against larderd, each compared with the same client against redis-server 7.0.15:
redis-cli (RESP2 and -3, arguments, stdin, -r, --scan, --pipe), python3-redis (commands,
pipelines, transactions, pub/sub, scan_iter) and the node client `redis` with RESP3 (skipped when
node or the package is missing: `scripts/setup redis` installs it from npm when it can).
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from larderd import RedisServer, server_under_test  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("LARDER_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "larder")
NODE_MODULES = os.path.join(CACHE, "node", "node_modules")

# redis-cli sessions: each a list of commands run as `redis-cli [-3] <args>`; their output is
# compared byte for byte (replies whose order or value may legitimately differ stay out).
CLI_COMMANDS = [
    ["PING"], ["SET", "c:k", "hello world"], ["GET", "c:k"], ["GET", "c:none"],
    ["SET", "c:k", "v", "NX"], ["INCR", "c:n"], ["INCRBYFLOAT", "c:n", "1.25"],
    ["MSET", "c:a", "1", "c:b", "2"], ["MGET", "c:a", "c:none", "c:b"],
    ["HSET", "c:h", "f", "v"], ["HGETALL", "c:h"], ["HGET", "c:h", "f"], ["HGET", "c:k", "f"],
    ["EXPIRE", "c:k", "10000"], ["TYPE", "c:h"], ["EXISTS", "c:a", "c:b", "c:none"],
    ["DEL", "c:a"], ["APPEND", "c:b", "x"], ["STRLEN", "c:b"], ["GETRANGE", "c:b", "0", "0"],
    ["SETBIT", "c:bits", "3", "1"], ["BITCOUNT", "c:bits"], ["BITFIELD", "c:bits", "GET", "u4", "0"],
    ["NOSUCHCOMMAND", "x"], ["GET"], ["ECHO", "a\nb"], ["DBSIZE"], ["PUBLISH", "c:ch", "m"],
    ["LCS", "c:k", "c:b"], ["COPY", "c:b", "c:b2"], ["RENAME", "c:b2", "c:b3"], ["KEYS", "c:b?"],
]


def cli(port, *args, stdin=None):
    p = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], input=stdin,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def py_scenario(r, r2):
    """One python3-redis session; returns what it saw. r2: a second connection (pub/sub)."""
    out = {}
    r.flushall()
    out["set"] = r.set("p:k", "v", ex=1000)
    out["get"] = r.get("p:k")
    out["ttl_ok"] = 990 < r.ttl("p:k") <= 1000
    out["setnx"] = r.set("p:k", "w", nx=True)
    out["incr"] = [r.incr("p:n"), r.incrby("p:n", 5), r.decr("p:n"), r.incrbyfloat("p:n", 0.5)]
    out["mset"] = r.mset({"p:a": "1", "p:b": "2"})
    out["mget"] = r.mget(["p:a", "p:zz", "p:b"])
    out["hset"] = r.hset("p:h", mapping={"x": "1", "y": "2", "z": "3"})
    out["hgetall"] = sorted(r.hgetall("p:h").items())
    out["hincr"] = [r.hincrby("p:h", "x", 2), r.hincrbyfloat("p:h", "y", 1.5)]
    out["hmget"] = r.hmget("p:h", ["x", "nope", "z"])
    out["hdel"] = r.hdel("p:h", "z", "nope")
    out["hlen"] = r.hlen("p:h")
    out["hscan"] = sorted(r.hscan_iter("p:h"))
    out["bits"] = [r.setbit("p:bits", 10, 1), r.getbit("p:bits", 10), r.bitcount("p:bits"),
                   r.bitpos("p:bits", 1)]
    out["bitfield"] = r.bitfield("p:bf").set("u8", 0, 200).incrby("u8", 0, 100).get("u8", 0).execute()
    out["getex"] = [r.getex("p:a", persist=True), r.getdel("p:a"), r.exists("p:a")]
    out["expire"] = [r.expire("p:b", 500), r.persist("p:b"), r.ttl("p:b"), r.type("p:b")]
    out["rename"] = [r.rename("p:b", "p:c"), r.renamenx("p:c", "p:k"), r.copy("p:c", "p:d")]
    out["scan"] = sorted(r.scan_iter(match="p:*", count=3))
    try:
        r.hget("p:k", "x")
        out["wrongtype"] = None
    except Exception as e:  # redis.exceptions.ResponseError
        out["wrongtype"] = str(e)
    pipe = r.pipeline(transaction=False)
    for i in range(50):
        pipe.set(f"p:pipe:{i}", i)
        pipe.get(f"p:pipe:{i}")
    out["pipeline"] = pipe.execute()
    tx = r.pipeline(transaction=True)
    tx.incr("p:tx").incr("p:tx").hset("p:txh", "f", "v").get("p:tx")
    out["transaction"] = tx.execute()
    with r.pipeline() as w:  # WATCH, then a write from elsewhere: the EXEC aborts
        w.watch("p:tx")
        r2.set("p:tx", "other")
        w.multi()
        w.incr("p:tx")
        try:
            w.execute()
            out["watch"] = "executed"
        except Exception as e:  # redis.exceptions.WatchError
            out["watch"] = type(e).__name__
    ps = r2.pubsub()
    ps.subscribe("p:ch")
    ps.psubscribe("p:*")
    msgs = []
    deadline = time.monotonic() + 10
    while len(msgs) < 2 and time.monotonic() < deadline:  # the two subscribe confirmations
        m = ps.get_message(timeout=1.0)
        if m:
            msgs.append(m)
    out["published"] = r.publish("p:ch", "hello")
    while len(msgs) < 4 and time.monotonic() < deadline:
        m = ps.get_message(timeout=1.0)
        if m:
            msgs.append(m)
    out["messages"] = sorted(repr(sorted(m.items())) for m in msgs)
    out["numsub"] = r.pubsub_numsub("p:ch")
    ps.close()
    out["dbsize"] = r.dbsize()
    out["info_version"] = r.info("server")["redis_version"]
    return out


class ClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.larder = server_under_test().start()
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.larder.__exit__(None, None, None)
        cls.redis.__exit__(None, None, None)

    def both(self, fn):
        """fn(server) on larderd, then on redis-server, each after a FLUSHALL."""
        out = []
        for srv in (self.larder, self.redis):
            cli(srv.port, "FLUSHALL")
            out.append(fn(srv))
        return out

    def test_redis_cli_arguments(self):
        # --no-raw: the formatted output, with the reply types ((integer), (nil), maps in RESP3).
        for proto in ([], ["-3"], ["--no-raw"], ["-3", "--no-raw"]):
            def session(srv):
                return [(c, cli(srv.port, *proto, *c)[1]) for c in CLI_COMMANDS]
            a, b = self.both(session)
            for (cmd, x), (_, y) in zip(a, b):
                self.assertEqual(x, y, f"redis-cli {' '.join(proto + cmd)}")

    def test_redis_cli_stdin_repeat_scan_pipe(self):
        def session(srv):
            p = srv.port
            out = [cli(p, stdin=b"SET s:a 1\nINCR s:a\nGET s:a\nHSET s:h f v\n")[1],
                   cli(p, "-r", "5", "INCR", "s:r")[1],
                   cli(p, "-3", "HGETALL", "s:h")[1]]
            for i in range(30):
                cli(p, "SET", f"s:scan:{i}", str(i))
            out.append(sorted(cli(p, "--scan", "--pattern", "s:scan:1*")[1].split()))
            proto = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(k), k)
                             for k in (b"pipe:%d" % i for i in range(1000)))
            rc, stdout, _ = cli(p, "--pipe", stdin=proto)
            out.append((rc, stdout.strip().splitlines()[-1]))
            out.append(cli(p, "DBSIZE")[1])
            return out
        a, b = self.both(session)
        self.assertEqual(a, b)

    def test_redis_cli_pipe_of_a_bulk_load(self):
        # A bulk load as redis-cli --pipe sends it: large writes that end anywhere, replies read
        # while it writes (the 1M-key load of bench/server_bench.py hung here before 5827f9b;
        # hostile_test.py has the deterministic case). A hang is the 60 s timeout of cli().
        n = 200_000
        proto = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(k), k)
                         for k in (b"bulk:%d" % i for i in range(n)))
        rc, stdout, stderr = cli(self.larder.port, "--pipe", stdin=proto)
        self.assertEqual(rc, 0, stderr)
        self.assertIn(f"errors: 0, replies: {n}", stdout)
        self.assertEqual(cli(self.larder.port, "EXISTS", "bulk:0", f"bulk:{n - 1}")[1].strip(), "2")
        cli(self.larder.port, "FLUSHALL")

    def test_redis_cli_info_reports_redis_7(self):
        out = cli(self.larder.port, "INFO", "server")[1]
        self.assertIn("redis_version:7.0.15", out)

    def test_python_redis(self):
        import redis
        a, b = self.both(lambda srv: py_scenario(srv.client(decode_responses=True),
                                                 srv.client(decode_responses=True)))
        self.assertEqual(a.pop("info_version"), "7.0.15")
        b.pop("info_version")
        for k in b:
            self.assertEqual(a.get(k), b[k], f"python3-redis {redis.__version__}: {k}")

    def test_node_redis_resp3(self):
        if shutil.which("node") is None:
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(NODE_MODULES, "redis")):
            self.skipTest(f"the node client is not in {NODE_MODULES} (scripts/setup redis)")

        def run(srv):
            p = subprocess.run(["node", os.path.join(HERE, "node_client.js"), str(srv.port)],
                               env=dict(os.environ, NODE_PATH=NODE_MODULES), capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            return json.loads(p.stdout)
        a, b = self.both(run)
        for k in b:
            self.assertEqual(a.get(k), b[k], f"node redis: {k}")


if __name__ == "__main__":
    unittest.main()
