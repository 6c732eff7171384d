"""Starting and stopping a server for the larderd integration tests.

Every test starts its own server on a free 127.0.0.1 port with its own data directory and stops
it by pid; nothing listens beyond loopback. Used by the python suites in tests/server/ (run with
Debian's /usr/bin/python3, which has python3-redis).

    with Larderd(bin_dir) as srv:          # larderd on a free port, temp dir
        r = srv.client()                    # a redis.Redis connected to it
        srv.kill9(); srv.start()            # restart on the same dir and port
                                            # every stop(): `larder check` of the data file
    with RedisServer() as ref: ...          # Debian's redis-server 7.0.15, same interface
"""
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import unittest

LARDER_BIN_DIR = os.environ.get("LARDER_BIN_DIR", os.path.join(os.path.dirname(__file__), "../../build/bin"))


def free_port():
    """A port that was free a moment ago (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s")


class _Server:
    def __init__(self, argv_fn, data_dir=None):
        self._argv_fn = argv_fn
        self._tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="larderd-test-")
        self.dir = data_dir or self._tmp.name
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    def start(self, extra=()):
        for attempt in range(5):
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(self._argv_fn(self) + list(extra), stdout=log,
                                         stderr=subprocess.STDOUT, cwd=self.dir)
            log.close()
            try:
                wait_for_port(self.port, self.proc)
                return self
            except RuntimeError:
                if self.proc.poll() is None:
                    raise
                if attempt == 4:
                    raise RuntimeError(f"server failed to start: {self.log()}")
                self.port = free_port()  # lost a race for the port: pick another
        return self

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def client(self, **kwargs):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30, **kwargs)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout=30):
        """SIGTERM and wait: a clean shutdown. Returns the exit code."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            if self._tmp:
                self._tmp.cleanup()


class Larderd(_Server):
    """larderd on a free port. Every stop() (a clean stop, and the final stop of a test that
    killed it with kill9() and started it again) runs `larder check` on the data file and
    raises AssertionError when the check reports a problem (docs/cli.md: `OK`, or problem lines
    and exit 1), so no test passes over a damaged file."""

    def __init__(self, bin_dir=LARDER_BIN_DIR, args=(), data_dir=None):
        self.binary = os.path.abspath(os.path.join(bin_dir, "larderd"))  # servers run in their dir
        self.larder = os.path.abspath(os.path.join(bin_dir, "larder"))
        # LARDER_TEST_ENGINE=lsm runs every suite's larderd on the LSM engine (ctest's *.lsm
        # entries); an explicit --engine in `args` wins.
        engine = os.environ.get("LARDER_TEST_ENGINE")
        self.args = (["--engine", engine] if engine else []) + list(args)
        super().__init__(lambda s: [s.binary, "--port", str(s.port), "--bind", "127.0.0.1",
                                    "--dir", os.path.join(s.dir, "data")] + s.args, data_dir)

    def data_dir(self):
        """The data directory: <dir>/data, or the last --dir of the extra args (relative to the
        server's working directory, <dir>)."""
        path = os.path.join(self.dir, "data")
        for i, arg in enumerate(self.args[:-1]):
            if arg == "--dir":
                path = os.path.join(self.dir, self.args[i + 1])
        return path

    def stop(self, timeout=30):
        code = super().stop(timeout)
        self.check_data_file()
        return code

    def check_data_file(self):
        """`larder check <data dir>/larder.db` (bolt) or `larder lsm check <data dir>/larder.lsm`
        (the LSM engine); AssertionError with its report unless it says OK. Nothing to check
        when the server never created its data."""
        for path, command in ((os.path.join(self.data_dir(), "larder.db"), ["check"]),
                              (os.path.join(self.data_dir(), "larder.lsm"), ["lsm", "check"])):
            if not os.path.exists(path):
                continue
            if not os.path.exists(self.larder):
                raise AssertionError(f"{self.larder} is missing: build the larder_cli target to "
                                     f"check {path}")
            res = subprocess.run([self.larder] + command + [path], capture_output=True,
                                 timeout=600)
            out = res.stdout.decode(errors="replace").strip()
            if res.returncode != 0 or out != "OK":
                err = res.stderr.decode(errors="replace").strip()
                raise AssertionError(f"larder {' '.join(command)} {path} reports a problem "
                                     f"(exit {res.returncode}):\n{out}\n{err}".rstrip())


def kill9_rounds(test, srv, rounds, start_writers, check):
    """The kill -9 loop of the durability suites, on a running Larderd `srv`. Each round:
    `start_writers(round)` returns started threads that write until their connection fails,
    each recording what the server acknowledged in `acked` (a count or a collection); after
    0.3 to 1 s the server is killed with SIGKILL; every writer must notice and at least one
    write must have been acknowledged; the data file must pass `larder check`; the server
    restarts and `check(client, writers)` checks the writers of every round so far. Ends with a
    clean stop (exit 0, checked again). Returns every writer."""
    everyone = []
    for rnd in range(rounds):
        current = start_writers(rnd)
        time.sleep(random.uniform(0.3, 1.0))  # let them write, then pull the plug
        srv.kill9()
        for w in current:
            w.join(60)
            test.assertFalse(w.is_alive(), "a client did not notice the kill")
        everyone += current
        test.assertTrue(any(w.acked for w in current), f"nothing was written in round {rnd}")
        srv.check_data_file()
        srv.start()
        r = srv.client()
        try:
            check(r, everyone)
        finally:
            r.close()
    test.assertEqual(srv.stop(), 0)
    return everyone


class RedisServer(_Server):
    """Debian's redis-server 7.0.15: the reference for differential tests."""

    def __init__(self, args=(), data_dir=None):
        self.args = list(args)
        super().__init__(lambda s: ["redis-server", "--port", str(s.port), "--bind", "127.0.0.1",
                                    "--dir", s.dir, "--save", "", "--appendonly", "no",
                                    "--daemonize", "no"] + s.args, data_dir)


def server_under_test(args=()):
    """Larderd(args=args), or Debian's redis-server with the same args when
    LARDER_TEST_SERVER=redis: a suite that compares larderd with redis-server checks itself by
    comparing redis-server with itself."""
    if os.environ.get("LARDER_TEST_SERVER") == "redis":
        return RedisServer(args=args)
    return Larderd(args=args)


class ServerTestCase(unittest.TestCase):
    """A unittest case with one server for the whole class (cls.srv: server_under_test()) and,
    per test, a client of it (self.r) on a flushed keyspace."""

    @classmethod
    def make_server(cls):
        return server_under_test()

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.make_server().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def setUp(self):
        self.r = self.srv.client()
        self.r.flushall()

    def tearDown(self):
        self.r.close()
