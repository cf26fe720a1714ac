"""onega as PID 1 of a real guest, over real virtio-serial (one boot).

Boots the Debian kernel + initramfs (/init = ./onega) under QEMU with the
three named ports and an ext4 disk, checks guest-ping and guest-info on the
qemu-ga port, what PID 1 set up (host name, lo, the disk mounted), that
PID 1 reaps an orphan (a static helper run with guest-exec),
the configuration file placed by vmlib, a host that disconnects in the
middle of a request and comes back (guest-sync-delimited resynchronises), a
host that leaves before reading its reply (stale output ends before the
sync reply),
and that guest-shutdown powers the guest off (QEMU exits 0 after the
kernel's "reboot: Power down").  A second short boot checks that PID 1
restarts an agent that exits with an error instead of panicking.
"""
import base64
import json
import os
import random
import shutil
import subprocess
import tempfile

import lib
import vmlib

t = lib.T()


def sync(c, n, lead=b"\xff"):
    """The qemu-ga client procedure (qemu-ga.md 2.6): the lines skipped
    before the 0xFF-prefixed reply, and that reply."""
    c.send_raw(lead + json.dumps({"execute": "guest-sync-delimited",
                                  "arguments": {"id": n}}).encode() + b"\n")
    skipped = []
    while True:
        line = c.read_line()
        if line.startswith(b"\xff"):
            return skipped, json.loads(line[1:])
        skipped.append(line)


# A static helper for the guest (it has no shell): the parent prints its
# child's pid and exits at once, so the child is re-parented to PID 1 and
# must be reaped there when it exits a moment later.
ORPHAN_C = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
	pid_t pid = fork();
	if (pid == 0) { close(1); close(2); usleep(300000); return 0; }
	printf("%d\n", (int)pid);
	return 0;
}
"""


def build_orphan(tmp):
    src = os.path.join(tmp, "orphan.c")
    out = os.path.join(tmp, "orphan")
    with open(src, "w") as f:
        f.write(ORPHAN_C)
    if shutil.which("musl-gcc") is None:
        return None
    r = subprocess.run(["musl-gcc", "-static", "-Os", "-o", out, src],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return out if r.returncode == 0 else None


def guest_read(c, path):
    """A small guest file through guest-file-*, or None."""
    r = c.cmd("guest-file-open", {"path": path})
    if "return" not in r:
        return None
    h = r["return"]
    r = c.cmd("guest-file-read", {"handle": h, "count": 4096})
    c.cmd("guest-file-close", {"handle": h})
    return base64.b64decode(r.get("return", {}).get("buf-b64", ""))


def reaping(c, cmds):
    """The agent is PID 1's child; PID 1 reaps an orphaned grandchild."""
    if not {"guest-exec", "guest-file-open"} <= set(cmds):
        t.ok("pid 1 reaps orphans", False, "guest-exec/guest-file-open "
             "not built in yet")
        return
    st = guest_read(c, "/proc/self/stat") or b""
    t.eq("the agent is PID 1's child", st.rsplit(b")", 1)[-1].split()[1:2],
         [b"1"])
    pid = c.cmd("guest-exec", {"path": "/bin/orphan",
                               "capture-output": True}).get("return", {})
    try:
        r = lib.wait_for(lambda: (lambda x: x if x.get("exited") else None)(
            c.cmd("guest-exec-status", pid).get("return", {})), 20,
            "the helper to exit")
        out = base64.b64decode(r.get("out-data", "")).decode().strip()
    except TimeoutError as e:
        r, out = str(e), None
    if not out or not out.isdigit():
        t.ok("pid 1 reaps orphans", False, "helper said %r" % (r,))
        return
    try:
        lib.wait_for(lambda: guest_read(c, "/proc/%s/stat" % out) is None,
                     20, "the orphan to be reaped")
        t.ok("pid 1 reaps orphans", True)
    except TimeoutError:
        t.ok("pid 1 reaps orphans", False, guest_read(
            c, "/proc/%s/stat" % out))


def pid1_duties(c):
    """What PID 1 set up, seen through the agent's own collectors."""
    r = c.cmd("guest-get-host-name")
    t.eq("pid 1 set the host name", r, {"return": {"host-name": "vmtest"}})
    r = c.cmd("guest-network-get-interfaces").get("return", [])
    addrs = [a.get("ip-address") for i in r for a in i.get("ip-addresses",
                                                          [])]
    t.ok("pid 1 brought lo up", "127.0.0.1" in addrs, r)
    r = c.cmd("guest-get-fsinfo").get("return", [])
    t.ok("pid 1 mounted the test disk (onega.boot.mount)",
         any(f.get("mountpoint") == "/data" and f.get("type") == "ext4"
             for f in r), r)


def main(tmp):
    conf = "[general]\nblock-rpcs=guest-sync\n"
    disks = []
    if shutil.which("mkfs.ext4"):
        img = os.path.join(tmp, "data.img")
        with open(img, "wb") as f:
            f.truncate(8 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
        disks = [{"path": img, "mount": "/data", "serial": "vmtest-data"}]
    files = {}
    orphan = build_orphan(tmp)
    if orphan:
        files["/bin/orphan"] = orphan
    with vmlib.VM(conf=conf, disks=disks, hostname="vmtest",
                  extra_files=files) as vm:
        t.ok("vm boots and answers (%s, %.1f s)" % (vm.accel,
                                                    vm.boot_seconds),
             vm.boot_seconds is not None)
        con = vm.console()
        t.ok("pid 1 loaded the modules, no panic", "Kernel panic" not in con
             and "finit_module" not in con, con[-800:])
        c = vm.qga()
        t.eq("guest-ping", c.cmd("guest-ping"), {"return": {}})
        info = c.cmd("guest-info").get("return", {})
        cmds = {x.get("name"): x for x in info.get("supported_commands",
                                                    [])}
        t.ok("guest-info lists commands", "guest-ping" in cmds and
             info.get("version"), info)
        t.ok("conf from the initramfs applies (guest-sync blocked)",
             cmds.get("guest-sync", {}).get("enabled") is False,
             cmds.get("guest-sync"))
        if disks:
            pid1_duties(c)
        if orphan:
            reaping(c, cmds)

        # Host goes away in the middle of a request, then reconnects.
        c.send_raw(b'{"execute": "guest-pi')
        c = vm.qga(new=True)
        n = random.randint(1, 1 << 30)
        skipped, r = sync(c, n)
        t.eq("reconnect after a half request: sync-delimited", r,
             {"return": n})
        t.ok("at most one error line before the sync reply",
             len(skipped) <= 1 and all(b'"error"' in x for x in skipped),
             skipped)
        t.eq("guest-ping after the reconnect", c.cmd("guest-ping"),
             {"return": {}})

        # Host sends a full request and leaves before reading the reply.
        c.send_raw(json.dumps({"execute": "guest-info"}) + "\n")
        c = vm.qga(new=True)
        n = random.randint(1, 1 << 30)
        skipped, r = sync(c, n, lead=b"")
        t.eq("reconnect after an unread reply: sync-delimited", r,
             {"return": n})
        # Whether the old reply was dropped or reaches the new host depends
        # on whether the guest saw the HUP (virtio-serial has no client
        # identity); either way it comes before the sync reply, never after.
        t.ok("stale output only before the sync reply",
             all(b"supported_commands" in x for x in skipped) and
             c.cmd("guest-ping") == {"return": {}}, skipped)

        # Several round trips on real virtio-serial, one client.
        ok = all(c.cmd("guest-ping", id=i) == {"return": {}, "id": i}
                 for i in range(50))
        t.ok("50 guest-ping round trips with ids", ok)

        if "guest-shutdown" not in cmds:
            t.ok("guest-shutdown powers the guest off", False,
                 "guest-shutdown is not in guest-info (not built in yet)")
            return
        try:
            code = vm.shutdown(60)
        except (TimeoutError, vmlib.VMError) as e:
            vm.dump("guest-shutdown")
            t.ok("guest-shutdown powers the guest off", False, e)
            return
        con = vm.console()
        t.ok("guest-shutdown powers the guest off", code == 0 and
             "reboot: Power down" in con, (code, con[-600:]))


def crash_restart():
    """PID 1 restarts an agent that dies (here: a config it rejects)."""
    with vmlib.VM(conf="[general]\nmethod=bogus\n", ready=False) as vm:
        try:
            lib.wait_for(lambda: vm.console().count(
                "agent exited with status") >= 2, 60, "two restarts")
            ok = True
        except TimeoutError:
            ok = False
        con = vm.console()
        t.ok("pid 1 restarts a dying agent, guest stays up",
             ok and vm.alive() and "Kernel panic" not in con, con[-600:])


why = vmlib.skip_reason()
if why:
    t.skip("vm boot", why)
else:
    tmpdir = tempfile.mkdtemp(prefix="onega-vmtest-")
    try:
        main(tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    crash_restart()
t.done()
