"""initramfs/onega_initramfs.py and initramfs/mkinitramfs, without booting.

newc layout rules the kernel imposes (vm-testing.md 4.2), byte-for-byte
reproducibility, and module order from .modinfo depends= on the stock
Debian kernel that the VM tests use (fetched into build/vm-cache).
"""
import os
import subprocess
import sys
import tempfile

import lib

sys.path.insert(0, os.path.join(lib.ROOT, "initramfs"))
import onega_initramfs as oi  # noqa: E402
import vmlib  # noqa: E402

t = lib.T()

# ---- the archive itself ----
img = oi.build(b"\x7fELF-init", [("virtio", b"KO1"), ("virtio_console",
               b"KO22")], {"usr/bin/helper": (b"#!", 0o755),
                           "etc/x.conf": "a=b\n", "srv/empty/": None},
               conf="[general]\n", conf_path="etc/qemu/qemu-ga.conf")
t.eq("cpio deterministic", img, oi.build(
    b"\x7fELF-init", [("virtio", b"KO1"), ("virtio_console", b"KO22")],
    {"usr/bin/helper": (b"#!", 0o755), "etc/x.conf": "a=b\n",
     "srv/empty/": None}, conf="[general]\n",
    conf_path="etc/qemu/qemu-ga.conf"))
t.eq("cpio padded to 512", len(img) % 512, 0)
ents = oi.read_newc(img)
names = list(ents)
t.ok("cpio parents before children", all(
    os.path.dirname(n) == "" or names.index(os.path.dirname(n)) <
    names.index(n) for n in names), names)
t.eq("cpio /init mode", ents["init"], (0o100755, b"\x7fELF-init"))
t.eq("cpio dev/console", ents["dev/console"][0], 0o020600)
t.eq("cpio modules.order", ents["etc/modules.order"][1],
     b"/lib/modules/virtio.ko\n/lib/modules/virtio_console.ko\n")
t.eq("cpio module file", ents["lib/modules/virtio_console.ko"],
     (0o100644, b"KO22"))
t.eq("cpio extra executable", ents["usr/bin/helper"], (0o100755, b"#!"))
t.eq("cpio conf", ents["etc/qemu/qemu-ga.conf"][1], b"[general]\n")
t.eq("cpio mount points", [d for d in ("proc", "sys", "dev", "run", "tmp")
                           if ents.get(d, (0,))[0] & 0o170000 != 0o040000],
     [])
inos = [int(img[i + 6:i + 14], 16) for i in range(len(img))
        if img[i:i + 6] == b"070701"][:-1]
t.eq("cpio unique inode numbers", len(set(inos)), len(inos))

# ---- modules of the real guest kernel ----
why = vmlib.skip_reason()
if why:
    t.skip("modules", why)
    t.done()
    raise SystemExit(0)
k = vmlib.kernel()
t.ok("kernel vmlinux is ELF", open(k.vmlinux, "rb").read(4) == b"\x7fELF")
order = [n for n, _ in oi.resolve(k, ["virtio_console", "ext4"])]
t.ok("modules: dependencies first",
     order.index("virtio_ring") < order.index("virtio") <
     order.index("virtio_console") and
     order.index("jbd2") < order.index("ext4") and
     order.index("mbcache") < order.index("ext4"), order)
t.ok("modules: ext4's softdep crc32c comes along",
     "crc32c_generic" in order, order)
t.eq("modules: each once", len(order), len(set(order)))
try:
    oi.resolve(k, ["no_such_module_xyz"])
    t.ok("modules: unknown name fails", False, "no error")
except LookupError as e:
    t.ok("modules: unknown name fails", "no_such_module_xyz" in str(e), e)

# ---- the command line builder ----
if os.path.exists(lib.AGENT):
    tmp = tempfile.mkdtemp(prefix="onega-mkinitramfs-")
    outs = []
    for i in range(2):
        o = os.path.join(tmp, "i%d.cpio" % i)
        r = subprocess.run([os.path.join(lib.ROOT, "initramfs",
                                         "mkinitramfs"), "-o", o,
                            "--onega", lib.AGENT, "--module", "virtio_blk",
                            "--debian-kernel", vmlib.CACHE],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        outs.append(open(o, "rb").read() if r.returncode == 0 else r.stdout)
    t.ok("mkinitramfs reproducible", isinstance(outs[0], bytes) and
         outs[0] == outs[1], outs[0][:300] if isinstance(outs[0], str)
         else "differs")
    e = oi.read_newc(outs[0]) if isinstance(outs[0], bytes) else {}
    t.ok("mkinitramfs content", "lib/modules/virtio_blk.ko" in e and
         e.get("init", (0, b""))[1] == open(lib.AGENT, "rb").read(),
         sorted(e))
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
t.done()
