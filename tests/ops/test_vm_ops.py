"""fsfreeze, thaw, fstrim, exec, files, set-time and shutdown inside the
test VM (vm-testing.md, tests/vmlib.py) with a real ext4 disk built by
mkfs.ext4 -d and mounted at /mnt by onega's init: FIFREEZE really blocks a
writer until thaw, only freeze-safe commands pass meanwhile, and
guest-shutdown powers the VM off (qemu-ga.md 4.3, 4.4)."""
import base64
import os
import shutil
import subprocess
import tempfile
import time

import lib
import vmlib

t = lib.T()
MKFS = shutil.which("mkfs.ext4") or "/sbin/mkfs.ext4"
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
# The writer waits for the freeze marker, then tries to create a file on
# /mnt; its progress goes to the serial console, readable while frozen.
WRITER = ("while [ ! -e /run/qga.state.isfrozen ]; do busybox usleep 20000;"
          " done; busybox sleep 1; echo WRITER-START > /dev/console; "
          "echo data > /mnt/written; echo WRITER-DONE > /dev/console")


def desc(r):
    return r.get("error", {}).get("desc")


def until(cond, timeout):
    """True once cond() holds, False if timeout seconds pass first."""
    try:
        return lib.wait_for(cond, timeout)
    except TimeoutError:
        return False


def exec_wait(c, path, args, timeout=60):
    pid = c.cmd("guest-exec", path=path, arg=args,
                **{"capture-output": True})["return"]["pid"]
    box = {}

    def done():
        box["r"] = c.cmd("guest-exec-status", pid=pid)["return"]
        return box["r"]["exited"]
    lib.wait_for(done, timeout, "guest exec")
    return box["r"]


def main():
    why = vmlib.skip_reason()
    if why:
        t.skip("vm ops", why)
        return
    if not (os.access(MKFS, os.X_OK) and os.path.exists(BUSYBOX)):
        t.skip("vm ops", "mkfs.ext4 or a static busybox missing "
               "(apt-get install e2fsprogs busybox-static)")
        return
    tmp = tempfile.mkdtemp(prefix="onega-disk-")
    try:
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        with open(os.path.join(src, "hello.txt"), "w") as f:
            f.write("hello from ext4\n")
        img = os.path.join(tmp, "disk.img")
        subprocess.run([MKFS, "-q", "-F", "-d", src, img, "16M"],
                       check=True, stdout=subprocess.DEVNULL)
        run_vm(img)
        stale_marker(img)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_vm(img):
    conf = "[general]\nstatedir=/run\nfsfreeze-hook=/etc/qemu/hook\n"
    hook = (b"#!/bin/busybox sh\necho \"$1 $(busybox ls /mnt/written "
            b"2>/dev/null)\" >> /run/hook.log\n", 0o755)
    with vmlib.VM(disks=[{"path": img, "mount": "/mnt"}], conf=conf,
                  extra_files={"/bin/busybox": BUSYBOX,
                               "/etc/qemu/hook": hook}) as vm:
        c = vm.qga()
        h = c.cmd("guest-file-open", path="/mnt/hello.txt")["return"]
        r = c.cmd("guest-file-read", handle=h)["return"]
        t.eq("the ext4 disk is mounted", base64.b64decode(r["buf-b64"]),
             b"hello from ext4\n")
        c.cmd("guest-file-close", handle=h)
        r = exec_wait(c, "/bin/busybox", ["echo", "hi"])
        t.eq("guest-exec in the guest", r.get("out-data"),
             base64.b64encode(b"hi\n").decode())
        r = c.cmd("guest-fstrim")["return"]["paths"]
        mnt = [p for p in r if p["path"] == "/mnt"]
        t.ok("fstrim has a result for /mnt", len(mnt) == 1 and (
            "trimmed" in mnt[0] or "error" in mnt[0]), r)
        # set-time writes the RTC (RTC_SET_TIME); without a time it reads
        # it back (RTC_RD_TIME): 2030 goes to the RTC and comes back.
        y2030 = 1893456000 * 10**9
        t.eq("set-time 2030", c.cmd("guest-set-time", time=y2030),
             {"return": {}})
        t.eq("set-time from the RTC", c.cmd("guest-set-time"),
             {"return": {}})
        got = c.cmd("guest-get-time")["return"]
        t.ok("the RTC held 2030", abs(got - y2030) < 3600 * 10**9, got)
        t.eq("set-time back to now", c.cmd("guest-set-time",
                                           time=time.time_ns()),
             {"return": {}})
        t.eq("status before", c.cmd("guest-fsfreeze-status"),
             {"return": "thawed"})
        c.cmd("guest-exec", path="/bin/busybox", arg=["sh", "-c", WRITER])
        n = c.cmd("guest-fsfreeze-freeze")
        t.eq("freeze: one filesystem (/mnt)", n, {"return": 1})
        t.eq("status frozen", c.cmd("guest-fsfreeze-status"),
             {"return": "frozen"})
        t.eq("exec refused while frozen", c.cmd(
            "guest-exec", path="/bin/busybox").get("error", {}).get(
            "class"), "CommandNotFound")
        lib.wait_for(lambda: "WRITER-START" in vm.console(), 60,
                     "the writer to start")
        t.ok("the write blocks while frozen (no WRITER-DONE while the "
             "agent answers 20 pings)", all(
                 c.cmd("guest-ping") == {"return": {}} and
                 "WRITER-DONE" not in vm.console() for i in range(20)),
             vm.console()[-300:])
        t.eq("thaw", c.cmd("guest-fsfreeze-thaw"), {"return": 1})
        t.ok("the write completed after thaw", until(
            lambda: "WRITER-DONE" in vm.console(), 60), vm.console()[-300:])
        h = c.cmd("guest-file-open", path="/mnt/written")["return"]
        t.eq("written data", c.cmd("guest-file-read", handle=h)[
            "return"]["buf-b64"], base64.b64encode(b"data\n").decode())
        c.cmd("guest-file-close", handle=h)
        t.eq("freeze-list /mnt", c.cmd("guest-fsfreeze-freeze-list",
                                       mountpoints=["/mnt"]),
             {"return": 1})
        t.eq("thaw again", c.cmd("guest-fsfreeze-thaw"), {"return": 1})
        t.eq("thaw when thawed", c.cmd("guest-fsfreeze-thaw"),
             {"return": 0})
        h = c.cmd("guest-file-open", path="/run/hook.log")["return"]
        log = base64.b64decode(c.cmd("guest-file-read", handle=h)[
            "return"]["buf-b64"]).decode().split("\n")
        t.eq("the hook ran before each freeze and after each thaw",
             [x.split(" ")[0] for x in log if x],
             ["freeze", "thaw", "freeze", "thaw", "thaw"])
        # The writer waits for the frozen state, so the first hook saw no
        # file: the hook runs before the frozen state is entered.
        t.eq("hook before the frozen state", log[0], "freeze ")
        code = vm.shutdown()
        t.eq("guest-shutdown powers the VM off (QEMU exit 0)", code, 0)
        t.ok("clean power-off", "reboot: Power down" in vm.console(),
             vm.console()[-300:])


def stale_marker(img):
    """A marker left from an earlier boot in a persistent state dir: the
    agent probes the kernel, finds /mnt not frozen, and drops it."""
    conf = "[general]\nstatedir=/var/lib/onega\n"
    with vmlib.VM(disks=[{"path": img, "mount": "/mnt"}], conf=conf,
                  extra_files={"/var/lib/onega/qga.state.isfrozen": b""}
                  ) as vm:
        c = vm.qga()
        t.eq("stale marker: status thawed after boot",
             c.cmd("guest-fsfreeze-status"), {"return": "thawed"})
        r = c.cmd("guest-file-open",
                  path="/var/lib/onega/qga.state.isfrozen")
        t.ok("stale marker removed", "error" in r, r)
        t.eq("commands not filtered", c.cmd("guest-exec-status", pid=1)[
            "error"]["class"], "GenericError")
        vm.kill()


main()
t.done()
