"""Hostile clients against larderd: every limit and a few abuses, while a well-behaved client keeps
pinging. Each scenario checks what the hostile client gets (Redis's error, a disconnect) and that
the prober's PINGs were all answered (each within PROBE_TIMEOUT: a hang detector, not a speed
test), and that the server is still up afterwards.

Run: /usr/bin/python3 -m unittest -v hostile_test (LARDER_BIN_DIR=build/bin, from tests/server).
"""
import os
import random
import socket
import threading
import time
import unittest

from larderd import Larderd

PROBE_TIMEOUT = 5.0  # seconds a PING may take before the server counts as starved or hung


def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_line(sock):
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf


def read_exactly(sock, n):
    """n bytes, or fewer if the server closes or the socket times out."""
    data = b""
    try:
        while len(data) < n:
            chunk = sock.recv(min(65536, n - len(data)))
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data


def read_until_closed(sock, limit=1 << 20):
    """Everything the server sends until it closes the connection (None on timeout)."""
    data = b""
    try:
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data
    except socket.timeout:
        return None
    return data


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Prober:
    """A well-behaved client pinging every 20 ms in the background."""

    def __init__(self, port):
        self.sock = connect(port, timeout=PROBE_TIMEOUT)
        self.failures = []
        self.count = 0
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                self.sock.sendall(b"PING\r\n")
                line = read_line(self.sock)
                if line != b"+PONG\r\n":
                    self.failures.append(f"PING answered {line!r}")
                    return
            except OSError as e:
                self.failures.append(f"PING failed: {e!r}")
                return
            self.worst = max(self.worst, time.monotonic() - start)
            self.count += 1
            self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sock.close()


class HostileBase(unittest.TestCase):
    ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.server = Larderd(args=cls.ARGS)
        cls.server.start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def probing(self):
        return Prober(self.port)

    def assert_healthy(self, prober):
        self.assertEqual(prober.failures, [], self.server.log())
        self.assertGreater(prober.count, 0)
        self.assertIsNone(self.server.proc.poll(), "larderd exited:\n" + self.server.log())
        with connect(self.port) as s:
            s.sendall(command("ECHO", "still here"))
            self.assertEqual(s.recv(100), b"$10\r\nstill here\r\n")

    def expect_error_then_close(self, payload, error_prefix):
        with connect(self.port) as s:
            s.sendall(payload)
            data = read_until_closed(s)
        self.assertIsNotNone(data, "the server neither replied nor closed")
        self.assertTrue(data.startswith(error_prefix), data[:200])


class ProtocolAbuseTest(HostileBase):
    def test_oversized_bulk_length(self):
        with self.probing() as p:
            self.expect_error_then_close(b"*1\r\n$600000000\r\n",
                                         b"-ERR Protocol error: invalid bulk length")
        self.assert_healthy(p)

    def test_negative_and_huge_lengths(self):
        with self.probing() as p:
            self.expect_error_then_close(b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length")
            self.expect_error_then_close(b"*99999999999999999999\r\n",
                                         b"-ERR Protocol error: invalid multibulk length")
            self.expect_error_then_close(b"*1048577\r\n",
                                         b"-ERR Protocol error: invalid multibulk length")
            self.expect_error_then_close(b"*2\r\n$3\r\nGET\r\n$abc\r\n",
                                         b"-ERR Protocol error: invalid bulk length")
            with connect(self.port) as s:  # a null multibulk is ignored, as Redis does
                s.sendall(b"*-1\r\nPING\r\n")
                self.assertEqual(read_line(s), b"+PONG\r\n")
        self.assert_healthy(p)

    def test_inline_line_too_long(self):
        with self.probing() as p:
            self.expect_error_then_close(b"x" * (70 * 1024),
                                         b"-ERR Protocol error: too big inline request")
        self.assert_healthy(p)

    def test_garbage(self):
        rng = random.Random(13)
        with self.probing() as p:
            for _ in range(40):
                with connect(self.port) as s:
                    blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096)))
                    try:
                        s.sendall(blob + b"\r\n")
                        s.shutdown(socket.SHUT_WR)
                        self.assertIsNotNone(read_until_closed(s), "no close after garbage")
                    except (BrokenPipeError, ConnectionResetError):
                        pass
        self.assert_healthy(p)

    def test_half_sent_commands_hold_nobody_up(self):
        socks = []
        with self.probing() as p:
            for i in range(50):
                s = connect(self.port)
                s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n" + b"x" * (i % 10))
                socks.append(s)
            time.sleep(0.5)
            for i, s in enumerate(socks):  # finish them: every SET completes
                s.sendall(b"y" * (10 - i % 10) + b"\r\n")
                self.assertEqual(read_line(s), b"+OK\r\n")
        for s in socks:
            s.close()
        self.assert_healthy(p)

    def test_slow_byte_by_byte_clients(self):
        clients = [connect(self.port) for _ in range(20)]
        requests = [command("SET", f"slow:{i}", "v" * i) + command("GET", f"slow:{i}")
                    for i in range(len(clients))]
        with self.probing() as p:
            for pos in range(max(len(r) for r in requests)):
                for s, r in zip(clients, requests):
                    if pos < len(r):
                        s.sendall(r[pos:pos + 1])
            for i, s in enumerate(clients):
                self.assertEqual(read_line(s), b"+OK\r\n")
                self.assertEqual(read_line(s), b"$%d\r\n" % i)
        for s in clients:
            s.close()
        self.assert_healthy(p)

    def test_pipeline_in_pieces_that_end_mid_command(self):
        # One client's pipeline, sent in pieces with pauses between them, read back whole. Half
        # of the pieces end inside the command after a multiple of 1024 (an I/O thread's round
        # runs at most 1024 commands of a connection): the round that runs those pauses reading
        # and finds only half a command after; the rest, sent later, must still be read
        # (redis-cli --pipe once hung here). The other pieces end anywhere.
        rng = random.Random(7)
        commands = [command("SET", f"piece:{i}", "v" * (i % 23)) for i in range(12000)]
        ends = []  # byte offsets where a piece ends
        offset = 0
        starts = []
        for c in commands:
            starts.append(offset)
            offset += len(c)
        total = offset
        n = 0
        while n < len(commands):
            n += 1024 * rng.randrange(1, 3) if rng.random() < 0.5 else rng.randrange(1, 1500)
            if n < len(commands):
                ends.append(starts[n] + rng.randrange(1, len(commands[n])))
        ends.append(total)
        data = b"".join(commands)
        expected = b"+OK\r\n" * len(commands)
        with self.probing() as p, connect(self.port, timeout=20.0) as s:
            got = []
            reader = threading.Thread(target=lambda: got.append(read_exactly(s, len(expected))))
            reader.start()
            prev = 0
            for end in sorted(set(ends)):
                s.sendall(data[prev:end])
                prev = end
                time.sleep(0.005)
            reader.join()
            self.assertEqual(len(got[0]), len(expected), "replies stopped: the pipeline hung")
            self.assertEqual(got[0], expected)
        self.assert_healthy(p)

    def test_thousands_of_connections(self):
        socks = []
        with self.probing() as p:
            try:
                for _ in range(2000):
                    socks.append(connect(self.port))
                for s in socks:
                    s.sendall(b"PING\r\n")
                for s in socks:
                    self.assertEqual(read_line(s), b"+PONG\r\n")
            finally:
                for s in socks:
                    s.close()
        self.assert_healthy(p)


class OutputLimitTest(HostileBase):
    ARGS = ["--client-output-buffer-limit", "pubsub", "1mb", "256kb", "2",
            "--client-query-buffer-limit", "1mb"]

    def test_subscriber_that_never_reads_is_disconnected(self):
        lazy = connect(self.port)
        lazy.sendall(command("SUBSCRIBE", "flood"))
        confirmation = b"*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n"
        got = b""
        while len(got) < len(confirmation):  # subscribed; from now on it never reads
            got += lazy.recv(len(confirmation) - len(got))
        self.assertEqual(got, confirmation)
        with connect(self.port) as pub, self.probing() as p:
            message = b"m" * 8192
            receivers = None
            for i in range(5000):  # up to 40 MB: far past the 1 MB hard limit
                pub.sendall(command("PUBLISH", "flood", message))
                receivers = int(read_line(pub)[1:])
                if i == 0:
                    self.assertEqual(receivers, 1)
                if receivers == 0:
                    break
            self.assertEqual(receivers, 0, "the subscriber was never disconnected")
        lazy.close()
        self.assertIn("output buffer", self.server.log())
        self.assert_healthy(p)

    def test_client_that_never_reads_big_replies(self):
        with connect(self.port) as setter:
            setter.sendall(command("SET", "big", "b" * (512 << 10)))
            self.assertEqual(read_line(setter), b"+OK\r\n")
        before = rss_kib(self.server.proc.pid)
        lazy = connect(self.port)
        lazy.settimeout(0.5)
        with self.probing() as p:
            sent = 0
            try:  # 800 GETs of 512 KB: 400 MB of replies if the server buffered them all
                for _ in range(800):
                    lazy.sendall(command("GET", "big"))
                    sent += 1
            except socket.timeout:
                pass  # the server stopped reading us: backpressure reached the socket
            time.sleep(0.5)
            grown = rss_kib(self.server.proc.pid) - before
            self.assertLess(grown, 64 * 1024, f"RSS grew by {grown} KiB after {sent} GETs")
        lazy.close()
        self.assert_healthy(p)

    def test_query_buffer_limit(self):
        with self.probing() as p:
            with connect(self.port) as s:
                try:
                    s.sendall(b"*2\r\n$4\r\nECHO\r\n$5000000\r\n" + b"q" * (2 << 20))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.assertIsNotNone(read_until_closed(s), "not closed at the query buffer limit")
        self.assertIn("client-query-buffer-limit", self.server.log())
        self.assert_healthy(p)


class MaxClientsTest(HostileBase):
    ARGS = ["--maxclients", "20"]

    def wait_until_alone(self):
        """Until the server has closed every earlier connection (larderd.py's start-up probe)."""
        for _ in range(200):
            with connect(self.port) as s:
                s.sendall(b"CLIENT LIST\r\n")
                header = read_line(s)
                body = s.recv(int(header[1:]) + 2)
                if body.count(b"\n") == 2:  # one line (this connection) plus the trailing CRLF
                    return
            time.sleep(0.05)
        self.fail("earlier connections were never closed")

    def test_maxclients(self):
        self.wait_until_alone()
        time.sleep(0.2)  # the last probe's close is asynchronous too
        socks = []
        with self.probing() as p:  # the prober is one of the 20
            rejected = None
            for _ in range(40):  # fill up: connect and PING until the server refuses
                s = connect(self.port)
                s.sendall(b"PING\r\n")
                line = read_line(s)
                if line != b"+PONG\r\n":
                    rejected = line + (read_until_closed(s) or b"")
                    s.close()
                    break
                socks.append(s)
            self.assertEqual(rejected, b"-ERR max number of clients reached\r\n")
            self.assertIn(len(socks) + 1, (18, 19, 20))  # + the prober (closes may lag)
            for _ in range(5):
                with connect(self.port) as extra:
                    self.assertEqual(read_until_closed(extra),
                                     b"-ERR max number of clients reached\r\n")
        for s in socks:
            s.close()
        # The closes are seen by the I/O thread, the count of clients by the accepting one: wait
        # until a new client is let in again (each refused one is closed at once).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with connect(self.port) as s:
                s.sendall(command("PING"))
                if s.recv(100) == b"+PONG\r\n":
                    break
            time.sleep(0.05)
        self.assert_healthy(p)


if __name__ == "__main__":
    unittest.main()
