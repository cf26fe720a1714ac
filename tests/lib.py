"""Shared helpers for onega's black-box tests (Python stdlib only).

A test script lives in tests/<area>/test_*.py, runs with the repository root
as its working directory, imports this module and reports through T:

    import lib
    t = lib.T()
    with lib.Agent() as a:
        c = a.qga()
        t.eq("ping", c.cmd("guest-ping"), {"return": {}})
    t.done()

Every result is one line on stdout: PASS name / FAIL name: why /
SKIP name: reason.  tests/run counts them.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AGENT = os.environ.get("ONEGA", os.path.join(ROOT, "onega"))


class T:
    """Results of one test script."""

    def __init__(self):
        self.failed = 0

    def ok(self, name, cond, detail=""):
        if cond:
            print("PASS %s" % name, flush=True)
        else:
            self.failed += 1
            d = str(detail).replace("\n", "\\n")
            if len(d) > 600:
                d = d[:600] + "..."
            print("FAIL %s: %s" % (name, d), flush=True)
        return bool(cond)

    def eq(self, name, got, want):
        return self.ok(name, got == want, "got %r, want %r" % (got, want))

    def skip(self, name, reason):
        print("SKIP %s: %s" % (name, reason), flush=True)

    def done(self):
        sys.stdout.flush()


def wait_for(cond, timeout=10.0, what="condition"):
    """Poll cond() until true; raise TimeoutError after timeout seconds."""
    end = time.monotonic() + timeout
    delay = 0.002
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for %s" % what)
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def can_connect(path):
    """True once a unix socket accepts connections (the file exists at
    bind(), a moment before listen())."""
    if not os.path.exists(path):
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Client:
    """A qemu-ga client on a stream socket: one request, one reply line."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = bytearray()

    def close(self):
        self.s.close()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def read_line(self):
        # Search only the bytes that arrived since the last look: a 64 MiB
        # reply must not cost a quadratic rescan.
        start = 0
        while True:
            i = self.buf.find(b"\n", start)
            if i != -1:
                break
            start = len(self.buf)
            d = self.s.recv(1 << 22)
            if not d:
                raise EOFError("agent closed the connection")
            self.buf += d
        line, self.buf = bytes(self.buf[:i + 1]), self.buf[i + 1:]
        return line

    def read_reply(self):
        line = self.read_line()
        if line.startswith(b"\xff"):
            line = line[1:]
        return json.loads(line)

    def cmd(self, name, args=None, id=None, **kw):
        req = {"execute": name}
        if args is None and kw:
            args = kw
        if args is not None:
            req["arguments"] = args
        if id is not None:
            req["id"] = id
        self.send_raw(json.dumps(req) + "\n")
        return self.read_reply()

    def sync(self, n=12345):
        """guest-sync-delimited the way Proxmox does it."""
        self.send_raw(json.dumps({"execute": "guest-sync-delimited",
                                  "arguments": {"id": n}}) + "\n")
        while True:
            line = self.read_line()
            if line.startswith(b"\xff"):
                return json.loads(line[1:])

    def expect_silence(self, seconds=0.3):
        """True if nothing arrives within seconds."""
        if self.buf:
            return False
        self.s.settimeout(seconds)
        try:
            d = self.s.recv(1)
            self.buf += d
            return not d and False
        except socket.timeout:
            return True
        finally:
            self.s.settimeout(10.0)


class Agent:
    """onega on unix sockets in a private temporary directory.

    qga on tmp/qga.sock unless args say otherwise; conf (text) is written to
    tmp/onega.conf and passed with -c.  ovirt and spice are disabled unless
    the conf enables them.  Use as a context manager.
    """

    def __init__(self, args=None, conf=None, env=None, qga=True, wait=True,
                 stdin=subprocess.DEVNULL):
        self.tmp = tempfile.mkdtemp(prefix="onega-t-")
        self.sock = os.path.join(self.tmp, "qga.sock")
        self.statedir = os.path.join(self.tmp, "state")
        os.mkdir(self.statedir)
        cmd = [AGENT]
        if qga:
            cmd += ["-m", "unix-listen", "-p", self.sock]
        cmd += ["-t", self.statedir]
        text = "[ovirt]\nenabled=false\n[spice]\nenabled=false\n"
        if conf is not None:
            text = conf
        self.conf = os.path.join(self.tmp, "onega.conf")
        with open(self.conf, "w") as f:
            f.write(text)
        cmd += ["-c", self.conf]
        cmd += list(args or [])
        e = dict(os.environ)
        e.pop("QGA_CONF", None)
        e["ONEGA_CMDLINE"] = os.path.join(self.tmp, "no-cmdline")
        if env:
            e.update(env)
        self.log = open(os.path.join(self.tmp, "stderr"), "w+")
        self.p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=self.log, env=e, cwd=self.tmp)
        self.wait_sock = self.sock if (qga and wait) else None
        if self.wait_sock:
            self.wait_path(self.wait_sock)

    def wait_path(self, path, timeout=10.0):
        """Wait until a connect() to the socket succeeds (the file exists
        at bind(), a moment before listen())."""
        def ready():
            if self.p.poll() is not None:
                raise RuntimeError("agent exited %s: %s" % (
                    self.p.returncode, self.stderr()))
            return can_connect(path)
        wait_for(ready, timeout, path)

    def qga(self, timeout=10.0):
        return Client(self.sock, timeout)

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def alive(self):
        return self.p.poll() is None

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.p.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.close()
        if self.p.stdout:
            self.p.stdout.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
