"""A raw RESP2/RESP3 client for tests that compare replies exactly (types, error strings).

Unlike redis-py it keeps every reply's RESP type: a reply is a tuple (type, value) with type one
of '+', '-', ':', '$', '*', and for RESP3 '%', '~', ',', '_', '#', '>', '=', '('. Bulk strings are
bytes; a null bulk or array is ('$', None) / ('*', None). Not thread-safe: one per thread.

    c = RespClient(port)
    c.call("SET", "k", "v")            # -> ('+', 'OK')
    c.send("GET", "k"); c.read()       # pipelining by hand
"""
import socket


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespClient:
    def __init__(self, port, host="127.0.0.1", timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, *args):
        self.sock.sendall(encode(*args))

    def call(self, *args):
        self.send(*args)
        return self.read()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = chr(line[0]), line[1:]
        if t in "+-":
            return (t, rest.decode(errors="replace"))
        if t == ":":
            return (t, int(rest))
        if t in "$=(!":
            if t == "(":
                return (t, int(rest))
            n = int(rest)
            return (t, None) if n < 0 else (t, self._exact(n))
        if t in "*~>":
            n = int(rest)
            return (t, None) if n < 0 else (t, [self.read() for _ in range(n)])
        if t == "%":
            n = int(rest)
            return (t, [(self.read(), self.read()) for _ in range(n)])
        if t == ",":
            return (t, rest.decode())
        if t == "_":
            return (t, None)
        if t == "#":
            return (t, rest == b"t")
        raise ValueError(f"bad RESP type byte {line!r}")
