"""larderd's lock service end to end (docs/locks.md, issue 15).

FIFO grants among 50 contending clients; 20 clients x 100 acquire/read/increment/write-release
rounds without a lost update; a SIGKILLed holder's waiter granted within a second and its token
refused; lease expiry; fencing numbers across restarts; ASYNC grants as RESP3 pushes (redis-cli
-3 and a raw RESP3 client: Debian 12's python3-redis 4.3.4 has no RESP3); kill -9 of the server
during write-releases; `larder lock`; the examples in examples/locks.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import unittest

import redis

from clients_test import NODE_MODULES  # the node client's packages (scripts/setup redis)
from larderd import LARDER_BIN_DIR, Larderd
from resp_client import RespClient

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "../../examples/locks")


def acquire(r, name, *opts):
    return r.execute_command("LOCK.ACQUIRE", name, *opts)


def info(r, name):
    """LOCK.INFO as a dict (RESP2: a flat field/value array)."""
    flat = r.execute_command("LOCK.INFO", name)
    out = dict(zip(flat[::2], flat[1::2]))
    holder = out[b"holder"]
    out[b"holder"] = None if holder is None else dict(zip(holder[::2], holder[1::2]))
    out[b"waiters"] = [dict(zip(w[::2], w[1::2])) for w in out[b"waiters"]]
    return out


def wait_until(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def waiters(r, name):
    return len(info(r, name)[b"waiters"])


class LocksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One I/O thread, whatever the machine: a grant made while a connection closes then
        # always goes to a waiter on the closing thread (the same-thread wake path).
        cls.srv = Larderd(args=["--io-threads", "1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def setUp(self):
        self.r = self.srv.client()

    def tearDown(self):
        self.r.close()

    def test_fifo_among_50_contending_clients(self):
        holder = self.srv.client()
        token, base, _ = acquire(holder, "fifo")
        clients = []
        for i in range(50):
            c = RespClient(self.srv.port, timeout=10)
            c.send("LOCK.ACQUIRE", "fifo", "OWNER", f"w{i}")
            wait_until(lambda: waiters(self.r, "fifo") == i + 1, what=f"waiter {i} queued")
            clients.append(c)
        owners = [w[b"owner"] for w in info(self.r, "fifo")[b"waiters"]]
        self.assertEqual(owners, [f"w{i}".encode() for i in range(50)])
        self.assertEqual(holder.execute_command("LOCK.RELEASE", "fifo", token), 1)
        for i, c in enumerate(clients):
            kind, grant = c.read()  # blocks (10 s timeout) unless c is the one granted now
            self.assertEqual(kind, "*")
            self.assertEqual(grant[1], (":", base + 1 + i), f"client {i} granted out of order")
            self.assertEqual(info(self.r, "fifo")[b"holder"][b"owner"], f"w{i}".encode())
            self.assertEqual(c.call("LOCK.RELEASE", "fifo", grant[0][1]), (":", 1))
            c.close()
        self.assertEqual(info(self.r, "fifo")[b"holder"], None)
        holder.close()

    def test_20_clients_100_rounds_no_lost_update(self):
        self.r.set("counter", 0)
        errors = []

        def worker(n):
            try:
                c = self.srv.client()
                last = 0
                for _ in range(100):
                    token, fencing, state = acquire(c, "ctr", "STATE", "counter", "OWNER", f"c{n}")
                    if fencing <= last:
                        errors.append(f"fencing went back: {fencing} after {last}")
                    last = fencing
                    c.execute_command("LOCK.WRITERELEASE", "ctr", token, "counter",
                                      int(state) + 1)
                c.close()
            except Exception as e:  # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        self.assertEqual(errors, [])
        self.assertEqual(int(self.r.get("counter")), 2000)

    def test_sigkilled_holder_next_waiter_granted_and_stale_token_refused(self):
        code = ("import redis,sys;r=redis.Redis(port=int(sys.argv[1]));"
                "g=r.execute_command('LOCK.ACQUIRE','dead','OWNER','victim');"
                "print(g[0].decode(),flush=True);import time;time.sleep(600)")
        proc = subprocess.Popen(["/usr/bin/python3", "-c", code, str(self.srv.port)],
                                stdout=subprocess.PIPE)
        stale = proc.stdout.readline().strip()
        self.assertTrue(stale)
        waiter = RespClient(self.srv.port, timeout=10)
        waiter.send("LOCK.ACQUIRE", "dead", "OWNER", "next")
        wait_until(lambda: waiters(self.r, "dead") == 1, what="waiter queued")
        killed = time.monotonic()
        proc.kill()
        proc.wait()
        kind, grant = waiter.read()
        elapsed = time.monotonic() - killed
        self.assertEqual(kind, "*")
        # Granted on the holder's disconnect, not by some later timer (loose: a loaded machine
        # may take a while to reap the process and notice the close).
        self.assertLess(elapsed, 5.0, "the next waiter was granted more than 5 s after the kill")
        for cmd in (["LOCK.RELEASE", "dead", stale], ["LOCK.EXTEND", "dead", stale, "1000"],
                    ["LOCK.WRITERELEASE", "dead", stale, "k", "v"],
                    ["LOCK.DO", "dead", stale, "SET", "k", "v"]):
            with self.assertRaisesRegex(redis.ResponseError, "NOTHOLDER"):
                self.r.execute_command(*cmd)
        self.assertIsNone(self.r.get("k"))
        self.assertEqual(info(self.r, "dead")[b"holder"][b"owner"], b"next")
        waiter.close()
        wait_until(lambda: info(self.r, "dead")[b"holder"] is None, what="release on close")

    def test_a_waiter_closing_as_its_turn_comes_passes_the_turn_on(self):
        for i in range(20):
            holder = self.srv.client()
            token, _, _ = acquire(holder, "turn")
            first, second = RespClient(self.srv.port), RespClient(self.srv.port, timeout=5)
            first.send("LOCK.ACQUIRE", "turn")
            wait_until(lambda: waiters(self.r, "turn") == 1, what="first queued")
            second.send("LOCK.ACQUIRE", "turn")
            wait_until(lambda: waiters(self.r, "turn") == 2, what="second queued")
            first.close()  # its close races with the release below
            holder.execute_command("LOCK.RELEASE", "turn", token)
            kind, grant = second.read()  # 5 s timeout: the turn must come
            self.assertEqual(kind, "*", i)
            self.assertEqual(second.call("LOCK.RELEASE", "turn", grant[0][1]), (":", 1))
            second.close()
            holder.close()

    def test_lease_expiry_grants_the_next_waiter_and_is_logged(self):
        c = self.srv.client()
        # A lease long enough that a loaded machine's stalls cannot end it before the checks.
        acquired = time.monotonic()
        acquire(c, "leased", "LEASE", "1500", "OWNER", "short-lived-owner")
        c.close()  # a leased hold survives its connection
        time.sleep(0.05)
        self.assertIsNotNone(info(self.r, "leased")[b"holder"])
        waiter = RespClient(self.srv.port, timeout=10)
        kind, grant = waiter.call("LOCK.ACQUIRE", "leased")
        self.assertEqual(kind, "*")
        self.assertGreaterEqual(time.monotonic() - acquired, 1.4)  # granted when the lease ran out
        wait_until(lambda: "short-lived-owner" in self.srv.log(), what="the expiry log line")
        self.assertIn("ran out", self.srv.log())
        waiter.close()

    def test_timeout_and_nowait_reply_the_null_array_and_leave_the_queue(self):
        holder = self.srv.client()
        token, _, _ = acquire(holder, "t")
        self.assertIsNone(acquire(self.r, "t", "NOWAIT"))
        start = time.monotonic()
        self.assertIsNone(acquire(self.r, "t", "TIMEOUT", "200"))
        self.assertGreaterEqual(time.monotonic() - start, 0.19)
        self.assertEqual(info(self.r, "t")[b"waiters"], [])
        # Inside MULTI/EXEC it never waits: as a timeout, at once.
        p = self.r.pipeline(transaction=True)
        p.execute_command("LOCK.ACQUIRE", "t")
        self.assertEqual(p.execute(), [None])
        raw = RespClient(self.srv.port)
        raw.call("HELLO", "3")
        self.assertEqual(raw.call("LOCK.ACQUIRE", "t", "NOWAIT"), ("_", None))
        raw.close()
        with self.assertRaisesRegex(redis.ResponseError, "HELLO 3"):
            acquire(self.r, "t", "ASYNC")
        with self.assertRaisesRegex(redis.ResponseError, "already holds"):
            acquire(holder, "t")
        holder.execute_command("LOCK.RELEASE", "t", token)
        holder.close()

    def test_async_grant_is_a_push_to_a_raw_resp3_client(self):
        holder = self.srv.client()
        token, fencing, _ = acquire(holder, "a")
        self.r.set("astate", "snap")
        c = RespClient(self.srv.port, timeout=10)
        c.call("HELLO", "3")
        self.assertEqual(c.call("LOCK.ACQUIRE", "a", "ASYNC", "STATE", "astate"), ("+", "QUEUED"))
        self.assertEqual(c.call("PING"), ("+", "PONG"))  # the connection is not blocked
        with_err = c.call("LOCK.ACQUIRE", "b")
        self.assertEqual(with_err[0], "-")
        holder.execute_command("LOCK.RELEASE", "a", token)
        kind, push = c.read()
        self.assertEqual(kind, ">")
        self.assertEqual(push[0], ("$", b"lock-granted"))
        self.assertEqual(push[1], ("$", b"a"))
        self.assertEqual(push[3], (":", fencing + 1))
        self.assertEqual(push[4], ("$", b"snap"))
        self.assertEqual(c.call("LOCK.RELEASE", "a", push[2][1]), (":", 1))
        # Timeouts: an ASYNC waiter gets a push, a blocking RESP3 waiter the null and no push.
        token, _, _ = acquire(holder, "a")
        self.assertEqual(c.call("LOCK.ACQUIRE", "a", "ASYNC", "TIMEOUT", "100"), ("+", "QUEUED"))
        self.assertEqual(c.read(), (">", [("$", b"lock-timeout"), ("$", b"a")]))
        self.assertEqual(c.call("LOCK.ACQUIRE", "a", "TIMEOUT", "100"), ("_", None))
        self.assertEqual(c.call("PING"), ("+", "PONG"))
        self.assertEqual(info(self.r, "a")[b"waiters"], [])
        holder.execute_command("LOCK.RELEASE", "a", token)
        c.close()
        holder.close()

    def test_async_grant_reaches_redis_cli_3(self):
        holder = self.srv.client()
        token, _, _ = acquire(holder, "cli")
        cli = subprocess.Popen(["redis-cli", "-3", "--show-pushes", "yes", "-p", str(self.srv.port)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        cli.stdin.write(b"LOCK.ACQUIRE cli ASYNC OWNER redis-cli\n")
        cli.stdin.flush()
        wait_until(lambda: waiters(self.r, "cli") == 1, what="redis-cli queued")
        holder.execute_command("LOCK.RELEASE", "cli", token)
        wait_until(lambda: info(self.r, "cli")[b"holder"] is not None, what="the grant")
        cli.stdin.write(b"PING\n")
        out, _ = cli.communicate(timeout=10)
        text = out.decode()
        self.assertIn("QUEUED", text)
        self.assertIn("lock-granted", text)
        self.assertIn("PONG", text)
        holder.close()

    def test_async_grant_reaches_node_redis_resp3(self):
        """node-redis (RESP: 3), the RESP3 client library at hand: Debian 12's python3-redis
        (4.3.4) has no RESP3 (redis-py's protocol=3 came in 5.0)."""
        modules = NODE_MODULES
        if not os.path.isdir(os.path.join(modules, "redis")) or not shutil.which("node"):
            self.skipTest("node or the node-redis package (scripts/setup redis) is missing")
        holder = self.srv.client()
        token, fencing, _ = acquire(holder, "node")
        proc = subprocess.Popen(["node", os.path.join(HERE, "node_lock_push.js"),
                                 str(self.srv.port), "node"], stdout=subprocess.PIPE,
                                env=dict(os.environ, NODE_PATH=modules))
        self.assertEqual(json.loads(proc.stdout.readline()), {"reply": "QUEUED"})
        holder.execute_command("LOCK.RELEASE", "node", token)
        push = json.loads(proc.stdout.readline())["push"]
        self.assertEqual(push[:2], ["lock-granted", "node"])
        self.assertEqual(int(push[3]), fencing + 1)
        self.assertEqual(proc.wait(30), 0)
        wait_until(lambda: info(self.r, "node")[b"holder"] is None, what="node's release")
        holder.close()

    def test_larder_lock_runs_the_command_holding_the_lock(self):
        larder = os.path.join(LARDER_BIN_DIR, "larder")
        port = str(self.srv.port)
        script = ("redis-cli -p " + port + " LOCK.INFO cmdlock | grep -c larder; "
                  "echo fencing=$LARDER_LOCK_FENCING; exit 3")
        p = subprocess.run([larder, "lock", "--port", port, "cmdlock", "--", "sh", "-c", script],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn(b"fencing=", p.stdout)
        self.assertTrue(p.stdout.startswith(b"1"), p.stdout)  # the owner text names larder
        self.assertIsNone(info(self.r, "cmdlock")[b"holder"])  # released after the command
        # Held by someone else: not run, a message, exit 1 or the conflict code.
        holder = self.srv.client()
        token, _, _ = acquire(holder, "cmdlock")
        p = subprocess.run([larder, "lock", "--port", port, "--timeout", "200", "cmdlock", "--",
                            "touch", "/nonexistent/x"], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"not acquired", p.stderr)
        p = subprocess.run([larder, "lock", "--port", port, "--timeout", "0",
                            "--conflict-exit-code", "9", "cmdlock", "--", "true"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 9)
        holder.execute_command("LOCK.RELEASE", "cmdlock", token)
        # The lease (600 ms) is renewed while the command runs 4 s: nobody else gets it within
        # a 1 s wait (the command outlasts the wait even if the wait starts late).
        proc = subprocess.Popen([larder, "lock", "--port", port, "--lease", "600", "cmdlock",
                                 "--", "sleep", "4"])
        wait_until(lambda: info(self.r, "cmdlock")[b"holder"] is not None, what="larder lock")
        self.assertIsNone(acquire(self.r, "cmdlock", "TIMEOUT", "1000"))
        self.assertEqual(proc.wait(30), 0)
        holder.close()

    def test_examples_keep_every_write(self):
        self.r.delete("state", "cstate")
        procs = [subprocess.Popen(["/usr/bin/python3", os.path.join(EXAMPLES, "state_client.py"),
                                   str(self.srv.port), f"py{i}", "30"], stdout=subprocess.PIPE)
                 for i in range(3)]
        binary = os.path.join(LARDER_BIN_DIR, "lock_state_client")
        env = dict(os.environ, LOCK_STATE_KEY="cstate")
        procs += [subprocess.Popen([binary, str(self.srv.port), f"cc{i}", "30"], env=env,
                                   stdout=subprocess.PIPE) for i in range(3)]
        writes = []
        for p in procs:
            out, _ = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0)
            writes.append(int(out.split()[-1]))
        self.assertEqual(json.loads(self.r.get("state"))["count"], sum(writes[:3]))
        self.assertEqual(int(self.r.get("cstate")), sum(writes[3:]))
        self.assertEqual(sum(writes), 6 * 27)


class LocksRestartTest(unittest.TestCase):
    """Each test owns its server: it is restarted and killed."""

    def test_fencing_grows_and_leases_survive_a_restart(self):
        with Larderd() as srv:
            r = srv.client()
            for _ in range(5):
                token, fencing, _ = acquire(r, "f")
                r.execute_command("LOCK.RELEASE", "f", token)
            leased_token, leased_fencing, _ = acquire(r, "keep", "LEASE", "60000", "OWNER", "L")
            acquire(r, "bound", "OWNER", "connection-owner")
            r.close()
            srv.stop()
            srv.start()
            r = srv.client()
            self.assertIn(b"keep", r.execute_command("LOCK.LIST"))
            # A clean stop closes the holder's connection first: released then.
            self.assertNotIn(b"bound", r.execute_command("LOCK.LIST"))
            _, after, _ = acquire(r, "f")
            self.assertGreater(after, leased_fencing)
            self.assertGreater(leased_fencing, fencing)
            self.assertEqual(info(r, "keep")[b"holder"][b"owner"], b"L")
            self.assertEqual(r.execute_command("LOCK.RELEASE", "keep", leased_token), 1)
            # kill -9: the same, from the log alone.
            token, before_kill, _ = acquire(r, "g", "LEASE", "60000")
            acquire(r, "bound2", "OWNER", "connection-owner")
            srv.kill9()
            srv.start()
            r = srv.client()
            self.assertEqual(info(r, "g")[b"holder"][b"fencing"], before_kill)
            self.assertIsNone(info(r, "bound2")[b"holder"])
            wait_until(lambda: "released by the restart" in srv.log(), what="the restart log")
            self.assertIn("connection-owner", srv.log())
            self.assertGreater(acquire(r, "h")[1], before_kill)
            r.close()

    def test_kill9_during_write_releases(self):
        """One writer: acquire (leased) / write-release of increasing values while the server is
        killed; after each restart the value is the last acknowledged or the one in flight, and
        the lock is not held by a grant that a durable write-release released. Each round uses
        its own lock name: a grant made durable whose reply the kill swallowed stays held until
        its lease (60 s) ends, as it should."""
        with Larderd(args=["--appendfsync", "always"]) as srv:
            acked = 0
            for round_ in range(4):
                lock = f"w{round_}"
                stop = threading.Event()
                state = {"acked": acked, "fencing": 0, "inflight": None}

                def writer():
                    try:
                        c = srv.client()
                        while not stop.is_set():
                            token, fencing, value = acquire(c, lock, "LEASE", "60000", "STATE",
                                                            "v")
                            n = int(value or 0) + 1
                            state["inflight"] = (n, fencing)
                            c.execute_command("LOCK.WRITERELEASE", lock, token, "v", n)
                            state["acked"], state["fencing"] = n, fencing
                            state["inflight"] = None
                    except (redis.ConnectionError, redis.TimeoutError, ConnectionError):
                        pass

                t = threading.Thread(target=writer, daemon=True)
                t.start()
                time.sleep(0.3 + random.random() * 0.3)
                srv.kill9()
                stop.set()
                t.join(30)
                srv.start()
                r = srv.client()
                value = int(r.get("v") or 0)
                self.assertGreater(state["acked"], acked, "no write-release acknowledged")
                allowed = {state["acked"]}
                if state["inflight"] is not None:
                    allowed.add(state["inflight"][0])
                self.assertIn(value, allowed)
                holder = info(r, lock)[b"holder"]
                if holder is not None:
                    # Only a grant after every durable write-release may still hold it.
                    self.assertGreater(holder[b"fencing"], state["fencing"])
                    if state["inflight"] is not None and value == state["inflight"][0]:
                        self.fail("the lock is held after its write-release became durable")
                acked = value
                r.close()


if __name__ == "__main__":
    unittest.main()
