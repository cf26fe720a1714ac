"""Helpers for tests/ops and bench/bench_file.py: a qemu-ga client that
reads huge reply lines in linear time (lib.Client joins its buffer on every
recv, which is quadratic for a 64 MiB guest-file-read reply)."""
import json
import socket


class BigClient:
    def __init__(self, path, timeout=60.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.rest = b""

    def close(self):
        self.s.close()

    def line(self):
        parts = [self.rest]
        if b"\n" in self.rest:
            line, self.rest = self.rest.split(b"\n", 1)
            return line
        while True:
            d = self.s.recv(4 << 20)
            if not d:
                raise EOFError("agent closed the connection")
            i = d.find(b"\n")
            if i >= 0:
                parts.append(d[:i])
                self.rest = d[i + 1:]
                return b"".join(parts)
            parts.append(d)

    def send(self, name, args=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        self.s.sendall(json.dumps(req).encode() + b"\n")

    def cmd(self, name, args=None, **kw):
        self.send(name, args if args is not None else (kw or None))
        line = self.line()
        if line.startswith(b"\xff"):
            line = line[1:]
        return json.loads(line)


def connect(agent):
    """agent.qga(), retried while the socket exists but is not listening."""
    import lib

    def try_connect():
        try:
            return agent.qga()
        except ConnectionRefusedError:
            return None
    return lib.wait_for(try_connect, 10, "qga socket")
