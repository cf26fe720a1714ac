"""Helpers for the benches: start qemu-ga and onega side by side on unix
sockets in one temporary directory, read their CPU time and memory."""
import os
import shutil
import subprocess
import tempfile
import time

import lib

QEMU_GA = "/usr/sbin/qemu-ga"


class Pair:
    """qemu-ga and onega, both unix-listen, as children of this process."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="onega-bench-")
        self.procs = {}
        self.socks = {}
        for name in ("qemu-ga", "onega"):
            d = os.path.join(self.tmp, name)
            os.mkdir(d)
            sock = os.path.join(d, "s")
            if name == "qemu-ga":
                cmd = [QEMU_GA, "-m", "unix-listen", "-p", sock, "-t", d]
            else:
                conf = os.path.join(d, "conf")
                with open(conf, "w") as f:
                    f.write("[ovirt]\nenabled=false\n[spice]\nenabled=false\n")
                cmd = [lib.AGENT, "-m", "unix-listen", "-p", sock, "-t", d,
                       "-c", conf]
            env = dict(os.environ, ONEGA_CMDLINE="/nonexistent")
            env.pop("QGA_CONF", None)
            self.procs[name] = subprocess.Popen(
                cmd, cwd=d, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            self.socks[name] = sock
        for name, sock in self.socks.items():
            lib.wait_for(lambda: os.path.exists(sock), 10, sock)

    def client(self, name):
        return lib.Client(self.socks[name], timeout=120)

    def pid(self, name):
        return self.procs[name].pid

    def close(self):
        for p in self.procs.values():
            stop(p)
        shutil.rmtree(self.tmp, ignore_errors=True)


def stop(p):
    """SIGTERM, then SIGKILL: Debian's qemu-ga 7.2 sometimes hangs in a
    futex on SIGTERM, and a bench must not hang with it."""
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def cpu_s(pid):
    """Time pid has spent on a CPU, in seconds: /proc/PID/schedstat (ns),
    or utime + stime (clock ticks) where the kernel has no schedstat."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def ratio(a, b):
    return a / b if b else float("inf")
