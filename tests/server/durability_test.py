"""larderd's durability contract under kill -9 (docs/server.md, "Durability").

Clients write with acknowledgements while the server is killed with SIGKILL in a loop; after
each restart every acknowledged write is there, under appendfsync always, everysec and no (a
kill -9 loses nothing acknowledged in any mode: the log is written to the OS before a reply).
After each kill the data file passes `larder check` (it is only ever written by synced
commits). BGSAVE's copy passes the check and serves as a data directory of its own.

Run with Debian's /usr/bin/python3 (python3-redis); LARDER_BIN_DIR names build/bin.
"""
import os
import shutil
import subprocess
import threading
import time
import unittest

import redis

from larderd import LARDER_BIN_DIR, Larderd, kill9_rounds

CLIENTS = 4
ROUNDS = 5


def larder_run(args):
    """Runs the larder CLI with `args`; returns (exit code, output)."""
    proc = subprocess.run([os.path.join(LARDER_BIN_DIR, "larder")] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    return proc.returncode, proc.stdout.decode(errors="replace")


def larder_check(path):
    """Runs `larder check` on a bolt file; returns (exit code, output)."""
    return larder_run(["check", path])


class Writer(threading.Thread):
    """Writes unique keys and a counter, one command at a time, recording what was acknowledged.
    Stops at the first connection error (the server was killed)."""

    def __init__(self, port, tag):
        super().__init__(daemon=True)
        self.port = port
        self.tag = tag
        self.acked = {}         # key -> value, acknowledged by the server
        self.counter_acked = 0  # the last INCR reply
        self.counter_sent = 0   # INCRs sent (acknowledged or not)

    def run(self):
        r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)
        n = 0
        try:
            while True:
                key = f"d:{self.tag}:{n}"
                value = f"{self.tag}:{n}:" + "x" * (n % 97)
                if r.set(key, value):
                    self.acked[key] = value
                self.counter_sent += 1
                self.counter_acked = r.incr(f"ctr:{self.tag}")
                n += 1
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError, OSError):
            return
        finally:
            r.close()


class KillNineTest(unittest.TestCase):
    def run_mode(self, mode):
        def start_writers(rnd):
            writers = [Writer(srv.port, f"{rnd}.{i}") for i in range(CLIENTS)]
            for w in writers:
                w.start()
            return writers

        def check(r, writers):
            acked = {k: v for w in writers for k, v in w.acked.items()}
            keys = list(acked)
            values = r.mget(keys) if keys else []
            missing = [k for k, v in zip(keys, values) if v is None or v.decode() != acked[k]]
            self.assertEqual(missing[:5], [], f"{len(missing)} acknowledged writes lost "
                             f"in {mode}; log: {srv.log()}")
            for w in writers:
                got = int(r.get(f"ctr:{w.tag}") or 0)
                # The one INCR in flight at the kill may or may not have been applied.
                self.assertGreaterEqual(got, w.counter_acked, w.tag)
                self.assertLessEqual(got, w.counter_sent, w.tag)

        with Larderd(args=["--appendfsync", mode]) as srv:
            writers = kill9_rounds(self, srv, ROUNDS, start_writers, check)
        acked = {k for w in writers for k in w.acked}
        print(f"{mode}: {len(acked)} acknowledged writes survived {ROUNDS} kill -9s", flush=True)

    def test_always(self):
        self.run_mode("always")

    def test_everysec(self):
        self.run_mode("everysec")

    def test_no(self):
        self.run_mode("no")


class BgsaveTest(unittest.TestCase):
    def test_bgsave_copy_is_checked_and_restorable(self):
        with Larderd() as srv:
            r = srv.client()
            pipe = r.pipeline(transaction=False)
            for i in range(5000):
                pipe.set(f"k{i}", f"v{i}")
            pipe.execute()
            before = r.lastsave()
            self.assertEqual(r.bgsave(), True)
            lsm = os.environ.get("LARDER_TEST_ENGINE") == "lsm"
            backup = os.path.join(srv.dir, "data", "backup.lsmb" if lsm else "backup.db")
            deadline = time.monotonic() + 60
            # The file appears when the copy is renamed into place, a moment before the save
            # is marked finished; a SAVE in between is refused as in Redis. So wait for INFO.
            while (r.info("persistence")["rdb_bgsave_in_progress"] and
                   time.monotonic() < deadline):
                r.set("during", "bgsave")  # writes go on meanwhile
                time.sleep(0.01)
            self.assertEqual(r.info("persistence")["rdb_bgsave_in_progress"], 0, srv.log())
            self.assertEqual(r.info("persistence")["rdb_last_bgsave_status"], "ok")
            self.assertTrue(os.path.exists(backup), srv.log())
            self.assertGreaterEqual(r.lastsave(), before)
            if not lsm:
                code, out = larder_check(backup)
                self.assertEqual(code, 0, out)
            self.assertEqual(r.save(), True)
            r.close()
            # The copy as the data of a new server (no log): the data is there. An LSM backup
            # is one file that `larder lsm restore` checks and turns into a directory.
            restored = os.path.join(srv.dir, "restored")
            os.makedirs(os.path.join(restored, "data"))
            if lsm:
                code, out = larder_run(["lsm", "restore", backup,
                                        os.path.join(restored, "data", "larder.lsm")])
                self.assertEqual(code, 0, out)
            else:
                shutil.copy(backup, os.path.join(restored, "data", "larder.db"))
            with Larderd(data_dir=restored) as other:
                r2 = other.client()
                self.assertEqual(r2.get("k4999"), b"v4999")
                self.assertEqual(r2.dbsize(), 5000 + (1 if r2.exists("during") else 0))
                r2.close()


if __name__ == "__main__":
    unittest.main()
