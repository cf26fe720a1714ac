"""Build a tiny bootable initramfs around the static onega binary.

Shared by initramfs/mkinitramfs (the command line builder) and tests/vmlib.py
(the VM test harness).  Python stdlib only, no root, no cpio/kmod tools.

- Newc:           a deterministic newc cpio writer (vm-testing.md 4): mtime 0,
                  uid/gid 0, running inode numbers, parents before children.
- modinfo():      the .modinfo strings of a kernel module (depends=, softdep=).
- ModDir:         modules of an installed kernel tree (/lib/modules/VERSION),
                  .ko, .ko.xz, .ko.gz (and .ko.zst through the zstd tool).
- DebianKernel:   a stock Debian kernel fetched with `apt-get download` into a
                  cache directory; vmlinuz is turned into a PVH vmlinux and
                  modules are extracted on demand (the .deb has no modules.dep).
- resolve():      module names -> load order, dependencies first.
- build():        the cpio: /init = onega, /etc/modules.order, the modules.

onega, started as PID 1 (verbs/boot.c), mounts /proc /sys /dev /run /tmp and
loads every line of /etc/modules.order with finit_module(2).
"""
import fcntl
import glob
import gzip
import lzma
import os
import re
import shutil
import struct
import subprocess
import tarfile
import zlib

# Module sets in load order, per QEMU machine (vm-testing.md 3.2).
MODULES = {
    "microvm": ["virtio_ring", "virtio", "virtio_mmio", "virtio_console"],
    "pc": ["virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
           "virtio", "virtio_pci", "virtio_console"],
}
MODULES["q35"] = MODULES["pc"]

# softdep targets that are aliases, not module names (ext4: "pre: crc32c").
SOFTDEP_ALIAS = {"crc32c": "crc32c_generic", "crypto_crc32c": "crc32c_generic"}

# Extracted from the .deb at the first fetch; anything else on demand.
DEB_PREFETCH = [
    "drivers/virtio/", "drivers/char/virtio_console.ko",
    "drivers/char/hw_random/", "drivers/block/virtio_blk.ko",
    "drivers/net/virtio_net.ko", "drivers/net/net_failover.ko",
    "net/core/failover.ko", "net/vmw_vsock/", "drivers/misc/pvpanic/",
    "drivers/input/misc/uinput.ko", "drivers/input/evdev.ko", "fs/fuse/",
    "fs/ext4/", "fs/jbd2/", "fs/mbcache.ko", "lib/crc16.ko",
    "lib/libcrc32c.ko", "crypto/crc32c_generic.ko",
]

DIRS = ["dev", "etc", "lib", "lib/modules", "mnt", "proc", "root", "run",
        "sys", "tmp", "var"]


def modname(path):
    """virtio-rng.ko.xz -> virtio_rng (file names use '-', modules '_')."""
    b = os.path.basename(path)
    b = re.sub(r"\.ko(\.(xz|gz|zst))?$", "", b)
    return b.replace("-", "_")


# ---- newc cpio --------------------------------------------------------------

class Newc:
    """A deterministic newc archive: add entries, then bytes()."""

    def __init__(self):
        self.entries = {}		# name -> (mode, data, rdev)

    def _parents(self, name):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.entries:
                self.entries[d] = (0o040755, b"", (0, 0))

    def dir(self, name, mode=0o755):
        name = name.strip("/")
        self._parents(name)
        self.entries[name] = (0o040000 | mode, b"", (0, 0))

    def file(self, name, data, mode=0o644):
        name = name.strip("/")
        if isinstance(data, str):
            data = data.encode()
        self._parents(name)
        self.entries[name] = (0o100000 | mode, bytes(data), (0, 0))

    def symlink(self, name, target):
        name = name.strip("/")
        self._parents(name)
        self.entries[name] = (0o120777, target.encode(), (0, 0))

    def chardev(self, name, major, minor, mode=0o600):
        name = name.strip("/")
        self._parents(name)
        self.entries[name] = (0o020000 | mode, b"", (major, minor))

    @staticmethod
    def _entry(ino, name, mode, data, rdev, nlink):
        n = name.encode() + b"\0"
        hdr = "070701" + "".join("%08x" % v for v in (
            ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(n), 0))
        out = hdr.encode() + n
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
        return out

    def bytes(self):
        # Sorting by path components puts every parent before its children
        # (the kernel's unpacker silently drops orphans, vm-testing.md 4.2).
        out = []
        for ino, name in enumerate(sorted(self.entries,
                                          key=lambda s: s.split("/")), 1):
            mode, data, rdev = self.entries[name]
            nlink = 2 if mode & 0o170000 == 0o040000 else 1
            out.append(self._entry(ino, name, mode, data, rdev, nlink))
        out.append(self._entry(0, "TRAILER!!!", 0, b"", (0, 0), 1))
        b = b"".join(out)
        return b + b"\0" * (-len(b) % 512)


def read_newc(data):
    """Parse a newc archive into {name: (mode, data)} (for tests)."""
    out, off = {}, 0
    while off + 110 <= len(data):
        if data[off:off + 6] != b"070701":
            raise ValueError("bad cpio magic at %d" % off)
        f = [int(data[off + 6 + 8 * i:off + 14 + 8 * i], 16)
             for i in range(13)]
        mode, size, nsize = f[1], f[6], f[11]
        name = data[off + 110:off + 110 + nsize - 1].decode()
        off += 110 + nsize
        off += -off % 4
        body = data[off:off + size]
        off += size
        off += -off % 4
        if name == "TRAILER!!!":
            break
        out[name] = (mode, body)
    return out


# ---- kernel modules ---------------------------------------------------------

def modinfo(ko):
    """The .modinfo section of an ELF64 module as {key: [values]}."""
    if ko[:4] != b"\x7fELF" or ko[4] != 2:
        raise ValueError("not an ELF64 object")
    e = "<" if ko[5] == 1 else ">"
    shoff, = struct.unpack_from(e + "Q", ko, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", ko, 0x3a)

    def sect(i):
        base = shoff + i * shentsize
        name, = struct.unpack_from(e + "I", ko, base)
        off, size = struct.unpack_from(e + "QQ", ko, base + 0x18)
        return name, off, size

    _, stroff, _ = sect(shstrndx)
    info = {}
    for i in range(shnum):
        name, off, size = sect(i)
        end = ko.index(b"\0", stroff + name)
        if ko[stroff + name:end] != b".modinfo":
            continue
        for s in ko[off:off + size].split(b"\0"):
            if b"=" in s:
                k, v = s.decode(errors="replace").split("=", 1)
                info.setdefault(k, []).append(v)
    return info


def read_module(path):
    """Module bytes, decompressed (.ko.xz/.ko.gz/.ko.zst)."""
    if path.endswith(".xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".gz"):
        with gzip.open(path) as f:
            return f.read()
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq", path], check=True,
                              stdout=subprocess.PIPE).stdout
    with open(path, "rb") as f:
        return f.read()


def deps_of(ko):
    """(hard dependencies, soft pre-dependencies) as module names."""
    info = modinfo(ko)
    hard, soft = [], []
    for d in info.get("depends", []):
        hard += [x.replace("-", "_") for x in d.split(",") if x]
    for s in info.get("softdep", []):
        m = re.search(r"pre:\s*([^:]*?)(\s+post:|$)", s)
        if m:
            for x in m.group(1).split():
                x = x.replace("-", "_")
                soft.append(SOFTDEP_ALIAS.get(x, x))
    return hard, soft


class ModDir:
    """Modules of an installed kernel: /lib/modules/VERSION (or a copy)."""

    def __init__(self, moddir):
        self.moddir = moddir
        self.index = {}
        for dirpath, _, files in os.walk(moddir):
            for f in files:
                if re.search(r"\.ko(\.(xz|gz|zst))?$", f):
                    self.index.setdefault(modname(f),
                                          os.path.join(dirpath, f))
        self.builtin = set()
        p = os.path.join(moddir, "modules.builtin")
        if os.path.exists(p):
            with open(p) as f:
                self.builtin = {modname(x.strip()) for x in f if x.strip()}

    def path(self, name):
        return self.index.get(name)

    def fetch(self, names):
        """Make names available; ModDir has everything it will ever have."""


def resolve(src, names):
    """[(name, bytes)] for names and their dependencies, dependencies first.

    Built-in modules are skipped; a module neither present nor built in
    raises LookupError.
    """
    order, seen, data = [], set(), {}

    def visit(n, stack, optional=False):
        if n in seen or n in src.builtin:
            return
        if n in stack:
            raise LookupError("module dependency loop: %s" % " ".join(stack))
        p = src.path(n)
        if p is None:
            src.fetch([n])
            p = src.path(n)
        if p is None and optional:
            return
        if p is None:
            raise LookupError("kernel module %s not found in %s" %
                              (n, src.moddir))
        data[n] = read_module(p)
        hard, soft = deps_of(data[n])
        for d in hard:
            visit(d, stack + [n])
        for d in soft:
            visit(d, stack + [n], True)
        seen.add(n)
        order.append(n)

    for n in names:
        visit(n.replace("-", "_"), [])
    return [(n, data[n]) for n in order]


# ---- a stock Debian kernel in a cache directory -----------------------------

def _lock(cache):
    os.makedirs(cache, exist_ok=True)
    f = open(os.path.join(cache, ".lock"), "w")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def extract_vmlinux(bz):
    """vmlinuz (bzImage) -> the ELF vmlinux inside it (PVH entry).

    Scans for compression magics and keeps the first payload that
    decompresses to an ELF file (vm-testing.md 2.3).
    """
    magics = [(b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gz"),
              (b"\x28\xb5\x2f\xfd", "zst")]
    for magic, kind in magics:
        pos = bz.find(magic)
        while pos != -1:
            try:
                if kind == "xz":
                    out = lzma.LZMADecompressor().decompress(bz[pos:])
                elif kind == "gz":
                    out = zlib.decompressobj(31).decompress(bz[pos:])
                else:
                    out = subprocess.run(["zstd", "-dcq"], input=bz[pos:],
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL).stdout
                if out[:4] == b"\x7fELF":
                    return out
            except (lzma.LZMAError, zlib.error, OSError, EOFError):
                pass
            pos = bz.find(magic, pos + 1)
    raise ValueError("no ELF kernel found inside the bzImage")


def _deb_members(deb, want):
    """Extract members of a .deb's data archive: want(name) -> dest or None."""
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb],
                         stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=p.stdout, mode="r|") as tf:
            for m in tf:
                if not m.isfile():
                    continue
                dest = want(m.name.lstrip("./"))
                if dest is None:
                    continue
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with tf.extractfile(m) as src, open(dest + ".tmp", "wb") as o:
                    shutil.copyfileobj(src, o)
                os.rename(dest + ".tmp", dest)
    finally:
        p.stdout.close()
        if p.wait() != 0:
            raise RuntimeError("dpkg-deb --fsys-tarfile %s failed" % deb)


def kernel_package():
    """linux-image-6.1.0-N-amd64: what linux-image-amd64 depends on now."""
    out = subprocess.run(["apt-cache", "depends", "linux-image-amd64"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    m = re.search(r"Depends: (linux-image-\S+)", out)
    return m.group(1) if m else None


class DebianKernel:
    """A stock Debian kernel unpacked under cache/<version>/.

    .vmlinux  PVH-bootable ELF kernel    .version  e.g. 6.1.0-56-amd64
    .moddir   modules extracted so far   .path(name), .fetch(names)
    Safe against concurrent users (flock on cache/.lock).
    """

    def __init__(self, cache):
        self.cache = os.path.abspath(cache)
        with _lock(self.cache):
            self.deb = self._deb()
            ver = re.match(r"linux-image-(.*?)_", os.path.basename(self.deb))
            self.version = ver.group(1)
            self.dir = os.path.join(self.cache, self.version)
            self.moddir = os.path.join(self.dir, "lib/modules", self.version)
            self.vmlinux = os.path.join(self.dir, "vmlinux")
            if not os.path.exists(self.vmlinux):
                self._unpack()
        self._load_index()

    def _deb(self):
        debs = sorted(glob.glob(os.path.join(self.cache, "linux-image-*.deb")))
        if debs:
            return debs[-1]
        pkg = os.environ.get("ONEGA_VM_KERNEL_PKG") or kernel_package()
        if not pkg:
            raise RuntimeError("cannot resolve linux-image-amd64 (apt-cache)")
        r = subprocess.run(["apt-get", "download", pkg], cwd=self.cache,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        debs = sorted(glob.glob(os.path.join(self.cache, pkg + "_*.deb")))
        if not debs:
            raise RuntimeError("apt-get download %s failed: %s" %
                               (pkg, r.stdout[-500:]))
        return debs[-1]

    def _member_dest(self, prefixes):
        kern = "lib/modules/%s/kernel/" % self.version

        def want(name):
            if name.startswith("boot/vmlinuz-") or \
               name.startswith("boot/config-") or \
               name.startswith("lib/modules/%s/modules." % self.version):
                return os.path.join(self.dir, name)
            if name.startswith(kern) and \
               any(name[len(kern):].startswith(p) for p in prefixes):
                return os.path.join(self.dir, name)
            return None
        return want

    def _unpack(self):
        os.makedirs(self.dir, exist_ok=True)
        _deb_members(self.deb, self._member_dest(DEB_PREFETCH))
        vmlinuz = glob.glob(os.path.join(self.dir, "boot/vmlinuz-*"))[0]
        with open(vmlinuz, "rb") as f:
            elf = extract_vmlinux(f.read())
        with open(self.vmlinux + ".tmp", "wb") as f:
            f.write(elf)
        os.rename(self.vmlinux + ".tmp", self.vmlinux)

    def _load_index(self):
        m = ModDir(self.moddir)
        self.index, self.builtin = m.index, m.builtin
        self.order = {}
        with open(os.path.join(self.moddir, "modules.order")) as f:
            for line in f:
                line = line.strip()
                if line:
                    self.order[modname(line)] = line

    def path(self, name):
        return self.index.get(name)

    def fetch(self, names):
        """Extract the named modules from the .deb (one pass over it)."""
        rel = [self.order[n][len("kernel/"):] for n in names
               if n in self.order and n not in self.index]
        if not rel:
            return
        with _lock(self.cache):
            _deb_members(self.deb, self._member_dest(rel))
        self._load_index()


# ---- the initramfs ----------------------------------------------------------

def build(init, modules=(), files=None, conf=None, conf_path=None):
    """newc bytes: /init, modules in order, extra files.

    init      bytes of the static onega binary (becomes /init, mode 0755)
    modules   [(name, bytes)] in load order (see resolve())
    files     {guest_path: bytes or str}; a path ending in '/' makes a
              directory; (bytes, mode) tuples set the mode
    conf      text for conf_path (onega's configuration file)
    """
    a = Newc()
    for d in DIRS:
        a.dir(d)
    a.dir("tmp", 0o1777)
    a.chardev("dev/console", 5, 1)
    a.symlink("var/run", "../run")
    a.file("init", init, 0o755)
    a.symlink("sbin/onega", "/init")
    lines = []
    for name, data in modules:
        a.file("lib/modules/%s.ko" % name, data)
        lines.append("/lib/modules/%s.ko\n" % name)
    a.file("etc/modules.order", "".join(lines))
    if conf is not None:
        a.file(conf_path, conf)
    for path, data in sorted((files or {}).items()):
        if path.endswith("/"):
            a.dir(path)
            continue
        mode = 0o644
        if isinstance(data, tuple):
            data, mode = data
        a.file(path, data, mode)
    return a.bytes()
