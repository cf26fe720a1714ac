"""guest-exec / guest-exec-status over a socket (qemu-ga.md 3.11, 4.2):
exit codes, signals, every capture mode, input-data on stdin, env replacing
the environment, no shell, a child flooding stdout (16 MiB cap, truncated),
a child that never exits while other commands are served, the status
reported once, and qemu-ga's error texts."""
import base64
import os
import signal

import lib
import opslib

t = lib.T()


def b64(s):
    return base64.b64encode(s).decode()


def status(c, pid, timeout=30):
    """guest-exec-status until exited (a condition with a deadline)."""
    box = {}

    def done():
        r = c.cmd("guest-exec-status", pid=pid)
        box["r"] = r
        return "error" in r or r["return"]["exited"]
    lib.wait_for(done, timeout, "pid %d to exit" % pid)
    return box["r"]


def run(c, **args):
    r = c.cmd("guest-exec", **args)
    if "error" in r:
        return r
    return status(c, r["return"]["pid"])


with lib.Agent() as a:
    c = opslib.BigClient(a.sock)
    r = run(c, path="/bin/sh", arg=["-c", "echo out; echo err >&2; exit 3"],
            **{"capture-output": True})
    t.eq("exit code and separated output", r, {"return": {
        "exited": True, "exitcode": 3, "out-data": b64(b"out\n"),
        "out-truncated": False, "err-data": b64(b"err\n"),
        "err-truncated": False}})
    r = run(c, path="/bin/sh", arg=["-c", "echo out; echo err >&2"],
            **{"capture-output": "merged"})
    t.ok("merged: both in out-data, no err-data",
         base64.b64decode(r["return"].get("out-data", "")) in
         (b"out\nerr\n", b"err\nout\n") and "err-data" not in r["return"],
         r)
    r = run(c, path="/bin/sh", arg=["-c", "echo out; echo err >&2"],
            **{"capture-output": "stderr"})
    t.eq("stderr only", (r["return"].get("out-data"),
                         r["return"].get("err-data")), (None, b64(b"err\n")))
    r = run(c, path="/bin/sh", arg=["-c", "echo out; echo err >&2"],
            **{"capture-output": "stdout"})
    t.eq("stdout only", (r["return"].get("out-data"),
                         r["return"].get("err-data")), (b64(b"out\n"), None))
    r = run(c, path="/bin/echo", arg=["hi"])
    t.eq("no capture: exit code only", r,
         {"return": {"exited": True, "exitcode": 0}})
    r = run(c, path="/bin/sh", arg=["-c", "echo quiet >&2"],
            **{"capture-output": True})
    t.ok("a stream without output has neither member",
         "out-data" not in r["return"] and "out-truncated" not in
         r["return"] and r["return"].get("err-truncated") is False, r)
    r = run(c, path="/bin/cat", **{"input-data": b64(b"input\nbar\n"),
                                   "capture-output": True})
    t.eq("input-data on stdin", r["return"].get("out-data"),
         b64(b"input\nbar\n"))
    big = os.urandom(300000)
    r = run(c, path="/bin/cat", **{"input-data": base64.encodebytes(
        big).decode(), "capture-output": True})
    t.ok("300 kB of MIME base64 input through cat",
         base64.b64decode(r["return"].get("out-data", "")) == big)
    r = run(c, path="/bin/sh", arg=["-c", "kill -9 $$"])
    t.eq("killed by a signal", r, {"return": {"exited": True, "signal": 9}})
    r = run(c, path="env", env=["PATH=/usr/bin:/bin", "FOO=bar"],
            **{"capture-output": True})
    t.eq("env replaces the environment; PATH from env",
         sorted(base64.b64decode(r["return"]["out-data"]).split()),
         [b"FOO=bar", b"PATH=/usr/bin:/bin"])
    r = run(c, path="/bin/echo", arg=["$HOME", "a b;c"],
            **{"capture-output": True})
    t.eq("no shell involved", r["return"]["out-data"],
         b64(b"$HOME a b;c\n"))
    # A flood: 20 MiB on stdout, kept to 16 MiB.
    r = run(c, path="/bin/sh", arg=["-c", "head -c 20971520 /dev/zero; "
                                    "echo done >&2"],
            **{"capture-output": True})
    out = base64.b64decode(r["return"].get("out-data", ""))
    t.ok("flood capped at 16 MiB, truncated", len(out) == 16 << 20 and
         r["return"].get("out-truncated") is True and
         r["return"].get("err-data") == b64(b"done\n"), (len(out), {
             k: v for k, v in r["return"].items() if k != "out-data"}))
    # A child that never exits does not hold up the agent.
    r = c.cmd("guest-exec", path="/bin/sleep", arg=["1000"])
    pid = r["return"]["pid"]
    t.eq("running child: exited false",
         c.cmd("guest-exec-status", pid=pid),
         {"return": {"exited": False}})
    t.eq("other commands served meanwhile", c.cmd("guest-ping"),
         {"return": {}})
    r = run(c, path="/bin/true")
    t.eq("and other children finish", r["return"]["exitcode"], 0)
    os.kill(pid, signal.SIGKILL)
    t.eq("the sleeper's end is seen", status(c, pid)["return"],
         {"exited": True, "signal": 9})
    t.eq("status reported once", c.cmd("guest-exec-status", pid=pid),
         {"error": {"class": "GenericError",
                    "desc": "Invalid parameter 'pid'"}})
    r = c.cmd("guest-exec", path="/bin/invalid-cmd42")
    t.eq("command that cannot run", r.get("error", {}).get("desc"),
         "Guest agent command failed, error was 'Failed to execute child "
         "process \u201c/bin/invalid-cmd42\u201d (No such file or "
         "directory)'")
    t.eq("bad input-data", c.cmd("guest-exec", path="/bin/true", **{
        "input-data": "@@"}).get("error", {}).get("desc"),
        "Base64 data contains invalid characters")
    t.eq("arg of the wrong type", c.cmd(
        "guest-exec", path="/bin/true", arg=["a", 1]).get(
        "error", {}).get("desc"),
        "Invalid parameter type for 'arg[1]', expected: string")
    t.eq("bad capture-output", c.cmd(
        "guest-exec", path="/bin/true", **{"capture-output": "all"}).get(
        "error", {}).get("desc"),
        "Parameter 'capture-output' does not accept value 'all'")
    t.eq("missing path", c.cmd("guest-exec").get("error", {}).get("desc"),
         "Parameter 'path' is missing")
    t.ok("agent alive", a.alive() and c.cmd("guest-ping") == {"return": {}})
t.done()
