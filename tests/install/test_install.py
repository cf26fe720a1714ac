"""onega install / uninstall into scratch roots: systemd, OpenRC, sysvinit
and busybox layouts, idempotence, exact removal, refusal where another agent
owns a port (installed and enabled, or a port held open)."""
import os
import shutil
import subprocess
import tempfile

import lib

t = lib.T()
tmp = tempfile.mkdtemp(prefix="onega-inst-")
with open(lib.AGENT, "rb") as f:
    AGENT_BYTES = f.read()


def run(*args):
    p = subprocess.run([lib.AGENT] + list(args), capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def snapshot(root):
    """Every path with its type, mode and content (or link target)."""
    snap = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                snap[rel] = ("l", os.readlink(p))
            elif os.path.isdir(p):
                snap[rel] = ("d", st.st_mode & 0o7777)
            else:
                with open(p, "rb") as f:
                    snap[rel] = ("f", st.st_mode & 0o7777, f.read())
    return snap


def make_root(name, files=(), links=(), dirs=()):
    root = os.path.join(tmp, name)
    os.makedirs(root)
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for path, text in dict(files).items():
        p = os.path.join(root, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    for path, target in dict(links).items():
        p = os.path.join(root, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)
    return root


def read(root, path):
    with open(os.path.join(root, path.lstrip("/"))) as f:
        return f.read()


def cycle(name, root, expect_files, expect_init):
    """install, install again, uninstall: checks common to every layout."""
    before = snapshot(root)
    rc, out, err = run("install", "--root", root)
    t.ok("%s-install" % name, rc == 0 and "%s init" % expect_init in out,
         (rc, out, err))
    st = os.stat(os.path.join(root, "usr/sbin/onega"))
    with open(os.path.join(root, "usr/sbin/onega"), "rb") as f:
        t.ok("%s-binary" % name, f.read() == AGENT_BYTES and
             st.st_mode & 0o777 == 0o755, oct(st.st_mode))
    t.ok("%s-config" % name, "[general]" in read(root, "etc/onega.conf"),
         "no [general]")
    missing = [p for p in expect_files
               if not os.path.lexists(os.path.join(root, p.lstrip("/")))]
    t.ok("%s-files" % name, not missing, "missing %s" % missing)
    t.ok("%s-no-temp-files" % name, not [p for p in snapshot(root)
                                         if p.endswith(".onega-new")], "")
    after = snapshot(root)
    rc, out, err = run("install", "--root", root)
    t.ok("%s-idempotent" % name, rc == 0 and snapshot(root) == after and
         "wrote" not in out, (rc, out, err))
    rc, out, err = run("uninstall", "--root", root)
    t.ok("%s-uninstall-exact" % name, rc == 0 and snapshot(root) == before,
         (rc, out, err, set(snapshot(root)) ^ set(before)))


# ---- systemd --------------------------------------------------------------
root = make_root("systemd", files={"usr/lib/systemd/systemd": ""},
                 links={"sbin/init": "../usr/lib/systemd/systemd"},
                 dirs=["etc/systemd/system", "usr/sbin"])
rc, out, err = run("install", "--root", root, "--no-start")
unit = read(root, "/etc/systemd/system/onega.service")
rules = read(root, "/etc/udev/rules.d/60-onega.rules")
t.ok("systemd-unit", "ExecStart=/usr/sbin/onega -c /etc/onega.conf" in unit
     and "After=dev-virtio\\x2dports-org.qemu.guest_agent.0.device" in unit
     and "Restart=always" in unit, unit)
t.ok("systemd-udev-rule", 'SUBSYSTEM=="virtio-ports", ATTR{name}=="org.qemu.'
     'guest_agent.0", TAG+="systemd", ENV{SYSTEMD_WANTS}+="onega.service"'
     in rules and "com.redhat.spice.0" in rules and
     "ovirt-guest-agent.0" in rules, rules)
run("uninstall", "--root", root)
cycle("systemd", root, ["/etc/systemd/system/onega.service",
                        "/etc/udev/rules.d/60-onega.rules",
                        "/var/lib/onega/install.manifest"], "systemd")

# ---- OpenRC ---------------------------------------------------------------
root = make_root("openrc", files={"sbin/openrc-run": "", "etc/inittab": ""},
                 dirs=["etc/init.d", "etc/runlevels/default"])
cycle("openrc", root, ["/etc/init.d/onega", "/etc/runlevels/default/onega"],
      "openrc")
run("install", "--root", root)
t.ok("openrc-script", read(root, "etc/init.d/onega").startswith(
    "#!/sbin/openrc-run\n") and os.readlink(os.path.join(
        root, "etc/runlevels/default/onega")) == "/etc/init.d/onega", "")
run("uninstall", "--root", root)

# ---- sysvinit --------------------------------------------------------------
root = make_root("sysv", files={"sbin/init": "ELF", "etc/inittab":
                                "id:2:initdefault:\n"},
                 dirs=["etc/init.d", "etc/rc2.d", "etc/rc0.d"])
cycle("sysv", root, ["/etc/init.d/onega", "/etc/rc2.d/S01onega",
                     "/etc/rc5.d/S01onega", "/etc/rc6.d/K01onega"], "sysv")
run("install", "--root", root)
s = read(root, "etc/init.d/onega")
t.ok("sysv-script", "# Provides:          onega" in s and
     "start-stop-daemon --start" in s and os.readlink(os.path.join(
         root, "etc/rc2.d/S01onega")) == "../init.d/onega" and
     os.stat(os.path.join(root, "etc/init.d/onega")).st_mode & 0o111, s)
run("uninstall", "--root", root)

# ---- busybox init ------------------------------------------------------------
inittab = "::sysinit:/etc/init.d/rcS\n::respawn:/sbin/getty 38400 tty1"
root = make_root("busybox", files={"bin/busybox": "ELF", "etc/inittab":
                                   inittab},
                 links={"sbin/init": "/bin/busybox"})
cycle("busybox", root, ["/etc/inittab"], "busybox")
run("install", "--root", root)
t.eq("busybox-inittab-line", read(root, "etc/inittab"),
     inittab + "\n::respawn:/usr/sbin/onega -c /etc/onega.conf\n")
with open(os.path.join(root, "etc/inittab"), "a") as f:
    f.write("::shutdown:/bin/umount -a -r\n")	# admin edits after install
run("uninstall", "--root", root)
t.eq("busybox-inittab-restored", read(root, "etc/inittab"),
     inittab + "\n::shutdown:/bin/umount -a -r\n")

# ---- config the admin owns or changed ---------------------------------------
root = make_root("conf", files={"usr/lib/systemd/systemd": "",
                                "etc/onega.conf": "[general]\nverbose=1\n"})
run("install", "--root", root)
run("uninstall", "--root", root)
t.eq("conf-preexisting-kept", read(root, "etc/onega.conf"),
     "[general]\nverbose=1\n")
os.unlink(os.path.join(root, "etc/onega.conf"))
run("install", "--root", root)
with open(os.path.join(root, "etc/onega.conf"), "a") as f:
    f.write("[spice]\nenabled=false\n")
rc, out, err = run("uninstall", "--root", root)
t.ok("conf-changed-kept", rc == 0 and "kept /etc/onega.conf" in out and
     read(root, "etc/onega.conf").endswith("[spice]\nenabled=false\n") and
     not os.path.exists(os.path.join(root, "usr/sbin/onega")),
     (rc, out, err))

# ---- refusals ----------------------------------------------------------------
root = make_root("qga", files={
    "usr/lib/systemd/systemd": "", "usr/sbin/qemu-ga": "ELF",
    "lib/udev/rules.d/60-qemu-guest-agent.rules": "SUBSYSTEM==..."})
before = snapshot(root)
rc, out, err = run("install", "--root", root)
t.ok("refuse-qemu-guest-agent", rc == 1 and "qemu-guest-agent is installed "
     "and enabled" in err and "nothing written" in err and
     snapshot(root) == before, (rc, out, err))
os.makedirs(os.path.join(root, "etc/systemd/system"))
os.symlink("/dev/null", os.path.join(
    root, "etc/systemd/system/qemu-guest-agent.service"))
rc, out, err = run("install", "--root", root)
t.ok("masked-qemu-guest-agent-ok", rc == 0, (rc, out, err))

root = make_root("vdagent", files={
    "sbin/init": "ELF", "usr/sbin/spice-vdagentd": "ELF",
    "etc/init.d/spice-vdagent": "#!/bin/sh\n"},
    links={"etc/rc2.d/S01spice-vdagent": "../init.d/spice-vdagent"})
before = snapshot(root)
rc, out, err = run("install", "--root", root)
t.ok("refuse-spice-vdagent-sysv", rc == 1 and "spice-vdagent" in err and
     snapshot(root) == before, (rc, out, err))
with open(os.path.join(root, "etc/onega.conf"), "w") as f:
    f.write("[spice]\nenabled=false\n")
rc, out, err = run("install", "--root", root)
t.ok("spice-disabled-coexists", rc == 0, (rc, out, err))
run("uninstall", "--root", root)

root = make_root("disabled", files={
    "sbin/init": "ELF", "usr/sbin/qemu-ga": "ELF",
    "etc/init.d/qemu-guest-agent": "#!/bin/sh\n"},
    links={"etc/rc2.d/K01qemu-guest-agent": "../init.d/qemu-guest-agent"})
rc, out, err = run("install", "--root", root)
t.ok("installed-but-disabled-ok", rc == 0, (rc, out, err))

root = make_root("held", files={
    "usr/lib/systemd/systemd": "",
    "sys/class/virtio-ports/vport1p1/name": "org.qemu.guest_agent.0\n",
    "sys/class/virtio-ports/vport1p2/name": "com.redhat.spice.0\n",
    "dev/vport1p1": "", "dev/vport1p2": ""})
before = snapshot(root)
with open(os.path.join(root, "dev/vport1p1"), "rb"):	# another agent
    rc, out, err = run("install", "--root", root)
t.ok("refuse-held-port", rc == 1 and "org.qemu.guest_agent.0" in err and
     "held by process %d" % os.getpid() in err and snapshot(root) == before,
     (rc, out, err))
rc, out, err = run("install", "--root", root)
t.ok("port-released-ok", rc == 0, (rc, out, err))
rc, out, err = run("uninstall", "--root", root)
t.ok("held-uninstall-exact", rc == 0 and snapshot(root) == before,
     set(snapshot(root)) ^ set(before))

with open(os.path.join(root, "dev/vport1p1"), "rb"):
    rc, out, err = run("install", "--root", root, "--force")
t.ok("force-installs", rc == 0, (rc, out, err))
run("uninstall", "--root", root)

# ---- usage and nothing to uninstall --------------------------------------
root = make_root("empty", dirs=["etc/init.d"])
before = snapshot(root)
rc, out, err = run("uninstall", "--root", root)
t.ok("uninstall-nothing", rc == 1 and "nothing removed" in err and
     snapshot(root) == before, (rc, out, err))
rc, out, err = run("install", "--root", root, "--init", "upstart")
t.ok("unknown-init-100", rc == 100 and snapshot(root) == before, (rc, err))
rc, out, err = run("install", "--root", os.path.join(tmp, "nonexistent"))
t.ok("missing-root-100", rc == 100, (rc, err))
rc, out, err = run("install", "--root", root, "--init", "openrc")
t.ok("init-override", rc == 0 and "openrc init" in out and os.path.lexists(
    os.path.join(root, "etc/runlevels/default/onega")), (rc, out, err))
rc, out, err = run("install", "--help")
t.ok("help", rc == 0 and "--root" in out and "--force" in out, (rc, out))

shutil.rmtree(tmp)
t.done()
