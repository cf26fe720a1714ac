"""The distribution hooks in initramfs/, run against scratch directories.

initramfs-tools: the hook runs with DESTDIR and a hook-functions file that
mocks copy_exec/manual_add_modules/copy_file the way initramfs-tools defines
them (copy into DESTDIR); init-top and init-bottom run with their absolute
paths pointed into a scratch root.  dracut: module-setup.sh is sourced in
bash with dracut's install functions mocked, and check/install/
installkernel are called as dracut does.
"""
import os
import shutil
import subprocess
import tempfile

import lib

ROOT = lib.ROOT
IT = os.path.join(ROOT, "initramfs", "initramfs-tools")
DR = os.path.join(ROOT, "initramfs", "dracut", "99onega")

MOCK_HOOK_FUNCTIONS = r'''
# as /usr/share/initramfs-tools/hook-functions: copy into $DESTDIR
copy_file() {
	echo "copy_file $*" >> "$CALLS"
	src=$2; dst=${3:-$2}
	mkdir -p "$DESTDIR/$(dirname "$dst")" && cp "$src" "$DESTDIR/$dst"
}
copy_exec() {
	echo "copy_exec $*" >> "$CALLS"
	dst=${2:-$1}
	mkdir -p "$DESTDIR/$(dirname "$dst")" && cp "$1" "$DESTDIR/$dst"
}
manual_add_modules() {
	echo "manual_add_modules $*" >> "$CALLS"
}
'''

MOCK_DRACUT = r'''
inst_binary() { echo "inst_binary $*" >> "$CALLS"; }
inst_simple() { echo "inst_simple $*" >> "$CALLS"; }
inst_hook() { echo "inst_hook $1 $2 $(basename "$3")" >> "$CALLS"; [ -f "$3" ] || echo "missing $3" >> "$CALLS"; }
instmods() { echo "instmods $* hostonly=$hostonly" >> "$CALLS"; }
dracut_module_included() { [ "$1" = "$WITH" ]; }
SYSTEMCTL=systemctl_mock
systemctl_mock() { echo "systemctl $*" >> "$CALLS"; }
systemdsystemunitdir=/usr/lib/systemd/system
moddir=%s
initdir=/scratch/initdir
. %s/module-setup.sh
'''


def itools_hook_functions():
    """initramfs-tools' real hook-functions, from its .deb (cached in
    build/vm-cache; installing the package would pull in systemd-sysv)."""
    cache = os.path.join(ROOT, "build", "vm-cache", "initramfs-tools")
    hf = os.path.join(cache, "usr/share/initramfs-tools/hook-functions")
    if os.path.exists(hf):
        return hf
    os.makedirs(cache, exist_ok=True)
    subprocess.run(["apt-get", "download", "initramfs-tools-core"],
                   cwd=cache, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    debs = [f for f in os.listdir(cache) if f.endswith(".deb")]
    if debs:
        subprocess.run(["dpkg-deb", "-x", os.path.join(cache, debs[0]),
                        cache], stderr=subprocess.DEVNULL)
    return hf if os.path.exists(hf) else None


def calls(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def sh(script, env, shell="sh", args=()):
    e = dict(os.environ)
    e.update(env)
    return subprocess.run([shell, script] + list(args), env=e,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=30)


def scratch_copy(src, tmp, subst):
    """The script with its absolute paths pointed into the scratch dir."""
    with open(src) as f:
        text = f.read()
    for a, b in subst:
        text = text.replace(a, b)
    dst = os.path.join(tmp, os.path.basename(os.path.dirname(src)) + "-" +
                       os.path.basename(src))
    with open(dst, "w") as f:
        f.write(text)
    return dst


def test_itools_hook(t, tmp):
    hf = os.path.join(tmp, "hook-functions")
    real = itools_hook_functions()
    with open(hf, "w") as f:
        f.write(MOCK_HOOK_FUNCTIONS)
        if real:	# real copy_exec/copy_file; modules need a kernel tree
            f.write('. %s\nmanual_add_modules() { echo "manual_add_modules '
                    '$*" >> "$CALLS"; }\n' % real)
    kind = "real" if real else "mock"
    hook = scratch_copy(os.path.join(IT, "hooks", "onega"), tmp,
                        [("/usr/share/initramfs-tools/hook-functions", hf)])
    r = sh(hook, {}, args=["prereqs"])
    t.eq("itools hook prereqs", (r.returncode, r.stdout.strip()), (0, ""))

    binary = os.path.join(tmp, "onega-bin")
    stand_in = b"\x7fELF static onega stand-in"
    if os.path.exists(lib.AGENT):
        with open(lib.AGENT, "rb") as f:
            stand_in = f.read()
    with open(binary, "wb") as f:
        f.write(stand_in)
    os.chmod(binary, 0o755)
    dest = os.path.join(tmp, "destdir")
    os.mkdir(dest)
    log = os.path.join(tmp, "calls")
    r = sh(hook, {"DESTDIR": dest, "CALLS": log, "ONEGA_BIN": binary,
                  "verbose": "n"})
    c = calls(log)
    t.eq("itools hook exit", (r.returncode, r.stderr), (0, ""))
    t.ok("itools hook adds virtio_console",
         "manual_add_modules virtio_console" in c, c)
    # Real copy_file puts /sbin/X at /usr/sbin/X (usr-merged initramfs,
    # where /sbin links to usr/sbin).
    files = sorted(os.path.relpath(os.path.join(d, f), dest)
                   for d, _, fs in os.walk(dest) for f in fs)
    want = ["usr/sbin/onega"] if real else ["sbin/onega"]
    t.eq("itools DESTDIR: the binary and no libraries (%s hook-functions)"
         % kind, files, want)
    p = os.path.join(dest, want[0])
    t.ok("itools the copy is onega, executable",
         os.path.isfile(p) and os.access(p, os.X_OK) and
         open(p, "rb").read() == stand_in, files)

    dest2 = os.path.join(tmp, "destdir2")
    os.mkdir(dest2)
    log2 = os.path.join(tmp, "calls2")
    r = sh(hook, {"DESTDIR": dest2, "CALLS": log2,
                  "ONEGA_BIN": os.path.join(tmp, "nope"),
                  "PATH": "/usr/bin:/bin"})
    if any(os.access(p, os.X_OK) for p in (
            "/usr/sbin/onega", "/usr/local/sbin/onega", "/usr/bin/onega",
            "/sbin/onega")):
        return		# installed on this machine: nothing to check here
    t.ok("itools hook without onega: no-op with a warning",
         r.returncode == 0 and calls(log2) == [] and "not found" in r.stderr,
         (r.returncode, calls(log2), r.stderr))


def test_itools_scripts(t, tmp):
    root = os.path.join(tmp, "root")
    run = os.path.join(root, "run")
    os.makedirs(run)
    cmdline = os.path.join(root, "cmdline")
    argv_log = os.path.join(root, "onega.argv")
    stub = os.path.join(root, "onega")
    # Stands in for onega -d: records argv, leaves a daemon, writes -f PID.
    with open(stub, "w") as f:
        f.write('#!/bin/sh\necho "$*" > %s\n'
                'while [ $# -gt 0 ]; do [ "$1" = -f ] && pf=$2; shift; done\n'
                'sleep 60 >/dev/null 2>&1 </dev/null & echo $! > "$pf"\n' % argv_log)
    os.chmod(stub, 0o755)
    bindir = os.path.join(root, "bin")
    os.mkdir(bindir)
    with open(os.path.join(bindir, "modprobe"), "w") as f:
        f.write("#!/bin/sh\necho \"$*\" >> %s/modprobe.log\n" % root)
    os.chmod(os.path.join(bindir, "modprobe"), 0o755)
    subst = [("/sbin/onega", stub), ("/run/onega", run + "/onega"),
             ("/proc/cmdline", cmdline)]
    top = scratch_copy(os.path.join(IT, "scripts", "init-top", "onega"),
                       tmp, subst)
    bottom = scratch_copy(os.path.join(IT, "scripts", "init-bottom",
                                       "onega"), tmp, subst)
    env = {"PATH": bindir + ":" + os.environ["PATH"]}
    r = sh(top, env, args=["prereqs"])
    t.eq("itools init-top prereqs", r.stdout.strip(), "udev")

    with open(cmdline, "w") as f:
        f.write("root=/dev/vda1 quiet onega.initramfs=0\n")
    r = sh(top, env)
    t.ok("itools init-top honours onega.initramfs=0",
         r.returncode == 0 and not os.path.exists(argv_log), r.stderr)

    with open(cmdline, "w") as f:
        f.write("root=/dev/vda1 quiet\n")
    r = sh(top, env)
    argv = open(argv_log).read().split() if os.path.exists(argv_log) else []
    t.ok("itools init-top starts onega -d with a pidfile",
         r.returncode == 0 and "-d" in argv and "-f" in argv, (r, argv))
    with open(os.path.join(root, "modprobe.log")) as f:
        t.ok("itools init-top loads virtio_console",
             "virtio_console" in f.read())
    pidfile = os.path.join(run, "onega", "initramfs.pid")
    pid = int(open(pidfile).read())
    t.ok("itools daemon running", os.path.exists("/proc/%d" % pid))
    r = sh(bottom, env)
    try:
        # The stub's sleep is our grandchild: reap it if it was ours.
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass

    def gone():
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().split(")")[-1].split()[0] == "Z"
        except OSError:
            return True
    t.ok("itools init-bottom stops it", r.returncode == 0 and
         lib.wait_for(gone, 5, "daemon exit") and
         not os.path.exists(pidfile), r.stderr)


def test_dracut(t, tmp):
    binary = os.path.join(tmp, "onega-bin")
    with open(binary, "wb") as f:
        f.write(b"\x7fELF")
    os.chmod(binary, 0o755)
    prelude = os.path.join(tmp, "dracut-mock.sh")
    with open(prelude, "w") as f:
        f.write(MOCK_DRACUT % (DR, DR))

    def run(body, with_systemd=False, onega=binary):
        log = os.path.join(tmp, "dcalls")
        if os.path.exists(log):
            os.unlink(log)
        script = os.path.join(tmp, "d.sh")
        with open(script, "w") as f:
            f.write(". %s\n%s\n" % (prelude, body))
        r = sh(script, {"CALLS": log, "ONEGA_BIN": onega,
                        "WITH": "systemd" if with_systemd else "none"},
               shell="bash")
        return r, calls(log)

    r, _ = run("check; echo rc=$?")
    t.eq("dracut check with onega", r.stdout.strip(), "rc=0")
    installed = any(os.access(p, os.X_OK) for p in (
        "/usr/sbin/onega", "/usr/local/sbin/onega", "/usr/bin/onega",
        "/sbin/onega"))
    if not installed:
        r, _ = run("check; echo rc=$?", onega=os.path.join(tmp, "none"))
        t.eq("dracut check without onega", r.stdout.strip(), "rc=1")
    r, c = run("installkernel")
    t.ok("dracut installkernel adds virtio_console",
         any(x.startswith("instmods virtio_console") and
             x.endswith("hostonly=") for x in c), c)
    r, c = run("install; echo rc=$?")
    t.ok("dracut install: binary and hooks",
         r.stdout.strip() == "rc=0" and
         "inst_binary %s /sbin/onega" % binary in c and
         "inst_hook pre-udev 99 onega-start.sh" in c and
         "inst_hook cleanup 99 onega-stop.sh" in c and
         not any(x.startswith("missing") for x in c), (r.stdout, c))
    r, c = run("install; echo rc=$?", with_systemd=True)
    t.ok("dracut install with systemd: a unit, no hooks",
         r.stdout.strip() == "rc=0" and
         any(x.startswith("inst_simple %s/onega-initrd.service" % DR)
             for x in c) and
         "systemctl -q --root /scratch/initdir enable onega-initrd.service"
         in c and not any(x.startswith("inst_hook") for x in c),
         (r.stdout, c))
    if shutil.which("bash"):
        r = subprocess.run(["bash", "-n", os.path.join(DR, "module-setup.sh")],
                           stderr=subprocess.PIPE, text=True)
        t.eq("dracut module-setup.sh parses", (r.returncode, r.stderr),
             (0, ""))
    for s in ("onega-start.sh", "onega-stop.sh"):
        r = subprocess.run(["sh", "-n", os.path.join(DR, s)],
                           stderr=subprocess.PIPE, text=True)
        t.eq("dracut %s parses" % s, (r.returncode, r.stderr), (0, ""))


def main():
    t = lib.T()
    tmp = tempfile.mkdtemp(prefix="onega-hooks-")
    try:
        test_itools_hook(t, tmp)
        test_itools_scripts(t, tmp)
        test_dracut(t, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


main()
