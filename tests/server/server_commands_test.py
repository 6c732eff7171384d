"""larderd's protocol errors and limits, inline commands, configuration (command line, file,
CONFIG GET/SET) and the server commands (INFO, COMMAND, SLOWLOG, TIME), end to end.

Each case runs against larderd; LARDER_TEST_SERVER=redis runs the shared ones against Debian's
redis-server 7.0.15 instead, which checks the expectations themselves.
"""
import os
import socket
import subprocess
import tempfile
import time
import unittest

from larderd import LARDER_BIN_DIR, Larderd, RedisServer

AGAINST_REDIS = os.environ.get("LARDER_TEST_SERVER") == "redis"


def start_server(args=()):
    if AGAINST_REDIS:
        return RedisServer(args=args).start()
    return Larderd(args=args).start()


def exchange(port, data, timeout=5.0):
    """Sends raw bytes and reads until the server closes the connection or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        s.settimeout(0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                return out, True  # closed by the server
            out += chunk
        return out, False


class WithServer(unittest.TestCase):
    """One server for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.srv = start_server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()


class ProtocolTest(WithServer):
    def assert_protocol_error(self, data, error):
        reply, closed = exchange(self.srv.port, data)
        self.assertEqual(reply, b"-ERR Protocol error: " + error + b"\r\n", data[:60])
        self.assertTrue(closed, "the connection stays open after a protocol error")

    def test_protocol_errors(self):
        self.assert_protocol_error(b"*1\r\n$-1\r\n", b"invalid bulk length")
        self.assert_protocol_error(b"*1\r\n$01\r\n", b"invalid bulk length")
        self.assert_protocol_error(b"*1\r\n$536870913\r\n", b"invalid bulk length")
        self.assert_protocol_error(b"*x\r\n", b"invalid multibulk length")
        self.assert_protocol_error(b"*2147483648\r\n", b"invalid multibulk length")
        self.assert_protocol_error(b"*1\r\n:5\r\n", b"expected '$', got ':'")
        self.assert_protocol_error(b'echo "abc\r\n', b"unbalanced quotes in request")
        self.assert_protocol_error(b"echo 'a'b\r\n", b"unbalanced quotes in request")
        self.assert_protocol_error(b"x" * 70000, b"too big inline request")
        self.assert_protocol_error(b"*" + b"1" * 70000, b"too big mbulk count string")
        self.assert_protocol_error(b"*1\r\n$" + b"1" * 70000, b"too big bulk count string")

    @unittest.skipIf(AGAINST_REDIS, "Redis 7.0 allows up to 2^31-1 arguments")
    def test_multibulk_count_limit(self):
        self.assert_protocol_error(b"*1048577\r\n", b"invalid multibulk length")

    def test_replies_before_the_error_are_sent(self):
        reply, closed = exchange(self.srv.port, b"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n")
        self.assertEqual(reply, b"+PONG\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n")
        self.assertTrue(closed)

    def test_inline_and_blank_requests(self):
        reply, closed = exchange(
            self.srv.port,
            b"\r\n  \r\n*0\r\n*-1\r\nPING\r\necho \"a\\x41\\n\" 'it\\'s'\r\n"
            b"ECHO   x\n*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n")
        self.assertEqual(reply, b"+PONG\r\n-ERR wrong number of arguments for 'echo' command\r\n"
                         b"$1\r\nx\r\n$3\r\na\x00b\r\n")
        self.assertFalse(closed)
        reply, _ = exchange(self.srv.port, b'echo "a\\x41\\n"\r\n')
        self.assertEqual(reply, b"$3\r\naA\n\r\n")

    def test_large_bulk_in_small_pieces(self):
        value = os.urandom(3 << 20)
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=30) as s:
            s.sendall(b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % len(value))
            for i in range(0, len(value), 16384):
                s.sendall(value[i:i + 16384])
            s.sendall(b"\r\n")
            expected = b"$%d\r\n" % len(value) + value + b"\r\n"
            got = b""
            while len(got) < len(expected):
                chunk = s.recv(1 << 20)
                self.assertTrue(chunk, "connection closed")
                got += chunk
            self.assertEqual(got, expected)


class ServerCommandsTest(WithServer):
    def setUp(self):
        self.r = self.srv.client(decode_responses=True)

    def tearDown(self):
        self.r.close()

    def test_info(self):
        info = self.r.info()
        self.assertEqual(info["redis_version"], "7.0.15")
        self.assertEqual(info["redis_mode"], "standalone")
        self.assertEqual(info["tcp_port"], self.srv.port)
        self.assertEqual(info["process_id"], self.srv.proc.pid)
        self.assertGreaterEqual(info["connected_clients"], 1)
        self.assertGreater(info["used_memory_rss"], 0)
        self.assertEqual(info["role"], "master")
        if not AGAINST_REDIS:
            self.assertIn("larder_version", info)
        self.assertNotIn("cmdstat_ping", info)
        self.r.ping()
        self.assertGreaterEqual(self.r.info("commandstats")["cmdstat_ping"]["calls"], 1)
        self.r.set("info:k1", "v")
        self.r.set("info:k2", "v", ex=1000)
        ks = self.r.info("keyspace")
        self.assertGreaterEqual(ks["db0"]["keys"], 2)
        both = self.r.execute_command("INFO", "server", "clients")
        self.assertIn("redis_version", both)
        self.assertIn("connected_clients", both)
        self.assertNotIn("used_memory", both)
        self.assertEqual(self.r.execute_command("INFO", "nosuchsection"), {})
        if not AGAINST_REDIS:
            # A rank query builds the sorted set's in-memory rank index; INFO memory counts it.
            before = self.r.info("memory")
            self.r.delete("info:z")
            self.r.zadd("info:z", {f"m{i}": i for i in range(300)})
            self.assertEqual(self.r.zrank("info:z", "m150"), 150)
            after = self.r.info("memory")
            self.assertEqual(after["larder_rank_index_builds"],
                             before["larder_rank_index_builds"] + 1)
            self.assertGreaterEqual(after["larder_rank_indexes"], 1)
            self.assertGreater(after["larder_rank_index_bytes"], 0)
            self.assertIn("larder_rank_index_evictions", after)

    def test_config_get_set(self):
        self.assertEqual(self.r.config_get("maxclients"), {"maxclients": "10000"})
        got = self.r.config_get("slowlog-*")
        self.assertEqual(set(got), {"slowlog-log-slower-than", "slowlog-max-len"})
        self.assertEqual(self.r.config_get("save")["save"], "")  # redis-benchmark asks
        self.assertIn("appendonly", self.r.config_get("appendonly"))
        self.assertTrue(self.r.config_set("maxclients", "500"))
        self.assertEqual(self.r.config_get("maxclients"), {"maxclients": "500"})
        self.assertTrue(self.r.config_set("proto-max-bulk-len", "1gb"))
        self.assertEqual(self.r.config_get("proto-max-bulk-len")["proto-max-bulk-len"],
                         str(1 << 30))
        import redis
        with self.assertRaises(redis.ResponseError) as e:
            self.r.config_set("maxclients", "x")
        self.assertEqual(str(e.exception), "CONFIG SET failed (possibly related to argument "
                         "'maxclients') - argument couldn't be parsed into an integer")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.config_set("no-such-directive", "1")
        self.assertEqual(str(e.exception),
                         "Unknown option or number of arguments for CONFIG SET - "
                         "'no-such-directive'")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.config_set("databases", "3")
        self.assertIn("can't set immutable config", str(e.exception))
        self.assertTrue(self.r.config_set("maxclients", "10000"))
        self.assertTrue(self.r.config_resetstat())

    def test_new_bulk_limit_applies(self):
        self.assertTrue(self.r.config_set("proto-max-bulk-len", "1mb"))
        try:
            reply, closed = exchange(self.srv.port, b"*1\r\n$%d\r\n" % ((1 << 20) + 1))
            self.assertEqual(reply, b"-ERR Protocol error: invalid bulk length\r\n")
        finally:
            self.r.config_set("proto-max-bulk-len", "512mb")

    def test_command(self):
        self.r.response_callbacks.pop("COMMAND", None)  # the raw replies
        count = self.r.execute_command("COMMAND", "COUNT")
        self.assertGreater(count, 10)
        self.assertEqual(len(self.r.execute_command("COMMAND")), count)
        names = self.r.execute_command("COMMAND", "LIST")
        self.assertIn("ping", names)
        self.assertIn("config|get", names)
        info = self.r.execute_command("COMMAND", "INFO", "ping", "no-such-command")
        self.assertEqual(info[0][0], "ping")
        self.assertEqual(info[0][1], -1)
        self.assertIsNone(info[1])
        docs = self.r.execute_command("COMMAND", "DOCS", "ping")
        doc = dict(zip(docs[1][::2], docs[1][1::2]))
        self.assertEqual(docs[0], "ping")
        self.assertEqual(doc["group"], "connection")
        self.assertEqual(doc["since"], "1.0.0")
        self.assertTrue(doc["summary"])

    def test_slowlog_and_time(self):
        self.r.slowlog_reset()
        self.r.config_set("slowlog-log-slower-than", "0")
        try:
            self.r.echo("slow?")
            entries = self.r.slowlog_get(10)
            commands = [e["command"].decode() for e in entries]
            self.assertIn("ECHO slow?", commands)
            self.assertGreaterEqual(self.r.slowlog_len(), 1)
        finally:
            self.r.config_set("slowlog-log-slower-than", "10000")
        self.assertTrue(self.r.slowlog_reset())
        seconds, micros = self.r.time()
        self.assertLess(abs(seconds - time.time()), 10)
        self.assertLess(micros, 1000000)

    def test_redis_cli_help_and_info(self):
        # redis-cli reads COMMAND DOCS for its help and INFO for the version.
        out = subprocess.run(["redis-cli", "-p", str(self.srv.port), "INFO", "server"],
                             capture_output=True, text=True, timeout=30)
        self.assertIn("redis_version:7.0.15", out.stdout)
        out = subprocess.run(["redis-cli", "-p", str(self.srv.port), "-3", "CONFIG", "GET",
                              "port"], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.stdout.split(), ["port", str(self.srv.port)])


@unittest.skipIf(AGAINST_REDIS, "larderd's own command line")
class CommandLineTest(unittest.TestCase):
    def run_larderd(self, *args, cwd):
        return subprocess.run([os.path.join(LARDER_BIN_DIR, "larderd"), *args],
                              capture_output=True, text=True, timeout=60, cwd=cwd)

    def test_bad_directives_exit_1_naming_them(self):
        with tempfile.TemporaryDirectory() as d:
            out = self.run_larderd("--port", "x", cwd=d)
            self.assertEqual(out.returncode, 1)
            self.assertIn("port 'x'", out.stdout + out.stderr)
            out = self.run_larderd("--no-such-directive", "1", cwd=d)
            self.assertEqual(out.returncode, 1)
            self.assertIn("no-such-directive", out.stdout + out.stderr)
            conf = os.path.join(d, "bad.conf")
            with open(conf, "w") as f:
                f.write("# comment\nport 7000\nappendfsync sometimes\n")
            out = self.run_larderd(conf, cwd=d)
            self.assertEqual(out.returncode, 1)
            self.assertIn("bad.conf:3", out.stdout + out.stderr)
            self.assertIn("appendfsync", out.stdout + out.stderr)

    def test_config_file_and_options(self):
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "larderd.conf")
            with open(conf, "w") as f:
                f.write('maxclients 77\nsave ""\nappendonly no\nslowlog-max-len 9\n'
                        "client-output-buffer-limit pubsub 1mb 512kb 5\n")
            srv = Larderd(args=[conf], data_dir=d)
            # The file must come first: larderd.py puts its options before `args`, so start
            # larderd by hand with the file first.
            srv._argv_fn = lambda s: [s.binary, conf, "--port", str(s.port), "--bind",
                                      "127.0.0.1", "--dir", os.path.join(d, "data"),
                                      "--slowlog-max-len", "11"]
            srv.start()
            try:
                r = srv.client(decode_responses=True)
                self.assertEqual(r.config_get("maxclients")["maxclients"], "77")
                self.assertEqual(r.config_get("slowlog-max-len")["slowlog-max-len"], "11")
                self.assertEqual(r.config_get("client-output-buffer-limit")
                                 ["client-output-buffer-limit"],
                                 "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 5")
                r.close()
            finally:
                srv.stop()

    def test_rank_cache_mb_bounds_the_rank_indexes(self):
        if AGAINST_REDIS:
            self.skipTest("a larderd directive")
        with tempfile.TemporaryDirectory() as d:
            out = self.run_larderd("--rank-cache-mb", "-1", cwd=d)
            self.assertEqual(out.returncode, 1)
            self.assertIn("rank-cache-mb", out.stdout + out.stderr)
            srv = Larderd(args=["--rank-cache-mb", "0"], data_dir=d).start()
            try:
                r = srv.client(decode_responses=True)
                self.assertEqual(r.config_get("rank-cache-mb"), {"rank-cache-mb": "0"})
                for z in ("z1", "z2", "z3"):
                    r.zadd(z, {f"m{i}": i for i in range(200)})
                    self.assertEqual(r.zrank(z, "m150"), 150)
                mem = r.info("memory")
                # A budget of 0 keeps only the index last used: each new one evicts the last.
                self.assertEqual(mem["larder_rank_indexes"], 1)
                self.assertEqual(mem["larder_rank_index_builds"], 3)
                self.assertEqual(mem["larder_rank_index_evictions"], 2)
                self.assertEqual(r.zrank("z1", "m7"), 7)  # rebuilt, same answer
                r.close()
            finally:
                srv.stop()


if __name__ == "__main__":
    unittest.main()
