"""Helpers for the issue-3 tests: Debian's qemu-ga as a reference agent,
network namespaces, and comparison of replies by shape and value."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

import lib

QEMU_GA = "/usr/sbin/qemu-ga"


class RefAgent:
    """Debian's qemu-ga on a unix socket in a temp dir (optionally inside
    the network namespace ns)."""

    def __init__(self, ns=None, env=None):
        self.tmp = tempfile.mkdtemp(prefix="onega-ref-")
        self.sock = os.path.join(self.tmp, "qga.sock")
        cmd = [QEMU_GA, "-m", "unix-listen", "-p", self.sock, "-t", self.tmp]
        if ns:
            cmd = ["ip", "netns", "exec", ns] + cmd
        e = dict(os.environ)
        e.pop("QGA_CONF", None)
        e["QGA_CONF"] = os.path.join(self.tmp, "none.conf")
        if env:
            e.update(env)
        self.log = open(os.path.join(self.tmp, "stderr"), "w+")
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=self.log,
                                  env=e, cwd=self.tmp)
        lib.wait_for(lambda: os.path.exists(self.sock) or
                     self.p.poll() is not None, 30, "qemu-ga socket")
        if self.p.poll() is not None:
            raise RuntimeError("qemu-ga exited: %s" % self.stderr())
        wait_listening(self.sock)

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def qga(self, timeout=10.0):
        return lib.Client(self.sock, timeout)

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.pid()) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def pid(self):
        # "ip netns exec" execs the agent: same pid.
        return self.p.pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def have_qemu_ga():
    return os.access(QEMU_GA, os.X_OK)


class NetNS:
    """A named network namespace for agents started with `ip netns exec`."""

    def __init__(self):
        self.name = "onega-t-" + uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", self.name], check=True)

    def ip(self, *args, batch=None):
        cmd = ["ip", "-n", self.name] + list(args)
        if batch is not None:
            cmd = ["ip", "-n", self.name, "-batch", "-"]
        subprocess.run(cmd, check=True, input=batch, text=True,
                       stdout=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name])


def netns_works():
    try:
        with NetNS():
            return True
    except (OSError, subprocess.CalledProcessError):
        return False


def onega_in_ns(ns, conf=None, env=None):
    """lib.Agent running onega inside namespace ns."""
    old = lib.AGENT
    wrapper = os.path.join(tempfile.mkdtemp(prefix="onega-ns-"), "onega")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n" % (ns, old))
    os.chmod(wrapper, 0o755)
    lib.AGENT = wrapper
    try:
        a = lib.Agent(conf=conf, env=env)
    finally:
        lib.AGENT = old
    wait_listening(a.sock)
    return a


def agent(**kw):
    """lib.Agent, returned once its socket accepts connections."""
    a = lib.Agent(**kw)
    try:
        wait_listening(a.sock)
    except Exception:
        a.__exit__(None, None, None)
        raise
    return a


def wait_listening(path):
    """The socket file appears at bind(), a moment before listen()."""
    lib.wait_for(lambda: lib.can_connect(path), 10, "listening " + path)


def jtype(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def same_type(a, b):
    ta, tb = jtype(a), jtype(b)
    # A JSON number that happens to be integral prints without a fraction.
    if {ta, tb} <= {"int", "number"}:
        return True
    return ta == tb


def shape_diff(path, ref, got, extra_ok=(), diffs=None):
    """Differences in member names and types (recursively; arrays element
    by element when the lengths match, else the first elements)."""
    if diffs is None:
        diffs = []
    if not same_type(ref, got):
        diffs.append("%s: type %s, qemu-ga %s" % (path, jtype(got), jtype(ref)))
        return diffs
    if isinstance(ref, dict):
        for k in ref:
            if k not in got:
                diffs.append("%s: missing member %r" % (path, k))
            else:
                shape_diff(path + "." + k, ref[k], got[k], extra_ok, diffs)
        for k in got:
            if k not in ref and k not in extra_ok:
                diffs.append("%s: extra member %r" % (path, k))
    elif isinstance(ref, list) and ref and got:
        pairs = zip(ref, got) if len(ref) == len(got) else [(ref[0], got[0])]
        for i, (x, y) in enumerate(pairs):
            shape_diff("%s[%d]" % (path, i), x, y, extra_ok, diffs)
    return diffs


def dump(v):
    return json.dumps(v, sort_keys=True)


def utmp_record(type_, user, sec, usec, line="pts/0", pid=1000):
    """One glibc struct utmp (x86_64 layout, 384 bytes)."""
    import struct
    return struct.pack("<hxxi32s4s32s256shhiii4i20s", type_, pid,
                       line.encode(), b"ts/0", user.encode(), b"host",
                       0, 0, 0, sec, usec, 0, 0, 0, 0, b"")


USER_PROCESS, DEAD_PROCESS, LOGIN_PROCESS = 7, 8, 6


def private_run_wrapper(agent, utmp_file):
    """A script that runs agent in a private mount namespace where /run is
    an empty tmpfs holding only utmp_file as /run/utmp."""
    d = tempfile.mkdtemp(prefix="onega-mnt-")
    w = os.path.join(d, "wrap")
    with open(w, "w") as f:
        f.write("#!/bin/sh\nexec unshare -m sh -c 'mount -t tmpfs tmpfs /run"
                " && cp %s /run/utmp && exec \"$0\" \"$@\"' %s \"$@\"\n"
                % (utmp_file, agent))
    os.chmod(w, 0o755)
    return w



BIND_WRAPPER = r"""#!/usr/bin/python3
# Runs argv[2:] in a private mount namespace holding argv[1] bind mounts.
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x20000, 4096, 16384, 1 << 18
def ck(r):
    if r != 0:
        raise OSError(ctypes.get_errno(), "mount setup")
ck(libc.unshare(CLONE_NEWNS))
ck(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None))
base = os.environ["BIND_BASE"]
src = os.path.join(base, "src")
os.makedirs(src, exist_ok=True)
for i in range(int(sys.argv[1])):
    d = os.path.join(base, "back\\slash" if i == 7 else "m %d" % i)
    os.makedirs(d, exist_ok=True)
    ck(libc.mount(src.encode(), d.encode(), None, MS_BIND, None))
os.execv(sys.argv[2], sys.argv[2:])
"""


def bind_wrapper(agent, n, base):
    """A script that runs agent in a private mount namespace with n bind
    mounts of base/src on base/"m I" (one named with a backslash)."""
    d = tempfile.mkdtemp(prefix="onega-mnt-")
    py = os.path.join(d, "binds.py")
    with open(py, "w") as f:
        f.write(BIND_WRAPPER)
    w = os.path.join(d, "wrap")
    with open(w, "w") as f:
        f.write("#!/bin/sh\nBIND_BASE=%s exec /usr/bin/python3 %s %d %s "
                "\"$@\"\n" % (base, py, n, agent))
    os.chmod(w, 0o755)
    return w
