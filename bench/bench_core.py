"""Core bench (issue 2): guest-ping round trips and agent CPU per request,
startup to first reply, idle RSS, wakeups while idle with a host connected,
binary size; onega against Debian's qemu-guest-agent in one run.

The floor row is the same client against the least possible server
(bench/vmclient.c echo: poll, read, write, a canned reply): what a request
costs on this machine before any agent does any work.  Where a wakeup and
three syscalls cost more than qemu-ga's parsing (a paravirtual sandbox),
qemu-ga / floor bounds every agent's ratio; bench_vm.py counts instructions
inside a guest instead."""
import os
import socket
import subprocess
import tempfile
import time

import lib
from common import Pair, cpu_s, status, ratio, stop, QEMU_GA

N = int(os.environ.get("BENCH_PINGS", "20000"))
res = {}


def pings(s, pid):
    """N sequential guest-ping round trips (raw bytes: measures the server,
    not JSON in Python): (round trip us, server CPU us) per request."""
    req = b'{"execute":"guest-ping"}\n'
    for _ in range(200):			# warm up
        s.sendall(req)
        got = b""
        while not got.endswith(b"\n"):
            got += s.recv(256)
    c0 = cpu_s(pid)
    t0 = time.perf_counter()
    for _ in range(N):
        s.sendall(req)
        got = b""
        while not got.endswith(b"\n"):
            got += s.recv(256)
    dt = time.perf_counter() - t0
    return dt / N * 1e6, (cpu_s(pid) - c0) / N * 1e6


def floor():
    d = tempfile.mkdtemp()
    exe, sock = os.path.join(d, "vmclient"), os.path.join(d, "e")
    subprocess.run(["musl-gcc", "-static", "-O2", "-isystem",
                    os.path.join(lib.ROOT, "build", "kinc"), "-o", exe,
                    os.path.join(lib.ROOT, "bench", "vmclient.c")],
                   check=True)
    p = subprocess.Popen([exe, "echo", sock])
    try:
        lib.wait_for(lambda: os.path.exists(sock), 10, sock)
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        r = pings(s, p.pid)
        s.close()
        return r
    finally:
        stop(p)


res["floor", "rtt_us"], res["floor", "cpu_us"] = floor()
pair = Pair()
try:
    for name in ("qemu-ga", "onega"):
        pid = pair.pid(name)
        c = pair.client(name)
        c.sync(1)
        res[name, "rss_idle"] = status(pid, "VmRSS")
        res[name, "rtt_us"], res[name, "cpu_us"] = pings(c.s, pid)
        # idle with the host connected: context switches over 5 s
        v0 = status(pid, "voluntary_ctxt_switches") + \
            status(pid, "nonvoluntary_ctxt_switches")
        time.sleep(5)
        v1 = status(pid, "voluntary_ctxt_switches") + \
            status(pid, "nonvoluntary_ctxt_switches")
        res[name, "wakeups_min"] = (v1 - v0) * 12
        res[name, "rss_after"] = status(pid, "VmRSS")
        c.close()
finally:
    pair.close()


def startup(cmd, sock):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL,
                         env=dict(os.environ, ONEGA_CMDLINE="/nonexistent"))
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            break
        except OSError:
            s.close()
            time.sleep(0.0005)
    s.sendall(b'{"execute":"guest-ping"}\n')
    s.recv(64)
    dt = time.perf_counter() - t0
    s.close()
    stop(p)
    return dt * 1000


d = tempfile.mkdtemp()
conf = os.path.join(d, "c")
with open(conf, "w") as f:
    f.write("[ovirt]\nenabled=false\n[spice]\nenabled=false\n")
for name, cmd in (("qemu-ga", [QEMU_GA, "-m", "unix-listen", "-p",
                               d + "/q", "-t", d]),
                  ("onega", [lib.AGENT, "-m", "unix-listen", "-p", d + "/o",
                             "-t", d, "-c", conf])):
    sock = cmd[cmd.index("-p") + 1]
    res[name, "startup_ms"] = min(startup(cmd, sock) for _ in range(5))
res["qemu-ga", "size"] = os.path.getsize(QEMU_GA)
res["onega", "size"] = os.path.getsize(lib.AGENT)

rows = [("guest-ping round trip (us)", "rtt_us", "%.1f"),
        ("agent CPU per ping (us)", "cpu_us", "%.2f"),
        ("startup to first reply (ms)", "startup_ms", "%.2f"),
        ("idle RSS (kB)", "rss_idle", "%d"),
        ("RSS after %d pings (kB)" % N, "rss_after", "%d"),
        ("wakeups/min idle, host connected", "wakeups_min", "%d"),
        ("binary size (bytes)", "size", "%d")]
print("%-38s %12s %12s %10s" % ("", "qemu-ga", "onega", "ratio q/o"))
for label, key, fmt in rows:
    q, o = res["qemu-ga", key], res["onega", key]
    print("%-38s %12s %12s %10s" % (label, fmt % q, fmt % o,
                                    "%.1fx" % ratio(q, o) if o else "-"))
print("floor (least server: poll, read, write): round trip %.1f us, CPU "
      "%.2f us per ping;\n  qemu-ga / floor = %.1fx CPU: no agent can do "
      "better than that on this machine" % (
          res["floor", "rtt_us"], res["floor", "cpu_us"],
          ratio(res["qemu-ga", "cpu_us"], res["floor", "cpu_us"])))
print("targets: size < 262144 bytes, idle RSS < 400 kB, CPU/ping <= 1/5 of "
      "qemu-ga, 0 wakeups/min idle")
