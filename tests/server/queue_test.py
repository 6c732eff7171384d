"""larderd's durable queue end to end (docs/queue.md, issue 17), through python3-redis.

Produce, lease, complete and NOTLEASED; lease expiry back to the tail under a new id; MAX-ATTEMPTS
and EXPIRE-TIMEOUT to the dead-letter queue (or dropped without one); scheduled items (DELAY and
AT); QRETRY to the tail, later and DEAD; blocking QLEASE; QCLEAR, QDELETE, QUPDATE rules;
placement by affinity from a queue-config file and the errors a bad file gets; FLUSHALL leaves
queues alone; everything survives a restart and a kill -9 under appendfsync always; QBACKUP and
QRESTORE against `larder queue backup|restore|check|info` on the stopped server's stores.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import os
import subprocess
import threading
import time
import unittest

import redis

from larderd import LARDER_BIN_DIR, Larderd


def wait_until(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def as_map(flat):
    return dict(zip(flat[::2], flat[1::2]))


def stats(r, q):
    s = as_map(r.execute_command("QSTATS", q))
    s[b"partitions"] = [as_map(p) for p in s[b"partitions"]]
    return s


def info(r, q):
    i = as_map(r.execute_command("QINFO", q))
    i[b"placement"] = [as_map(p) for p in i[b"placement"]]
    return i


def lease(r, q, client="c", count=1, *extra):
    return r.execute_command("QLEASE", q, client, "COUNT", count, *extra)


def notleased(r, *args):
    try:
        r.execute_command(*args)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError(f"{args} did not fail")


class QueueTest(unittest.TestCase):
    def setUp(self):
        self.srv = Larderd(args=["--appendfsync", "always"]).start()
        self.r = self.srv.client()

    def tearDown(self):
        self.srv.stop()
        self.srv.__exit__(None, None, None)

    def test_produce_lease_complete_and_restart(self):
        r = self.r
        self.assertEqual(r.execute_command("QCREATE", "jobs", "PARTITIONS", 3), b"OK")
        ids = []
        for i in range(10):
            ids += r.execute_command("QPRODUCE", "jobs", "REFERENCE", "ref", "KIND", "k",
                                     *[f"p{i}-{j}" for j in range(3)])
        self.assertEqual(len(set(ids)), 30)
        st = stats(r, "jobs")
        self.assertEqual(st[b"ready"], 30)
        self.assertEqual(sum(p[b"ready"] for p in st[b"partitions"]), 30)
        self.assertEqual(len(st[b"partitions"]), 3)
        for p in info(r, "jobs")[b"placement"]:
            self.assertTrue(os.path.isdir(p[b"dir"]), p)
            self.assertRegex(p[b"dir"].decode(), r"/jobs-00000[0-2]-partition$")
        got = []
        while True:
            items = lease(r, "jobs", "w", 7)
            if not items:
                break
            for item_id, attempts, deadline, payload in items:
                self.assertEqual(attempts, 1)
                self.assertGreater(deadline, time.time() * 1000)
            got += items
        self.assertEqual(sorted(i[3] for i in got),
                         sorted(f"p{i}-{j}".encode() for i in range(10) for j in range(3)))
        self.assertEqual(stats(r, "jobs")[b"leased"], 30)
        # A batch with one id that is not leased applies nothing.
        err = notleased(r, "QCOMPLETE", "jobs", got[0][0], "0-999999")
        self.assertEqual(err, "NOTLEASED 0-999999")
        self.assertEqual(stats(r, "jobs")[b"leased"], 30)
        self.assertEqual(r.execute_command("QCOMPLETE", "jobs", *[i[0] for i in got[:20]]), 20)
        self.assertIn(got[0][0].decode(), notleased(r, "QCOMPLETE", "jobs", got[0][0]))
        # Acknowledged under appendfsync always: a kill -9 loses nothing.
        self.srv.kill9()
        self.srv.start()
        r = self.r = self.srv.client()
        st = stats(r, "jobs")
        self.assertEqual((st[b"ready"], st[b"leased"]), (0, 10))
        self.assertEqual(r.execute_command("QCOMPLETE", "jobs", *[i[0] for i in got[20:]]), 10)
        self.assertEqual(r.execute_command("QLIST"), [b"jobs"])
        # FLUSHALL is for the keyspace only.
        r.execute_command("QPRODUCE", "jobs", "kept")
        r.flushall()
        self.assertEqual(stats(r, "jobs")[b"ready"], 1)

    def test_lease_expiry_max_attempts_and_dead_letters(self):
        r = self.r
        r.execute_command("QCREATE", "dead")
        r.execute_command("QCREATE", "q", "LEASE-TIMEOUT", 200, "MAX-ATTEMPTS", 2,
                          "DEAD-QUEUE", "dead")
        r.execute_command("QPRODUCE", "q", "x")
        first = lease(r, "q")[0]
        self.assertEqual(first[1], 1)
        wait_until(lambda: stats(r, "q")[b"ready"] == 1, what="the lease to end")
        second = lease(r, "q")[0]
        self.assertEqual((second[1], second[3]), (2, b"x"))
        self.assertNotEqual(second[0], first[0])  # back at the tail under a new id
        self.assertIn("NOTLEASED", notleased(r, "QCOMPLETE", "q", first[0]))
        # The second delivery used up MAX-ATTEMPTS: its end moves it to the dead queue.
        wait_until(lambda: stats(r, "dead")[b"ready"] == 1, what="the dead letter")
        st = stats(r, "q")
        self.assertEqual((st[b"ready"], st[b"leased"], st[b"dead-lettered"]), (0, 0, 1))
        dead = lease(r, "dead")[0]
        self.assertEqual((dead[1], dead[3]), (3, b"x"))  # attempts kept, then delivered again

    def test_expire_timeout_without_and_with_a_dead_queue(self):
        r = self.r
        r.execute_command("QCREATE", "gone", "LEASE-TIMEOUT", 100, "EXPIRE-TIMEOUT", 300)
        r.execute_command("QPRODUCE", "gone", "a", "b")
        wait_until(lambda: stats(r, "gone")[b"dead-lettered"] == 2, what="expiry")
        self.assertEqual(lease(r, "gone"), [])
        self.assertIn("dropped: no dead-letter queue", self.srv.log())
        r.execute_command("QCREATE", "dlq")
        r.execute_command("QCREATE", "kept", "LEASE-TIMEOUT", 100, "EXPIRE-TIMEOUT", 300,
                          "DEAD-QUEUE", "dlq")
        r.execute_command("QPRODUCE", "kept", "DELAY", 100, "s")  # expires while scheduled
        r.execute_command("QPRODUCE", "kept", "c")
        held = lease(r, "kept")[0]  # expires while leased: at its lease's end
        wait_until(lambda: stats(r, "dlq")[b"ready"] == 2, what="expiry to the dead queue")
        self.assertIn("NOTLEASED", notleased(r, "QRETRY", "kept", held[0]))

    def test_scheduled_items(self):
        r = self.r
        r.execute_command("QCREATE", "s")
        # Delays long enough that a loaded machine's fsyncs cannot make them due before the
        # checks of the scheduled state.
        r.execute_command("QPRODUCE", "s", "DELAY", 2000, "later")
        r.execute_command("QPRODUCE", "s", "AT", int(time.time() * 1000) - 1000, "now")
        self.assertEqual(stats(r, "s")[b"scheduled"], 1)
        self.assertEqual([i[3] for i in lease(r, "s", "c", 5)], [b"now"])
        wait_until(lambda: stats(r, "s")[b"ready"] == 1, what="the scheduled item")
        self.assertEqual([i[3] for i in lease(r, "s", "c", 5)], [b"later"])

    def test_retry_to_the_tail_later_and_dead(self):
        r = self.r
        r.execute_command("QCREATE", "d")
        r.execute_command("QCREATE", "q", "DEAD-QUEUE", "d")
        r.execute_command("QPRODUCE", "q", "a", "b", "c", "e")
        a, b, c, e = lease(r, "q", "w", 4)
        self.assertEqual(r.execute_command("QRETRY", "q", a[0]), 1)
        self.assertEqual(r.execute_command("QRETRY", "q", b[0], "DELAY", 2000), 1)
        self.assertEqual(r.execute_command("QRETRY", "q", c[0], "DEAD"), 1)
        self.assertIn("NOTLEASED", notleased(r, "QRETRY", "q", a[0]))
        st = stats(r, "q")
        self.assertEqual((st[b"ready"], st[b"scheduled"], st[b"leased"], st[b"dead-lettered"]),
                         (1, 1, 1, 1))
        self.assertEqual(lease(r, "d")[0][3], b"c")
        self.assertEqual(lease(r, "q")[0][3], b"a")
        wait_until(lambda: stats(r, "q")[b"ready"] == 1, what="the delayed retry")
        self.assertEqual(lease(r, "q")[0][3], b"b")

    def test_backup_and_restore_online_and_offline(self):
        # QBACKUP and `larder queue backup` write one format: each restores the other's.
        r = self.r
        larder = os.path.join(LARDER_BIN_DIR, "larder")

        def run_larder(*args, code=0):
            p = subprocess.run([larder, "queue", *args], capture_output=True, text=True)
            self.assertEqual(p.returncode, code, f"{args}: {p.stdout}{p.stderr}")
            return p.stdout

        r.execute_command("QCREATE", "jobs", "PARTITIONS", 2)
        r.execute_command("QPRODUCE", "jobs", *[f"p{i}" for i in range(20)])
        self.assertEqual(len(lease(r, "jobs", "w", 5)), 5)
        online = os.path.join(self.srv.dir, "online-backup")
        self.assertEqual(r.execute_command("QBACKUP", "jobs", online), 20)
        data = self.srv.data_dir()
        run_larder("info", data, code=1)  # refused while larderd holds the stores
        self.srv.stop()
        self.assertTrue(run_larder("check", data).startswith("OK: 1 queues, 2 partitions, 20 items"))
        self.assertEqual(run_larder("restore", data, "copy", online),
                         "restored queue copy: 20 items in 2 partitions\n")
        offline = os.path.join(self.srv.dir, "offline-backup")
        run_larder("backup", data, "jobs", offline)
        self.assertIn("copy: 2 partitions", run_larder("info", data, "copy"))
        self.srv.start()
        r = self.r = self.srv.client()
        self.assertEqual(r.execute_command("QRESTORE", "again", offline), b"OK")
        for q in ("jobs", "copy", "again"):
            st = stats(r, q)
            self.assertEqual((st[b"ready"], st[b"leased"]), (15, 5), q)

    def test_backup_copies_a_moment_while_producers_go_on(self):
        # QBACKUP snapshots the partitions under the execution lock and copies outside it: a
        # producer keeps being served meanwhile, and the backup holds the queue as of one moment
        # (the items acknowledged before it, and a prefix of those racing it).
        r = self.r
        r.execute_command("QCREATE", "big")
        blob = "x" * 2000
        for b in range(5):
            r.execute_command("QPRODUCE", "big", *[f"{b}-{i}-{blob}" for i in range(1000)])
        done = threading.Event()
        reply = []

        def backup():
            c = self.srv.client()
            reply.append(c.execute_command("QBACKUP", "big",
                                           os.path.join(self.srv.dir, "big-backup")))
            done.set()

        t = threading.Thread(target=backup)
        t.start()
        late = 0
        while not done.is_set():
            r.execute_command("QPRODUCE", "big", f"late-{late}")
            late += 1
        t.join()
        print(f"\n  QBACKUP copied {reply[0]} items; {late} produces were served meanwhile")
        self.assertGreaterEqual(reply[0], 5000)
        self.assertEqual(r.execute_command("QRESTORE", "copy",
                                           os.path.join(self.srv.dir, "big-backup")), b"OK")
        self.assertEqual(stats(r, "copy")[b"ready"], reply[0])
        got = []
        while True:
            items = lease(r, "copy", "c", 1000)
            if not items:
                break
            got += [i[3] for i in items]
        later = [p for p in got if p.startswith(b"late-")]
        self.assertEqual(later, [f"late-{i}".encode() for i in range(len(later))])
        self.assertEqual(len(got), reply[0])

    def test_blocking_lease(self):
        r = self.r
        r.execute_command("QCREATE", "b", "PARTITIONS", 2)
        self.assertEqual(lease(r, "b", "c", 1, "BLOCK", 100), [])  # times out empty
        got = []
        t = threading.Thread(target=lambda: got.append(lease(self.srv.client(), "b", "c", 5,
                                                             "BLOCK", 0)))
        t.start()
        wait_until(lambda: int(r.info("clients")["blocked_clients"]) == 1, what="the block")
        r.execute_command("QPRODUCE", "b", "wake")
        t.join(10)
        self.assertFalse(t.is_alive())
        self.assertEqual(got[0][0][3], b"wake")

    def test_admin_rules(self):
        r = self.r
        with self.assertRaisesRegex(redis.ResponseError, "may not be longer than EXPIRE"):
            r.execute_command("QCREATE", "x", "LEASE-TIMEOUT", 1000, "EXPIRE-TIMEOUT", 500)
        with self.assertRaisesRegex(redis.ResponseError, "DEAD-QUEUE 'nope' does not exist"):
            r.execute_command("QCREATE", "x", "DEAD-QUEUE", "nope")
        with self.assertRaisesRegex(redis.ResponseError, "invalid queue name"):
            r.execute_command("QCREATE", "a/b")
        r.execute_command("QCREATE", "x", "PARTITIONS", 2)
        with self.assertRaisesRegex(redis.ResponseError, "already exists"):
            r.execute_command("QCREATE", "x")
        with self.assertRaisesRegex(redis.ResponseError, "may only grow"):
            r.execute_command("QUPDATE", "x", "PARTITIONS", 1)
        r.execute_command("QUPDATE", "x", "PARTITIONS", 4, "LEASE-TIMEOUT", 5000)
        i = info(r, "x")
        self.assertEqual((i[b"partitions"], i[b"lease-timeout"]), (4, 5000))
        r.execute_command("QPRODUCE", "x", "1", "2")
        lease(r, "x")
        r.execute_command("QPRODUCE", "x", "DELAY", 100000, "3")
        self.assertEqual(r.execute_command("QCLEAR", "x"), b"OK")
        st = stats(r, "x")
        self.assertEqual((st[b"ready"], st[b"leased"], st[b"scheduled"]), (0, 0, 0))
        r.execute_command("QCREATE", "y", "DEAD-QUEUE", "x")
        with self.assertRaisesRegex(redis.ResponseError, "is the DEAD-QUEUE of 'y'"):
            r.execute_command("QDELETE", "x")
        dirs = [p[b"dir"] for p in info(r, "y")[b"placement"]]
        r.execute_command("QDELETE", "y")
        self.assertFalse(any(os.path.exists(d) for d in dirs))
        with self.assertRaisesRegex(redis.ResponseError, "does not exist"):
            r.execute_command("QSTATS", "y")
        with self.assertRaisesRegex(redis.ResponseError, "syntax"):
            r.execute_command("QLEASE", "x", "c", "COUNT")
        with self.assertRaisesRegex(redis.ResponseError, "not an integer"):
            r.execute_command("QLEASE", "x", "c", "COUNT", 1001)


LAYOUT = """queue-storage:
  driver: lsm
  config:
    storage-dir: {base}/meta
partition-storage:
  - name: ssd
    driver: lsm
    affinity: 7
    config:
      storage-dir: {base}/ssd
  - name: hdd
    driver: {hdd_driver}
    affinity: 3
    config:
      storage-dir: {base}/hdd
"""


class QueueConfigTest(unittest.TestCase):
    def test_placement_follows_affinity(self):
        srv = Larderd(args=["--queue-config", "layout.yaml"])
        with open(os.path.join(srv.dir, "layout.yaml"), "w") as f:
            f.write(LAYOUT.format(base=srv.dir, hdd_driver="bolt"))
        with srv:
            r = srv.client()
            r.execute_command("QCREATE", "ten", "PARTITIONS", 10)
            r.execute_command("QCREATE", "one")
            places = [p[b"location"] for p in info(r, "ten")[b"placement"]]
            self.assertEqual(places, [b"ssd"] * 7 + [b"hdd"] * 3)
            self.assertEqual([p[b"location"] for p in info(r, "one")[b"placement"]], [b"ssd"])
            self.assertTrue(os.path.isdir(os.path.join(srv.dir, "hdd", "ten-000009-partition")))
            self.assertTrue(os.path.isdir(os.path.join(srv.dir, "meta",
                                                       "~queue-storage-partition")))
            r.execute_command("QPRODUCE", "ten", "on-bolt-or-lsm")
            self.assertEqual(len(lease(r, "ten")), 1)

    def test_rebalance_after_a_location_joins(self):
        srv = Larderd(args=["--queue-config", "layout.yaml"])
        only_ssd = LAYOUT[:LAYOUT.index("  - name: hdd")]
        with open(os.path.join(srv.dir, "layout.yaml"), "w") as f:
            f.write(only_ssd.format(base=srv.dir))
        with srv:
            r = srv.client()
            r.execute_command("QCREATE", "q", "PARTITIONS", 4)
            for i in range(20):
                r.execute_command("QPRODUCE", "q", f"item{i}")
            held = lease(r, "q", "c", 2)
            srv.stop()
            with open(os.path.join(srv.dir, "layout.yaml"), "w") as f:
                f.write(LAYOUT.format(base=srv.dir, hdd_driver="bolt"))  # lsm -> bolt on the way
            srv.start()
            r = srv.client()
            self.assertEqual(r.execute_command("QREBALANCE", "q"), 1)  # 4 at 7/3: 3 + 1
            self.assertEqual(r.execute_command("QREBALANCE", "q"), 0)
            places = [p[b"location"] for p in info(r, "q")[b"placement"]]
            self.assertEqual(places, [b"ssd", b"ssd", b"ssd", b"hdd"])
            self.assertFalse(os.path.exists(os.path.join(srv.dir, "ssd", "q-000003-partition")))
            self.assertEqual(r.execute_command("QCOMPLETE", "q", *[h[0] for h in held]), 2)
            seen = [h[3] for h in held]
            while True:
                items = lease(r, "q", "c", 100)
                if not items:
                    break
                seen += [i[3] for i in items]
            self.assertEqual(sorted(seen), sorted(f"item{i}".encode() for i in range(20)))

    def test_a_bad_layout_stops_the_start_naming_line_and_field(self):
        cases = [
            (LAYOUT.replace("affinity: 3", "affinity: -3"), "layout.yaml:13: field "
             "'partition-storage[1].affinity'"),
            (LAYOUT.replace("{hdd_driver}", "badger"), "layout.yaml:12: field "
             "'partition-storage[1].driver'"),
            (LAYOUT.replace("affinity: 7", "affinity: 0").replace("affinity: 3", "affinity: 0"),
             "add up to 0"),
        ]
        for text, want in cases:
            srv = Larderd(args=["--queue-config", "layout.yaml"])
            with open(os.path.join(srv.dir, "layout.yaml"), "w") as f:
                f.write(text.format(base=srv.dir, hdd_driver="bolt"))
            proc = subprocess.run([srv.binary, "--port", str(srv.port), "--dir",
                                   os.path.join(srv.dir, "data"), "--queue-config", "layout.yaml"],
                                  cwd=srv.dir, capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertIn(want, proc.stdout + proc.stderr)
            srv._tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
