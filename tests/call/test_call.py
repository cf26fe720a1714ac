"""onega call: the host-side client, against onega itself and against a
scripted fake agent (split replies, stale sync replies, garbage, silence)."""
import json
import os
import re
import socket
import subprocess
import tempfile
import threading

import lib

t = lib.T()
tmp = tempfile.mkdtemp(prefix="onega-call-")


def call(*args, timeout=30):
    p = subprocess.run([lib.AGENT, "call"] + list(args), capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


class Fake:
    """One-connection fake agent: script(conn, reader) drives it."""

    def __init__(self, script):
        self.path = os.path.join(tmp, "fake%d.sock" % id(self))
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(self.path)
        self.ls.listen(1)
        self.got = b""
        self.err = None
        self.th = threading.Thread(target=self._run, args=(script,))
        self.th.start()

    def _run(self, script):
        try:
            c, _ = self.ls.accept()
            c.settimeout(20)
            script(c, self)
            c.close()
        except Exception as e:		# reported by the test
            self.err = e

    def read_until(self, c, pat):
        """Read until pat (regex bytes) matches what came so far."""
        while True:
            m = re.search(pat, self.got, re.S)
            if m:
                return m
            d = c.recv(4096)
            if not d:
                raise EOFError("client closed")
            self.got += d

    def sync_id(self, c):
        m = self.read_until(c, rb'"guest-sync-delimited".*?"id":\s*(\d+)'
                               rb'.*?\n')
        return int(m.group(1))

    def join(self):
        self.th.join(30)
        self.ls.close()
        os.unlink(self.path)


def dribble(c, data):
    for i in range(len(data)):
        c.sendall(data[i:i + 1])


# ---- against onega itself ------------------------------------------------
with lib.Agent() as a:
    rc, out, err = call(a.sock, "guest-ping")
    t.ok("ping", rc == 0 and json.loads(out) == {}, (rc, out, err))
    rc, out, err = call(a.sock, "guest-info")
    raw = call("--raw", a.sock, "guest-info")
    ok = rc == 0 and raw[0] == 0
    t.ok("info-pretty", ok and json.loads(out) ==
         json.loads(raw[1])["return"] and out.count("\n") > 10 and
         out.startswith("{\n    \""), (rc, out[:200], err))
    t.ok("raw-is-one-line", raw[1].count("\n") == 1 and
         raw[1].startswith('{"return": {'), raw[1][:200])
    big = "9223372036854775807"
    rc, out, err = call(a.sock, '{"execute":"guest-sync","arguments":'
                        '{"id":%s}}' % big)
    t.eq("whole-request-exact-int", (rc, out.strip()), (0, big))
    rc, out, err = call(a.sock, "guest-sync", '{"id": %s}' % big)
    t.eq("args-exact-int", (rc, out.strip()), (0, big))
    rc, out, err = call(a.sock, "guest-no-such-command")
    t.ok("error-exit-1", rc == 1 and out == "" and
         "CommandNotFound: The command guest-no-such-command has not been "
         "found" in err, (rc, out, err))
    rc, out, err = call(a.sock, "guest-sync", '{"id": "x"}')
    t.ok("error-desc", rc == 1 and "GenericError: Invalid parameter type "
         "for 'id', expected: integer" in err, (rc, err))
    rc, out, err = call("--no-sync", a.sock, "guest-ping")
    t.ok("no-sync", rc == 0 and json.loads(out) == {}, (rc, out, err))
    # the agent still answers a plain client afterwards: nothing left over
    c = a.qga()
    t.eq("agent-after", c.cmd("guest-ping"), {"return": {}})
    c.close()

# ---- usage and connection errors -----------------------------------------
rc, out, err = call(os.path.join(tmp, "nothing.sock"), "guest-ping")
t.ok("connect-fails-111", rc == 111 and "connect" in err, (rc, err))
rc, out, err = call("sock-only")
t.ok("usage-100", rc == 100 and "usage:" in err, (rc, err))
rc, out, err = call(os.path.join(tmp, "x.sock"), "guest-ping", "[1]")
t.ok("args-not-object-100", rc == 100 and "JSON-ARGS" in err, (rc, err))
rc, out, err = call("--timeout", "0", os.path.join(tmp, "x"), "guest-ping")
t.ok("bad-timeout-100", rc == 100, (rc, err))
rc, out, err = call("--help")
t.ok("help", rc == 0 and "--no-sync" in out and "--raw" in out, (rc, out))


# ---- scripted fake agent ---------------------------------------------------
def noisy(c, f):
    """Error for the stray 0xFF, garbage, a stale sync reply, then ours;
    the command reply arrives one byte at a time with a huge integer."""
    n = f.sync_id(c)
    c.sendall(b'{"error": {"class": "GenericError", "desc": "JSON parse '
              b'error, stray \'\\uFFFD\'"}}\n')
    c.sendall(b'half a line of junk}\n\xff{"return": 7}\n')
    dribble(c, b'\xff{"return": %d}\n' % n)
    f.read_until(c, rb'"guest-get-time".*\n')
    dribble(c, b'{"return": {"a": [18446744073709551615, -5, 1.5, "\\u00e9",'
              b' null, true, {}, []]}}\n')


f = Fake(noisy)
rc, out, err = call(f.path, "guest-get-time")
f.join()
t.ok("fake-sent-ff-first", f.got.startswith(b"\xff{"), f.got[:40])
t.ok("fake-split-reply", rc == 0 and json.loads(out) == {
    "a": [18446744073709551615, -5, 1.5, "\u00e9", None, True, {}, []]},
    (rc, out, err, f.err))
t.ok("fake-exact-u64", "18446744073709551615" in out and "e+" not in out,
     out)


def plain(c, f):
    f.read_until(c, rb'\n')
    c.sendall(b'{"return": {"ok": 1}}\n')


f = Fake(plain)
rc, out, err = call("--no-sync", f.path, "guest-ping")
f.join()
t.ok("no-sync-sends-no-ff", rc == 0 and b"\xff" not in f.got and
     b"guest-sync" not in f.got and json.loads(out) == {"ok": 1},
     (rc, out, err, f.got))
t.ok("request-form", json.loads(f.got) == {"execute": "guest-ping"}, f.got)


def silent(c, f):
    f.sync_id(c)
    c.recv(1)		# waits for the client to give up (EOF)


f = Fake(silent)
rc, out, err = call("--timeout", "0.5", f.path, "guest-ping")
f.join()
t.ok("timeout-111", rc == 111 and "no reply" in err, (rc, err))


def shutdown_silent(c, f):
    n = f.sync_id(c)
    c.sendall(b'\xff{"return": %d}\n' % n)
    f.read_until(c, rb'"guest-shutdown".*\n')
    c.recv(1)


f = Fake(shutdown_silent)
rc, out, err = call(f.path, "guest-shutdown", '{"mode": "powerdown"}')
f.join()
t.ok("shutdown-silence-ok", rc == 0 and out == "", (rc, out, err))
t.ok("shutdown-args-sent", b'"arguments":{"mode":"powerdown"}' in f.got,
     f.got)


def shutdown_hangup(c, f):
    n = f.sync_id(c)
    c.sendall(b'\xff{"return": %d}\n' % n)
    f.read_until(c, rb'"guest-suspend-ram".*\n')


f = Fake(shutdown_hangup)
rc, out, err = call(f.path, "guest-suspend-ram")
f.join()
t.ok("suspend-eof-ok", rc == 0, (rc, err))


def shutdown_error(c, f):
    n = f.sync_id(c)
    c.sendall(b'\xff{"return": %d}\n' % n)
    f.read_until(c, rb'"guest-shutdown".*\n')
    c.sendall(b'{"error": {"class": "GenericError", "desc": "nope"}}\n')


f = Fake(shutdown_error)
rc, out, err = call(f.path, "guest-shutdown")
f.join()
t.ok("shutdown-error-1", rc == 1 and "GenericError: nope" in err, (rc, err))


def hangup(c, f):
    f.sync_id(c)


f = Fake(hangup)
rc, out, err = call(f.path, "guest-ping")
f.join()
t.ok("eof-111", rc == 111 and "closed" in err, (rc, err))

os.rmdir(tmp)
t.done()
