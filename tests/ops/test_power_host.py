"""guest-shutdown and guest-suspend-* on the host, safely: every command
they may run lives in a scratch root (VERBS_ROOT) as a script that only
records its arguments, and without one onega refuses (never reboot(2)
under a test root).  No reply on success, qemu-ga's errors otherwise
(qemu-ga.md 4.4).  The real power-off is tests/ops/test_vm_ops.py."""
import os
import shutil
import tempfile

import lib

t = lib.T()
base = tempfile.mkdtemp(prefix="onega-pw-")
root = os.path.join(base, "root")
os.makedirs(os.path.join(root, "sbin"))
log = os.path.join(base, "calls")


def script(name, code=0):
    p = os.path.join(root, "sbin", name)
    with open(p, "w") as f:
        f.write("#!/bin/sh\necho \"%s $*\" >> %s\nexit %d\n" % (name, log,
                                                                code))
    os.chmod(p, 0o755)


def calls():
    try:
        with open(log) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def desc(r):
    return r.get("error", {}).get("desc")


assert os.path.isdir(root)
script("poweroff")
script("shutdown")
script("reboot", 1)
with lib.Agent(env={"VERBS_ROOT": root}) as a:
    c = a.qga()
    c.send_raw('{"execute":"guest-shutdown"}\n')
    t.eq("powerdown: next reply is the ping's (no reply to shutdown)",
         c.cmd("guest-ping"), {"return": {}})
    t.eq("powerdown ran /sbin/poweroff", calls(), ["poweroff "])
    c.send_raw('{"execute":"guest-shutdown","arguments":{"mode":"halt"}}\n')
    t.eq("halt: no reply", c.cmd("guest-ping"), {"return": {}})
    t.eq("halt without /sbin/halt: shutdown -h -H +0",
         calls()[-1], "shutdown -h -H +0 hypervisor initiated shutdown")
    t.eq("failing command", desc(c.cmd("guest-shutdown", mode="reboot")),
         "child process has failed to shutdown")
    t.eq("bad mode", desc(c.cmd("guest-shutdown", mode="off")),
         "mode is invalid (valid values are: halt|powerdown|reboot")
    t.eq("suspend without support", desc(c.cmd("guest-suspend-ram")),
         "the requested suspend mode is not supported by the guest")
    t.eq("hybrid without support", desc(c.cmd("guest-suspend-hybrid")),
         "the requested suspend mode is not supported by the guest")
    info = {x["name"]: x for x in
            c.cmd("guest-info")["return"]["supported_commands"]}
    t.ok("guest-info: success-response false for the four",
         all(info[n]["success-response"] is False for n in (
             "guest-shutdown", "guest-suspend-disk", "guest-suspend-ram",
             "guest-suspend-hybrid")), info.get("guest-shutdown"))

os.unlink(os.path.join(root, "sbin", "shutdown"))
os.unlink(os.path.join(root, "sbin", "reboot"))
with lib.Agent(env={"VERBS_ROOT": root}) as a:
    c = a.qga()
    t.eq("no command under a test root: refused, not reboot(2)",
         desc(c.cmd("guest-shutdown", mode="reboot")),
         "this feature or command is not currently supported")
shutil.rmtree(base, ignore_errors=True)
t.done()
