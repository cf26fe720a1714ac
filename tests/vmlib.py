"""Boot ./onega in a throw-away QEMU guest and talk to it (stdlib only).

The guest is a stock Debian kernel (apt-get download linux-image-amd64's
current package, cached in build/vm-cache/ across runs) booted as a PVH
vmlinux on QEMU's microvm machine, with a ~0.5 MB initramfs built by
initramfs/onega_initramfs.py: /init is ./onega itself (PID 1 mode,
verbs/boot.c), plus the virtio modules and any files you add.  Every
virtio-serial port is a unix socket in the VM's temp directory.  TCG unless
/sys/module/kvm_intel or kvm_amd exists (ONEGA_VM_TCG=1 forces TCG).
Launch to first reply is ~2 s on an idle machine (5-7 s under load).  See
/work/shared/reference/vm-testing.md for the why of every option.

In the guest, PID 1 is onega's small supervisor and the agent is its child
(it restarts the agent if it dies): to look at the agent from inside, use
/proc/self (e.g. guest-file-open "/proc/self/stat"), not /proc/1.  The
guest has no shell: helpers you add must be static binaries.

    import lib, vmlib
    t = lib.T()
    why = vmlib.skip_reason()           # None, or why QEMU cannot run here
    if why:
        t.skip("vm", why); t.done(); raise SystemExit(0)
    with vmlib.VM() as vm:              # boots, waits for the first qga reply
        c = vm.qga()                    # lib.Client on org.qemu.guest_agent.0
        t.eq("ping", c.cmd("guest-ping"), {"return": {}})
        s = vm.port_socket("ovirt-guest-agent.0")   # plain connected socket
        code = vm.shutdown()            # guest-shutdown; QEMU's exit status
    t.done()

VM(...) keyword arguments (all optional):
  ports        port names, default DEFAULT_PORTS (qemu-ga, oVirt, SPICE).
               An item may be (name, "spicevmc,name=vdagent"): any QEMU
               -chardev backend instead of a socket (no port_socket then).
  extra_files  {guest_path: host_path (str) | bytes | (bytes, mode)} added
               to the initramfs ("/usr/bin/helper": "build/helper").  Host
               files keep their executable bit.  Static binaries only.
  conf         onega.conf text, placed at /etc/qemu/qemu-ga.conf (onega's
               default path, so no -c is needed).
  args         extra onega arguments (["-v"]): they reach PID 1's argv
               after " -- " on the kernel command line.
  cmdline      extra kernel parameters, e.g. "onega.ovirt.enabled=0".
  modules      extra kernel modules by name (dependencies come along):
               ["ext4"]; virtio_blk is added when disks are given, uinput
               when there is a SPICE port.
  disks        [path | {"path", "serial", "readonly", "format", "mount",
               "fstype"}]: virtio block devices /dev/vda, /dev/vdb... in
               order.  "mount": "/mnt" makes PID 1 mount it there before
               the agent starts (fstype default ext4; its module is added).
  hostname     the guest's host name (default "onega-guest").
  vsock_cid    add a vhost-vsock device with this guest CID (>= 3, unique
               on the host) and the guest's vsock modules; check
               vmlib.vsock_skip_reason() first (no vhost-vsock here).
  qemu_args    extra QEMU arguments (list).
  machine      "microvm" (default, fastest) or "pc"/"q35" (PCI: -vga std,
               spice).  memory: MiB, default 128 (64 does not boot).
  ready        True (default): send guest-sync-delimited on the qga port at
               launch and wait for its reply (deadline `timeout`, 60 s TCG).
               With no qga port, or ready=False, wait for nothing.
  keep         keep the temp dir (also ONEGA_VM_KEEP=1).

Attributes and methods:
  vm.qga(new=False, timeout=10)  lib.Client on the qga port; the same one
        until you pass new=True (closes it, connects again: a QEMU socket
        chardev serves one client at a time) or close it yourself.
  vm.port_socket(name, timeout=10)  a new connected AF_UNIX socket; you
        own it (close the previous one first on the same port).
  vm.port_path(name)  the socket path (for your own client).
  vm.console()        the guest's serial console so far (text).
  vm.wait_console(text, timeout=30)  wait for text on the console.
  vm.qemu_output()    QEMU's own stdout/stderr.
  vm.alive()          QEMU still running.
  vm.wait_exit(timeout=30) QEMU's exit status (raises TimeoutError).
  vm.shutdown(timeout=30, mode=None)  sends guest-shutdown on the qga
        port and returns QEMU's exit status; an error reply raises
        VMError at once.  "reboot: Power down" in vm.console() tells a
        clean poweroff from a crash (pvpanic makes a panic exit 1).
  vm.kill()           SIGTERM/SIGKILL QEMU and wait for it.
  vm.dump(why)        print diagnostics (command line, QEMU output, console
        tail, unread bytes per socket) to stderr.  Done automatically
        when the with-block raises or boot fails.
  vm.tmp, vm.accel ("tcg"/"kvm"), vm.boot_seconds (launch -> first reply),
  vm.cmd (QEMU argv), vm.kernel (the DebianKernel).
Failing to boot raises VMError after dumping diagnostics.
"""
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import lib

ROOT = lib.ROOT
sys.path.insert(0, os.path.join(ROOT, "initramfs"))
import onega_initramfs as oi  # noqa: E402

QEMU = os.environ.get("ONEGA_QEMU", "qemu-system-x86_64")
CACHE = os.environ.get("ONEGA_VM_CACHE", os.path.join(ROOT, "build",
                                                      "vm-cache"))
QGA_PORT = "org.qemu.guest_agent.0"
OVIRT_PORT = "ovirt-guest-agent.0"
SPICE_PORT = "com.redhat.spice.0"
DEFAULT_PORTS = (QGA_PORT, OVIRT_PORT, SPICE_PORT)
CONF_PATH = "/etc/qemu/qemu-ga.conf"	# onega's default: no -c needed
TIOCOUTQ = 0x5411

_kernel = None
_agents = {}		# path -> bytes: one binary per test process, even
			# if someone relinks ./onega meanwhile


class VMError(Exception):
    pass


def kernel():
    """The cached DebianKernel (downloaded and unpacked on first use)."""
    global _kernel
    if _kernel is None:
        _kernel = oi.DebianKernel(CACHE)
    return _kernel


def _is_static(path):
    """No PT_INTERP program header: runs without a dynamic loader."""
    with open(path, "rb") as f:
        h = f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            return False
        phoff, = struct.unpack_from("<Q", h, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", h, 0x36)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", ph, i * phentsize)[0] != 3
               for i in range(phnum))


def skip_reason(agent=None):
    """None if VMs can run here, else why not (for t.skip)."""
    if shutil.which(QEMU) is None:
        return "%s not installed (tests/setup.sh installs it)" % QEMU
    agent = agent or lib.AGENT
    if not os.path.exists(agent):
        return None		# let the test fail loudly: onega not built
    try:
        kernel()
    except Exception as e:	# no apt, no network: nothing to boot
        return "no guest kernel: %s" % e
    return None


def vsock_skip_reason():
    """None if VMs here can have a vsock device, else why not (12)."""
    if not os.access("/dev/vhost-vsock", os.R_OK | os.W_OK):
        return "no /dev/vhost-vsock on this host (CONFIG_VHOST_VSOCK " \
               "missing or module not loaded)"
    return None


def use_kvm():
    if os.environ.get("ONEGA_VM_TCG"):
        return False
    if not (os.path.isdir("/sys/module/kvm_intel") or
            os.path.isdir("/sys/module/kvm_amd")):
        return False		# e.g. PVM: /dev/kvm works but hangs (8)
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def _tsc_khz():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return int(float(line.split(":")[1]) * 1000)
    return None


class VM:
    def __init__(self, ports=DEFAULT_PORTS, extra_files=None, disks=(),
                 qemu_args=(), cmdline="", modules=(), conf=None, args=(),
                 machine="microvm", memory=128, ready=True, timeout=60.0,
                 agent=None, keep=False, hostname="onega-guest",
                 vsock_cid=None):
        self.tmp = tempfile.mkdtemp(prefix="onega-vm-")
        self.keep = keep or bool(os.environ.get("ONEGA_VM_KEEP"))
        self.p = None
        self.qemu_log = None
        self._qga = None
        self._socks = []
        self.boot_seconds = None
        self.cmd = []
        self.console_path = os.path.join(self.tmp, "console.log")
        try:
            self.kernel = kernel()
        except BaseException:
            self.close()
            raise
        self.machine = machine
        self.ports = {}			# name -> socket path or None
        self.chardevs = {}		# name -> custom -chardev backend
        for i, p in enumerate(ports):
            name, backend = (p, None) if isinstance(p, str) else p
            self.chardevs[name] = backend
            self.ports[name] = None if backend else \
                os.path.join(self.tmp, "port%d.sock" % i)
        self.disks = [d if isinstance(d, dict) else {"path": d}
                      for d in disks]
        mounts = []
        modules = list(modules)
        self.vsock_cid = vsock_cid
        if vsock_cid is not None:
            modules.append("vmw_vsock_virtio_transport")
        for i, d in enumerate(self.disks):
            if d.get("mount"):
                fstype = d.get("fstype", "ext4")
                mounts.append("/dev/vd%s:%s:%s" % (chr(ord("a") + i),
                                                   d["mount"], fstype))
                modules.append(fstype)
        if mounts:
            cmdline += " onega.boot.mount=" + ";".join(mounts)
        if hostname:
            cmdline += " onega.boot.hostname=" + hostname
        try:
            self._initrd(agent or lib.AGENT, extra_files, modules, conf)
            argv = list(args)
            self._cmdline = cmdline + (" -- " + " ".join(argv)
                                       if argv else "")
            self._qemu_args = list(qemu_args)
            self._memory = memory
            kvm = use_kvm()
            self._launch("kvm" if kvm else "tcg")
            if ready and QGA_PORT in self.ports and self.ports[QGA_PORT]:
                try:
                    self._wait_ready(10.0 if kvm else timeout)
                except VMError:
                    if not kvm:
                        raise
                    sys.stderr.write("vmlib: no reply under KVM, "
                                     "retrying with TCG\n")
                    self.kill()
                    self._launch("tcg")
                    self._wait_ready(timeout)
            else:
                self._wait_sockets(10.0)
        except BaseException as e:
            self.dump("boot failed: %s" % e)
            self.close()
            raise

    # ---- building and launching ----

    def _initrd(self, agent, extra_files, modules, conf):
        if agent not in _agents:
            if not os.path.exists(agent):
                raise VMError("%s missing: run make" % agent)
            if not _is_static(agent):
                raise VMError("%s is not static (make, not STATIC=0)" %
                              agent)
            with open(agent, "rb") as f:
                _agents[agent] = f.read()
        init = _agents[agent]
        base = oi.MODULES["microvm" if self.machine == "microvm" else "pc"]
        names = list(base) + ["pvpanic_mmio"] + list(modules)
        if self.disks:
            names.append("virtio_blk")
        if SPICE_PORT in self.ports:
            names.append("uinput")	# the SPICE mouse (spice.md 8.2)
        mods = oi.resolve(self.kernel, names)
        files = {}
        for gpath, src in (extra_files or {}).items():
            if isinstance(src, str):
                with open(src, "rb") as f:
                    data = f.read()
                mode = 0o755 if os.access(src, os.X_OK) else 0o644
                src = (data, mode)
            files[gpath.lstrip("/")] = src
        img = oi.build(init, mods, files, conf=conf,
                       conf_path=CONF_PATH.lstrip("/"))
        self.initrd = os.path.join(self.tmp, "initrd.cpio")
        with open(self.initrd, "wb") as f:
            f.write(img)

    def _qemu_cmd(self, accel):
        micro = self.machine == "microvm"
        append = "console=ttyS0 quiet panic=-1 cryptomgr.notests rodata=off"
        khz = _tsc_khz()
        if micro and accel == "tcg" and khz:
            append += " tsc_early_khz=%d" % khz
        if self._cmdline:
            append += " " + self._cmdline.strip()
        cmd = [QEMU, "-accel", accel,
               "-machine", "microvm,pit=on" if micro else self.machine,
               "-cpu", "max" if accel == "kvm" else "qemu64",
               "-m", str(self._memory), "-smp", "1",
               "-nodefaults", "-no-user-config", "-display", "none",
               "-no-reboot",
               "-chardev", "file,id=con,path=%s" % self.console_path,
               "-serial", "chardev:con",
               "-kernel", self.kernel.vmlinux, "-initrd", self.initrd,
               "-append", append,
               "-device", "pvpanic", "-action", "panic=exit-failure",
               "-device", "virtio-serial-%s,id=vser0" %
               ("device" if micro else "pci")]
        for i, (name, path) in enumerate(self.ports.items()):
            backend = self.chardevs[name]
            if backend:
                kind, _, rest = backend.partition(",")
                dev = "%s,id=ch%d%s" % (kind, i, "," + rest if rest else "")
            else:
                dev = "socket,id=ch%d,path=%s,server=on,wait=off" % (i, path)
            cmd += ["-chardev", dev, "-device",
                    "virtserialport,bus=vser0.0,chardev=ch%d,name=%s" %
                    (i, name)]
        for i, d in enumerate(self.disks):
            drive = "file=%s,format=%s,if=none,id=disk%d" % (
                d["path"], d.get("format", "raw"), i)
            if d.get("readonly"):
                drive += ",readonly=on"
            dev = "virtio-blk-%s,drive=disk%d" % (
                "device" if micro else "pci", i)
            if d.get("serial"):
                dev += ",serial=%s" % d["serial"]
            cmd += ["-drive", drive, "-device", dev]
        if self.vsock_cid is not None:
            cmd += ["-device", "vhost-vsock-%s,guest-cid=%d" % (
                "device" if micro else "pci", self.vsock_cid)]
        return cmd + self._qemu_args

    def _launch(self, accel):
        self.accel = accel
        for p in [self.console_path] + [x for x in self.ports.values() if x]:
            if os.path.exists(p):
                os.unlink(p)
        self.cmd = self._qemu_cmd(accel)
        self.qemu_log = open(os.path.join(self.tmp, "qemu.log"), "w+")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                  stdout=self.qemu_log,
                                  stderr=subprocess.STDOUT, cwd=self.tmp)

    def _wait_sockets(self, timeout):
        def ready():
            if self.p.poll() is not None:
                raise VMError("QEMU exited with status %d" % self.p.returncode)
            return all(os.path.exists(p) for p in self.ports.values() if p)
        try:
            lib.wait_for(ready, timeout, "QEMU's port sockets")
        except TimeoutError as e:
            raise VMError(str(e))

    def _wait_ready(self, timeout):
        """Send guest-sync-delimited at once; the reply says 'booted' (6.2)."""
        end = time.monotonic() + timeout
        self._wait_sockets(min(timeout, 10.0))
        c = self.qga(new=True, timeout=timeout)
        n = random.randint(1, 1 << 30)
        c.send_raw(json.dumps({"execute": "guest-sync-delimited",
                               "arguments": {"id": n}}) + "\n")
        c.s.settimeout(0.5)
        r = None
        while r is None:
            try:
                line = c.read_line()	# keeps partial data in c.buf
            except socket.timeout:
                if self.p.poll() is not None:
                    raise VMError("QEMU exited with status %d before the "
                                  "first reply" % self.p.returncode)
                if time.monotonic() > end:
                    raise VMError("no qemu-ga reply within %.0f s" %
                                  timeout)
                continue
            except (OSError, EOFError) as e:
                try:
                    self.p.wait(2)
                    raise VMError("QEMU exited with status %d" %
                                  self.p.returncode)
                except subprocess.TimeoutExpired:
                    raise VMError("qemu-ga port: %s" % e)
            if line.startswith(b"\xff"):
                r = json.loads(line[1:])
        if r.get("return") != n:
            raise VMError("guest-sync-delimited answered %r" % r)
        self.boot_seconds = time.monotonic() - self.t0
        c.s.settimeout(10.0)

    # ---- talking to the guest ----

    def port_path(self, name):
        if self.ports.get(name) is None:
            raise KeyError("no socket-backed port %r" % name)
        return self.ports[name]

    def port_socket(self, name, timeout=10.0):
        path = self.port_path(name)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        lib.wait_for(lambda: os.path.exists(path), timeout, path)
        s.connect(path)
        self._socks.append((name, s))
        return s

    def qga(self, new=False, timeout=10.0):
        c = self._qga
        if c is not None and (new or c.s.fileno() == -1):
            c.close()
            c = None
        if c is None:
            path = self.port_path(QGA_PORT)
            lib.wait_for(lambda: os.path.exists(path), timeout, path)
            c = lib.Client(path, timeout)
            self._socks.append((QGA_PORT, c.s))
            self._qga = c
        return c

    def wait_console(self, text, timeout=30.0):
        """Wait until text shows up on the guest's console; the console."""
        lib.wait_for(lambda: text in self.console() or not self.alive(),
                     timeout, repr(text))
        con = self.console()
        if text not in con:
            raise VMError("QEMU exited before %r appeared" % text)
        return con

    def console(self):
        try:
            with open(self.console_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def qemu_output(self):
        if self.qemu_log is None:
            return ""
        self.qemu_log.flush()
        with open(self.qemu_log.name, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def wait_exit(self, timeout=30.0):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError("QEMU still running after %.0f s" %
                               timeout) from None

    def shutdown(self, timeout=30.0, mode=None):
        """guest-shutdown (success has no reply); QEMU's exit status.

        An error reply (e.g. CommandNotFound) raises VMError at once;
        no exit within timeout raises TimeoutError.
        """
        c = self.qga()
        req = {"execute": "guest-shutdown"}
        if mode:
            req["arguments"] = {"mode": mode}
        c.send_raw(json.dumps(req) + "\n")
        c.s.settimeout(0.2)
        end = time.monotonic() + timeout
        try:
            while self.p.poll() is None and time.monotonic() < end:
                try:
                    line = c.read_line()
                except (socket.timeout, EOFError):
                    continue
                except OSError:
                    break		# QEMU went away with the socket
                if line.lstrip(b"\xff").startswith(b'{"error"'):
                    raise VMError("guest-shutdown: %s" %
                                  line.decode(errors="replace").strip())
        finally:
            if c.s.fileno() != -1:
                c.s.settimeout(10.0)
        return self.wait_exit(max(0.1, end - time.monotonic()))

    # ---- teardown and diagnostics ----

    def kill(self):
        if self.p is None:
            return
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        for _, s in self._socks:
            s.close()
        self._socks = []
        self._qga = None
        if self.qemu_log:
            self.qemu_log.close()

    def dump(self, why="", out=None):
        out = out or sys.stderr
        w = out.write
        w("---- vmlib: %s (%s)\n" % (why, self.tmp))
        w("QEMU: %s\n" % " ".join(getattr(self, "cmd", []) or []))
        if self.p is not None:
            w("QEMU status: %s\n" % self.p.poll())
        try:
            w("QEMU output:\n%s\n" % self.qemu_output()[-2000:])
        except (OSError, ValueError):
            pass
        w("console tail:\n%s\n" % self.console()[-3000:])
        for name, s in self._socks:
            try:
                q = struct.unpack("i", fcntl.ioctl(s.fileno(), TIOCOUTQ,
                                                   b"\0" * 4))[0]
                w("%s: %d bytes not read by QEMU\n" % (name, q))
            except (OSError, ValueError):
                pass
        w("---- end vmlib\n")
        out.flush()

    def close(self):
        self.kill()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and exc_type is not KeyboardInterrupt:
            self.dump("%s: %s" % (exc_type.__name__, exc))
        self.close()
