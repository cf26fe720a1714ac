"""fsfreeze on the host, safely: the mount list comes from a scratch root
(VERBS_ROOT) holding only a tmpfs, so nothing real is ever frozen.  Checks
the hook (-F: order, arguments, failures), freeze-list, thaw, and the frozen
state restored from the marker at start-up: only freeze-safe commands, log
lines held back, SIGTERM deferred until thaw, the fsfreeze-timeout watchdog
(qemu-ga.md 4.3).  Real FIFREEZE on ext4 is tests/ops/test_vm_ops.py."""
import os
import signal
import stat
import tempfile

import lib

t = lib.T()

base = tempfile.mkdtemp(prefix="onega-fz-")
root = os.path.join(base, "root")
os.makedirs(os.path.join(root, "proc/self"))
with open(os.path.join(root, "proc/self/mountinfo"), "w") as f:
    f.write("30 1 0:40 / /run/fake rw - tmpfs tmpfs rw\n")
hooklog = os.path.join(base, "hook.log")
hook = os.path.join(base, "hook")
with open(hook, "w") as f:
    f.write("#!/bin/sh\necho \"$1\" >> %s\n"
            "[ -e %s/fail-$1 ] && exit 3\nexit 0\n" % (hooklog, base))
os.chmod(hook, 0o755)
ENV = {"VERBS_ROOT": root}


def desc(r):
    return r.get("error", {}).get("desc")


def hook_calls():
    try:
        with open(hooklog) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


with lib.Agent(args=["-F" + hook], env=ENV) as a:
    c = a.qga()
    t.eq("status thawed", c.cmd("guest-fsfreeze-status"),
         {"return": "thawed"})
    r = c.cmd("guest-fsfreeze-freeze-list", mountpoints=["/nonexistent"])
    t.eq("freeze-list of an unknown mount: 0", r, {"return": 0})
    t.eq("hook ran with 'freeze'", hook_calls(), ["freeze"])
    t.eq("count 0 leaves the frozen state", c.cmd("guest-fsfreeze-status"),
         {"return": "thawed"})
    t.eq("thaw with nothing frozen", c.cmd("guest-fsfreeze-thaw"),
         {"return": 0})
    t.eq("hook ran with 'thaw'", hook_calls(), ["freeze", "thaw"])
    open(os.path.join(base, "fail-freeze"), "w").close()
    r = c.cmd("guest-fsfreeze-freeze-list", mountpoints=["/nonexistent"])
    t.eq("failing hook aborts the freeze", desc(r),
         "fsfreeze hook has failed with status 3")
    t.eq("still thawed", c.cmd("guest-fsfreeze-status"),
         {"return": "thawed"})
    t.eq("mountpoints of the wrong type", desc(c.cmd(
        "guest-fsfreeze-freeze-list", mountpoints=["/", 3])),
        "Invalid parameter type for 'mountpoints[1]', expected: string")
    t.ok("no marker left", not os.path.exists(
        os.path.join(a.statedir, "qga.state.isfrozen")))

with lib.Agent(args=["-F" + os.path.join(base, "missing-hook")],
               env=ENV) as a:
    c = a.qga()
    t.eq("hook missing", desc(c.cmd("guest-fsfreeze-freeze-list",
                                    mountpoints=["/nonexistent"])),
         "can't access fsfreeze hook '%s': No such file or directory"
         % os.path.join(base, "missing-hook"))

# A marker from an earlier run: the agent starts frozen.
logf = os.path.join(base, "agent.log")
st = tempfile.mkdtemp(prefix="onega-st-")
open(os.path.join(st, "qga.state.isfrozen"), "w").close()
with lib.Agent(args=["-v", "-l", logf, "-t", st], env=ENV) as a:
    c = a.qga()
    t.eq("restarted frozen", c.cmd("guest-fsfreeze-status"),
         {"return": "frozen"})
    r = c.cmd("guest-file-open", path="/etc/hostname")
    t.eq("non-freeze-safe command refused", r, {"error": {
        "class": "CommandNotFound", "desc": "Command guest-file-open has "
        "been disabled: the agent is in frozen state"}})
    info = {x["name"]: x["enabled"] for x in
            c.cmd("guest-info")["return"]["supported_commands"]}
    t.ok("guest-info: freeze-safe enabled, others not",
         info["guest-fsfreeze-thaw"] and info["guest-ping"] and
         not info["guest-exec"] and not info["guest-fsfreeze-freeze"], info)
    size = os.path.getsize(logf)
    for i in range(5):
        c.cmd("guest-ping")
    t.eq("no log written while frozen", os.path.getsize(logf), size)
    a.p.send_signal(signal.SIGTERM)
    t.eq("SIGTERM deferred while frozen", c.cmd("guest-ping"),
         {"return": {}})
    t.ok("still running", a.alive())
    t.eq("thaw", c.cmd("guest-fsfreeze-thaw"), {"return": 0})
    lib.wait_for(lambda: not a.alive(), 10, "exit after thaw")
    t.eq("exits 0 once thawed", a.p.returncode, 0)
    t.ok("marker removed", not os.path.exists(
        os.path.join(st, "qga.state.isfrozen")))
    t.ok("held log lines written after thaw",
         os.path.getsize(logf) > size)

# The watchdog thaws on its own.
open(os.path.join(st, "qga.state.isfrozen"), "w").close()
with lib.Agent(args=["-t", st], env=ENV,
               conf="[general]\nfsfreeze-timeout=1\n[ovirt]\nenabled=false\n"
               "[spice]\nenabled=false\n") as a:
    c = a.qga()
    t.eq("frozen at start", c.cmd("guest-fsfreeze-status"),
         {"return": "frozen"})
    lib.wait_for(lambda: c.cmd("guest-fsfreeze-status")["return"] ==
                 "thawed", 20, "watchdog thaw")
    t.ok("watchdog thawed and removed the marker", not os.path.exists(
        os.path.join(st, "qga.state.isfrozen")))
    t.ok("watchdog logged", "fsfreeze watchdog" in a.stderr(), a.stderr())
import shutil
shutil.rmtree(base, ignore_errors=True)
shutil.rmtree(st, ignore_errors=True)
t.done()
