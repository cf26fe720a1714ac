#!/usr/bin/python3
"""VM bench: onega and Debian's qemu-guest-agent side by side INSIDE one TCG
guest (tests/vmlib.py), each on a unix socket, driven by the static
bench/vmclient.c run through guest-exec on the guest's PID-1 onega.

On a paravirtualised host every syscall and wakeup costs so much that host
figures mostly measure the hypervisor; in a TCG guest the guest kernel's
syscalls and context switches are ordinary emulated instructions.  By
default QEMU runs with -icount shift=0: guest time advances 1 ns per guest
instruction, so every figure (round trips too) is in virtual time, agent
CPU us = thousands of guest instructions (user + kernel), and the results
repeat to within ~0.5% whatever the host's load.  Agent CPU is the first
field of /proc/PID/schedstat in the guest (PID from SO_PEERCRED).  Two
floors give scale: a minimal C echo server (ping) and getifaddrs()'s two
rtnetlink dumps alone (interfaces).  qemu-ga runs from the host's binary
with its ldd libraries copied to the same paths in the initramfs.

Run: /usr/bin/python3 bench/run.py bench_vm (about 1.5 min).
Environment: BENCH_VM_ICOUNT=0 (plain TCG: real time, noisy on a loaded
host), BENCH_VM_ROUNDS (3; the table shows the median), BENCH_VM_SECONDS
(target length of one timed run: 0.5 virtual s, 2 s without icount),
BENCH_VM_FILE_MIB (16: guest-file write+read volume per round, 4 MiB
chunks; 0 skips it), BENCH_VM_CMDS (comma separated subset of the
commands, e.g. guest-ping,guest-get-fsinfo), BENCH_VM_VERBOSE=1 (replies
and every round's figures).
"""
import base64
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import lib
import vmlib

QEMU_GA = "/usr/sbin/qemu-ga"
ICOUNT = os.environ.get("BENCH_VM_ICOUNT", "1") != "0"
ROUNDS = int(os.environ.get("BENCH_VM_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_VM_SECONDS",
                               "0.5" if ICOUNT else "2"))
FILE_MIB = int(os.environ.get("BENCH_VM_FILE_MIB", "16")) // 4 * 4
VERBOSE = bool(os.environ.get("BENCH_VM_VERBOSE"))
CMDS = ["guest-ping", "guest-get-osinfo", "guest-network-get-interfaces",
        "guest-get-fsinfo"]
if os.environ.get("BENCH_VM_CMDS"):
    CMDS = [c for c in CMDS if c in os.environ["BENCH_VM_CMDS"].split(",")]
AGENTS = ("qemu-ga", "onega")
FLOOR = {"guest-ping": ("echo",), "guest-network-get-interfaces": ("netlink",)}
SOCK = {"qemu-ga": "/run/q.sock", "onega": "/run/o.sock",
        "echo": "/run/e.sock"}
CONF = b"[ovirt]\nenabled=false\n[spice]\nenabled=false\n"
PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
# State dirs live in /var: PID 1 mounts tmpfs over /run and /tmp, hiding
# what the initramfs puts there (qemu-ga exits 0 if -t is missing).
ARGV = {
    "qemu-ga": (QEMU_GA, ["-m", "unix-listen", "-p", SOCK["qemu-ga"], "-t",
                          "/var/qst", "-f", "/run/qga.pid"], [PATH]),
    "onega": ("/bin/onega-bench", ["-m", "unix-listen", "-p", SOCK["onega"],
                                   "-t", "/var/ost", "-c",
                                   "/etc/onega-bench.conf"],
              [PATH, "ONEGA_CMDLINE=/nonexistent"]),
    "echo": ("/bin/vmclient", ["echo", "/run/e.sock"], [PATH]),
}


def shared_libs(binary):
    """The libraries and loader ldd lists, by the paths it prints."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"(/\S+) \(0x", out)


class Guest:
    """guest-exec on the PID-1 onega of a running vmlib.VM."""

    def __init__(self, vm):
        self.vm = vm

    def start(self, path, args, env=None, capture=False):
        req = {"path": path, "arg": args, "capture-output": capture}
        if env is not None:
            req["env"] = env
        r = self.vm.qga().cmd("guest-exec", req)
        if "return" not in r:
            raise SystemExit("guest-exec %s: %r" % (path, r))
        return r["return"]["pid"]

    def status(self, pid):
        r = self.vm.qga().cmd("guest-exec-status", {"pid": pid})
        if "return" not in r:
            raise SystemExit("guest-exec-status %d: %r" % (pid, r))
        st = r["return"]
        for k in ("out-data", "err-data"):
            st[k] = base64.b64decode(st.get(k, "")).decode(errors="replace")
        return st

    def run(self, path, args, timeout=600):
        """Run to the end (a few polls a second: little guest noise)."""
        pid = self.start(path, args, capture=True)
        end = time.monotonic() + timeout
        while True:
            st = self.status(pid)
            if st["exited"]:
                return st
            if time.monotonic() > end:
                raise SystemExit("%s %s: still running after %d s" % (
                    path, args, timeout))
            time.sleep(0.25)

    def client(self, args, timeout=600):
        """vmclient ARGS: its 'result' line as a dict, and its 'reply'."""
        st = self.run("/bin/vmclient", args, timeout)
        m = re.findall(r"^result (.*)$", st["out-data"], re.M)
        if st.get("exitcode") != 0 or not m:
            raise SystemExit("vmclient %s failed (%r): %s%s" % (
                " ".join(args), st.get("exitcode"), st["out-data"],
                st["err-data"]))
        reply = re.findall(r"^reply (.*)$", st["out-data"], re.M)
        res = {}
        for line in m:
            d = dict(kv.split("=", 1) for kv in line.split())
            res[d.get("dir", "")] = d
        return res, reply[0] if reply else ""


def rtt(g, who, cmd, n):
    """Round trip, agent CPU, kernel share, reply; "netlink" is the floor
    of interfaces: getifaddrs()'s two rtnetlink dumps and nothing else."""
    args = ["netlink", str(n)] if who == "netlink" else \
        [SOCK[who], str(n), '{"execute":"%s"}' % cmd]
    res, reply = g.client(args)
    r = res[""]
    return (float(r.get("rtt_us", 0)), float(r["cpu_us"]),
            float(r.get("sys_pct", 0)), reply)


def boot(tmp):
    client = os.path.join(tmp, "vmclient")
    subprocess.run(["musl-gcc", "-static", "-O2", "-isystem",
                    os.path.join(lib.ROOT, "build", "kinc"), "-o", client,
                    os.path.join(lib.ROOT, "bench", "vmclient.c")],
                   check=True)
    files = {p: p for p in shared_libs(QEMU_GA)}
    files.update({QEMU_GA: QEMU_GA, "/bin/vmclient": client,
                  "/bin/onega-bench": lib.AGENT,
                  "/etc/onega-bench.conf": CONF,
                  "/var/qst/": b"", "/var/ost/": b""})
    disks = []
    if shutil.which("mkfs.ext4"):	# something real for fsinfo to list
        img = os.path.join(tmp, "disk.img")
        subprocess.run(["mkfs.ext4", "-q", "-F", img, "16M"], check=True,
                       stdout=subprocess.DEVNULL)
        disks = [{"path": img, "mount": "/mnt", "serial": "bench-disk"}]
    qargs = ["-netdev", "user,id=n0", "-device",
             "virtio-net-device,netdev=n0"]
    cmdline = ""
    if ICOUNT:		# 1 instruction = 1 ns, and a TSC to match
        qargs += ["-icount", "shift=0,sleep=on"]
        cmdline = "tsc_early_khz=1000000"
    return vmlib.VM(ports=[vmlib.QGA_PORT], extra_files=files, disks=disks,
                    qemu_args=qargs, cmdline=cmdline,
                    modules=["virtio_net"], memory=512, timeout=120)


def start_agents(g):
    pids = {}
    for who in ARGV:
        path, args, env = ARGV[who]
        pids[who] = g.start(path, args, env)
    st = g.run("/bin/vmclient", ["wait", "60"] + list(SOCK.values()))
    if st.get("exitcode") != 0:
        why = {w: g.status(p) for w, p in pids.items()}
        raise SystemExit("agents did not start in the guest: %s %s" % (
            st["err-data"], why))
    return pids


def measure(g):
    """{(who, what, key): [one value per round]}; N per command."""
    res, ns = {}, {}
    for cmd in CMDS:		# a short run of each picks N
        t = max(rtt(g, w, cmd, 20)[0] for w in AGENTS)
        ns[cmd] = n = max(20, int(SECONDS * 1e6 / t))
        who3 = AGENTS + FLOOR.get(cmd, ())
        for r in range(ROUNDS):	# alternating: same conditions for both
            for who in who3[::1 if r % 2 == 0 else -1]:
                fig = rtt(g, who, cmd, n)
                for key, v in zip(("rtt", "cpu", "sys"), fig):
                    res.setdefault((who, cmd, key), []).append(v)
                if r == 0 and VERBOSE:
                    print("%s %s: %s" % (who, cmd, fig[3]))
    for r in range(ROUNDS if FILE_MIB else 0):
        for who in AGENTS[::1 if r % 2 == 0 else -1]:
            out, _ = g.client(["file", SOCK[who], "/tmp/bench.dat",
                               str(FILE_MIB)])
            for d in ("write", "read"):
                res.setdefault((who, d, "ms"), []).append(
                    1000 / float(out[d]["mibs"]))
                res.setdefault((who, d, "cpu"), []).append(
                    float(out[d]["cpu_ms_mib"]))
    return res, ns


def report(res, ns, kver):
    med = statistics.median
    rows = []
    for cmd in CMDS:
        rows += [("%s round trip (us)" % cmd, (cmd, "rtt"), "%.0f"),
                 ("%s agent CPU (us)" % cmd, (cmd, "cpu"), "%.1f")]
    for d in ("write", "read") if FILE_MIB else ():
        rows += [("file %s time (ms/MiB)" % d, (d, "ms"), "%.1f"),
                 ("file %s agent CPU (ms/MiB)" % d, (d, "cpu"), "%.1f")]
    print("%-46s %12s %12s %10s" % ("", "qemu-ga", "onega", "ratio q/o"))
    for label, key, fmt in rows:
        q, o = (med(res[(w,) + key]) for w in AGENTS)
        print("%-46s %12s %12s %10s" % (label, fmt % q, fmt % o,
                                        "%.1fx" % (q / o) if o else "-"))
        if VERBOSE:
            print("    rounds: qemu-ga %s  onega %s" % tuple(
                " ".join(fmt % v for v in res[(w,) + key]) for w in AGENTS))
    if VERBOSE:		# clock-tick sampling: rough
        print("kernel share of agent CPU (stime/(utime+stime) ticks), "
              "qemu-ga/onega: " + ", ".join("%s %.0f/%.0f%%" % (
                  (c[6:],) + tuple(med(res[w, c, "sys"]) for w in AGENTS))
                  for c in CMDS))
    floors = []
    if ("echo", "guest-ping", "rtt") in res:
        floors.append("a minimal C server (poll+read+write) guest-ping "
                      "round trip %.0f us, CPU %.1f us" % (
                          med(res["echo", "guest-ping", "rtt"]),
                          med(res["echo", "guest-ping", "cpu"])))
    if ("netlink", "guest-network-get-interfaces", "cpu") in res:
        floors.append("getifaddrs()'s two rtnetlink dumps alone %.1f us CPU"
                      % med(res["netlink", "guest-network-get-interfaces",
                                "cpu"]))
    if floors:
        print("floors in the guest: " + "; ".join(floors))
    print("figures from INSIDE a TCG guest (QEMU microvm, 1 vCPU, guest "
          "kernel %s%s): median of %d rounds, agents alternating; N per "
          "run: %s; file: %d MiB per round in 4 MiB guest-file chunks; "
          "agent CPU = guest /proc/PID/schedstat" % (
              kver, ", -icount shift=0: times are virtual, 1 us = 1000 "
              "guest instructions" if ICOUNT else ", real time", ROUNDS,
              ", ".join("%s %d" % (c[6:], ns[c]) for c in CMDS), FILE_MIB))


def main():
    if not os.access(QEMU_GA, os.X_OK):
        print("SKIP bench_vm: %s not installed" % QEMU_GA)
        return 0
    why = vmlib.skip_reason() or (None if shutil.which("musl-gcc") else
                                  "musl-gcc missing (musl-tools)")
    if why:
        print("SKIP bench_vm: %s" % why)
        return 0
    tmp = tempfile.mkdtemp(prefix="onega-benchvm-")
    try:
        vm = boot(tmp)
        try:
            g = Guest(vm)
            start_agents(g)
            res, ns = measure(g)
        finally:
            vm.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(res, ns, vm.kernel.version)
    return 0


sys.exit(main())
