#!/usr/bin/python3
"""Issue 3 bench: response time and agent CPU for guest-get-fsinfo,
guest-network-get-interfaces and guest-get-osinfo, onega against Debian's
qemu-ga, in one run on the same machine.  Target: onega >= 3x faster each.

Usage: bench/bench_info.py [calls-per-command]   (default 300)
"""
import json
import os
import socket
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests",
                                                          "info")]
import lib
import infolib

CMDS = ["guest-get-fsinfo", "guest-network-get-interfaces",
        "guest-get-osinfo"]
BASE = "guest-ping"	# the agents' own per-request floor, for context
TCK = os.sysconf("SC_CLK_TCK")


def pid_cpu(pid):
    """Seconds of CPU the agent used: schedstat (ns) where the kernel has
    it, else utime + stime in clock ticks."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        with open("/proc/%d/stat" % pid) as f:
            x = f.read().rsplit(")", 1)[1].split()
        return (int(x[11]) + int(x[12])) / TCK


class Raw:
    """A minimal client: bytes out, one line in, no JSON work in the timed
    loop (the reply is parsed once, outside it, to check it)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def call(self, req):
        self.s.sendall(req)
        return self.f.readline()


def run(client, pid, name, n):
    req = json.dumps({"execute": name}).encode() + b"\n"
    for _ in range(5):
        r = client.call(req)
        if b'"return"' not in r:
            raise SystemExit("%s: unexpected reply %r" % (name, r[:300]))
    c0, t0 = pid_cpu(pid), time.perf_counter()
    lat = []
    for _ in range(n):
        s = time.perf_counter()
        client.call(req)
        lat.append(time.perf_counter() - s)
    wall = time.perf_counter() - t0
    cpu = pid_cpu(pid) - c0
    lat.sort()
    return {"mean": wall / n * 1e6, "p50": lat[n // 2] * 1e6,
            "p99": lat[min(n - 1, n * 99 // 100)] * 1e6, "cpu": cpu / n * 1e6}


def mmap_cost(n=300):
    """Microseconds for an 8 KiB anonymous mmap, two page touches and an
    munmap: what musl's malloc pays when it returns a group to the kernel
    (about 2 us on a plain KVM guest, far more under some sandboxes)."""
    import mmap
    t0 = time.perf_counter()
    for _ in range(n):
        m = mmap.mmap(-1, 8192)
        m[0] = 1
        m[4096] = 1
        m.close()
    return (time.perf_counter() - t0) / n * 1e6


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    if not infolib.have_qemu_ga():
        print("SKIP bench_info: qemu-ga not installed")
        return 0
    res = {}
    with infolib.RefAgent() as ref, infolib.agent() as a:
        agents = {"qemu-ga": (Raw(ref.sock), ref.p.pid),
                  "onega": (Raw(a.sock), a.p.pid)}
        for name in CMDS + [BASE]:
            for who, (c, pid) in agents.items():	# interleaved: same load
                res[name, who] = run(c, pid, name, n)
    print("environment: 8 KiB mmap+touch+munmap = %.0f us" % mmap_cost())
    print("%-30s %-8s %9s %9s %9s %11s" % ("command (%d calls)" % n, "agent",
          "mean us", "p50 us", "p99 us", "cpu us/call"))
    ok = True
    for name in CMDS:
        for who in ("qemu-ga", "onega"):
            r = res[name, who]
            print("%-30s %-8s %9.0f %9.0f %9.0f %11.0f" % (
                name, who, r["mean"], r["p50"], r["p99"], r["cpu"]))
        q, o = res[name, "qemu-ga"], res[name, "onega"]
        sp = q["mean"] / o["mean"]
        cpu = q["cpu"] / o["cpu"] if o["cpu"] > 0 else float("inf")
        ok = ok and sp >= 3
        print("%-30s speed-up %.1fx response, %.1fx agent CPU%s" % (
            "", sp, cpu, "" if sp >= 3 else "  (below the 3x target)"))
    q, o = res[BASE, "qemu-ga"], res[BASE, "onega"]
    print("%-30s qemu-ga %.0f us, onega %.0f us response; CPU %.0f / %.0f us"
          % ("floor: " + BASE, q["mean"], o["mean"], q["cpu"], o["cpu"]))
    return 0 if ok else 1


sys.exit(main())
