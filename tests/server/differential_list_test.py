"""Differential test of the list commands: larderd against redis-server 7.0.15.

Extends differential_test.py (its stream runner, normalize and compare) with a generator of list
commands over a small pool of list and string keys (so WRONGTYPE paths come up), and adds
scenarios of blocking commands with several clients: each client blocks in a fixed order (the
next one only once the server counts the previous one as blocked), then pushes wake them; every
client's reply must be the same on both servers (so the wake order, first come first served, is
Redis's), and so must the lists left behind.

LARDER_DIFF_SEED / LARDER_DIFF_COMMANDS / LARDER_DIFF_SURVEY as in differential_test.py.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential_test as dt  # noqa: E402
from resp_client import RespClient  # noqa: E402

LIST_KEYS = [f"l{i}" for i in range(4)]
ELEMENTS = ["a", "b", "c", "1", "2", "", "x y"]


class ListGen(dt.Gen):
    """Random list commands; a few string commands make keys of another type."""

    def lkey(self):
        r = self.r
        return r.choice(dt.STRING_KEYS[:2]) if r.random() < 0.08 else r.choice(LIST_KEYS)

    def elem(self):
        r = self.r
        return r.choice(ELEMENTS) if r.random() < 0.8 else self.value()

    def index(self):
        r = self.r
        return r.choice([str(r.randint(-8, 8)), str(r.randint(-100, 100)), "x",
                         "-9223372036854775808", "9223372036854775807"])

    def side(self):
        return self.r.choice(["LEFT", "RIGHT", "left", "Right", "UP"] if self.r.random() < 0.1
                             else ["LEFT", "RIGHT"])

    def list_cmd(self):
        r = self.r
        k = self.lkey
        c = r.randrange(20)
        if c <= 3:
            return [r.choice(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), k()] + [
                self.elem() for _ in range(r.randrange(1, 5))]
        if c == 4:
            extra = [r.choice(["0", "1", "2", "5", "-1", "x"])] if r.random() < 0.5 else []
            return [r.choice(["LPOP", "RPOP"]), k()] + extra
        if c == 5:
            return [r.choice(["LLEN", "TYPE", "EXISTS", "OBJECT"]), k()] if r.random() < 0.9 \
                else ["OBJECT", "ENCODING", k()]
        if c == 6:
            return ["LINDEX", k(), self.index()]
        if c == 7:
            return ["LSET", k(), self.index(), self.elem()]
        if c == 8:
            return ["LRANGE", k(), self.index(), self.index()]
        if c == 9:
            return ["LINSERT", k(), r.choice(["BEFORE", "after", "middle"]), self.elem(),
                    self.elem()]
        if c == 10:
            return ["LREM", k(), r.choice(["0", "1", "-1", "2", "-2", "x"]), self.elem()]
        if c == 11:
            return ["LTRIM", k(), self.index(), self.index()]
        if c == 12:
            cmd = ["LPOS", k(), self.elem()]
            for _ in range(r.randrange(3)):
                cmd += [r.choice(["RANK", "COUNT", "MAXLEN", "FOO"]),
                        r.choice(["0", "1", "2", "-1", "-2", "x"])]
            return cmd
        if c == 13:
            return ["LMOVE", k(), k(), self.side(), self.side()]
        if c == 14:
            return ["RPOPLPUSH", k(), k()]
        if c == 15:
            n = r.randrange(0, 4)
            cmd = ["LMPOP", str(n) if r.random() < 0.9 else "x"] + [k() for _ in range(n)]
            cmd.append(self.side())
            if r.random() < 0.5:
                cmd += ["COUNT", r.choice(["1", "2", "5", "0", "-1"])]
            return cmd
        if c == 16:
            # Blocking commands on lists with elements (or inside MULTI): no wait either way.
            return r.choice([["BLPOP", k(), k(), "0.01"], ["BRPOP", k(), "0.01"],
                             ["BLMOVE", k(), k(), self.side(), self.side(), "0.01"],
                             ["BRPOPLPUSH", k(), k(), "0.01"],
                             ["BLMPOP", "0.01", "2", k(), k(), self.side(), "COUNT", "2"],
                             ["BLPOP", k(), r.choice(["-1", "x", "inf", "nan"])]])
        if c == 17:
            return [r.choice(["DEL", "EXISTS"]), k(), k()]
        if c == 18:
            return ["SET", r.choice(dt.STRING_KEYS[:2]), self.elem()]
        return ["LRANGE", k(), "0", "-1"]

    def command(self, in_multi=False):
        return self.list_cmd() if self.r.random() < 0.92 else super().command(in_multi)

    def multi_block(self):
        r = self.r
        out = [["MULTI"]]
        for _ in range(r.randrange(0, 5)):
            out.append(self.list_cmd())
        out.append(["EXEC"])
        return out


class ListDifferentialTest(dt.BlockedClientScenarios, dt.DifferentialTest):
    gen = ListGen
    # The base class's scenarios are not about lists.
    test_scan_iterates_the_same_keys = None
    test_pubsub_messages = None

    def contents(self, ctl):
        return [ctl.call("LRANGE", k, "0", "-1") for k in LIST_KEYS + ["s0"]]

    def test_blocked_clients_are_served_first_come_first_served(self):
        self.check_scenario([["BLPOP", "l0", "0"], ["BRPOP", "l0", "0"], ["BLPOP", "l0", "0"]],
                            [["RPUSH", "l0", "a", "b"], ["RPUSH", "l0", "c", "d"]])

    def test_several_keys_and_one_transaction(self):
        self.check_scenario([["BLPOP", "l1", "l0", "0"], ["BLPOP", "l0", "0"],
                             ["BRPOP", "l0", "l1", "0"]],
                            [["MULTI"], ["RPUSH", "l0", "x", "y"], ["RPUSH", "l1", "z"], ["EXEC"]])

    def test_blmove_chains_and_blmpop_counts(self):
        self.check_scenario([["BLMOVE", "l0", "l1", "LEFT", "RIGHT", "0"], ["BLPOP", "l1", "0"],
                             ["BLMPOP", "0", "2", "l2", "l3", "RIGHT", "COUNT", "2"],
                             ["BRPOPLPUSH", "l3", "l2", "0"]],
                            [["RPUSH", "l0", "a", "b"], ["RPUSH", "l3", "1", "2", "3"]], 3)

    def test_wrong_type_destination_and_replaced_keys(self):
        self.check_scenario([["BRPOPLPUSH", "l0", "s0", "0"], ["BLPOP", "l1", "0"]],
                            [["SET", "s0", "str"], ["RPUSH", "l0", "a"], ["SET", "l1", "str"],
                             ["DEL", "l1"], ["RPUSH", "l1", "b"]])

    def test_timeouts(self):
        for cmd in (["BLPOP", "l0", "0.05"], ["BLMOVE", "l0", "l1", "LEFT", "LEFT", "0.05"],
                    ["BLMPOP", "0.05", "1", "l0", "LEFT"]):
            for protocol in (2, 3):
                self.check_scenario([cmd], [], protocol)

    def test_random_blocking_scenarios(self):
        for seed in dt.SEEDS:
            r = ListGen(seed).r
            for _ in range(8):
                blockers = []
                for _ in range(r.randrange(1, 5)):
                    k = lambda: r.choice(LIST_KEYS)  # noqa: E731
                    blockers.append(r.choice([
                        ["BLPOP", k(), k(), "0"], ["BRPOP", k(), "0"],
                        ["BLMOVE", k(), k(), r.choice(["LEFT", "RIGHT"]),
                         r.choice(["LEFT", "RIGHT"]), "0"],
                        ["BLMPOP", "0", "2", k(), k(), r.choice(["LEFT", "RIGHT"]), "COUNT",
                         str(r.randrange(1, 4))]]))
                pushes = [[r.choice(["LPUSH", "RPUSH"]), r.choice(LIST_KEYS)] +
                          [str(r.randrange(100)) for _ in range(r.randrange(1, 4))]
                          for _ in range(r.randrange(1, 5))]
                # Enough elements in every key to serve every client at the end.
                pushes += [["RPUSH", k] + [f"e{i}" for i in range(3 * len(blockers))]
                           for k in LIST_KEYS]
                self.check_scenario(blockers, pushes, r.choice([2, 3]))

    def events(self, port, commands):
        """The keyspace events (every class) a server publishes for `commands`."""
        ctl, sub = RespClient(port), RespClient(port)
        try:
            ctl.call("FLUSHALL")
            ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
            sub.call("PSUBSCRIBE", "*")
            for cmd in commands:
                ctl.call(*cmd)
            ctl.call("PUBLISH", "end", "end")
            seen = []
            while True:
                kind, msg = sub.read()
                if msg[2][1] == b"end":
                    return seen
                seen.append((msg[2][1], msg[3][1]))
        finally:
            ctl.call("CONFIG", "SET", "notify-keyspace-events", "")
            ctl.close()
            sub.close()

    def test_keyspace_events(self):
        for seed in dt.SEEDS:
            gen = ListGen(seed)
            # Commands outside MULTI, without the blocking forms (their timeouts would wait).
            commands = [c for c in (gen.list_cmd() for _ in range(400))
                        if not c[0].startswith("B")]
            got = self.events(self.larder.port, commands)
            want = self.events(self.redis.port, commands)
            self.assertGreater(len(want), 50)
            for i, (a, b) in enumerate(zip(got, want)):
                self.assertEqual(a, b, f"seed {seed}, event #{i}")
            self.assertEqual(len(got), len(want), f"seed {seed}")


if __name__ == "__main__":
    unittest.main()
