"""oVirt strings from the system with control characters and invalid UTF-8
(os-release values, a mount path, a user name) reach VDSM sanitised: the
peer fails any line its filter or UTF-8 decoder would change, and each
bad sequence arrives as U+FFFD."""
import os
import shutil
import struct
import tempfile

import ovlib
import lib
from vdsm import Vdsm

t = lib.T()
fx = tempfile.mkdtemp(prefix="onega-ovsan-")
root = os.path.join(fx, "root")
for d in ("etc", "proc/self", "var/run"):
    os.makedirs(os.path.join(root, d))
for d in ("sys", "dev", "run", "usr"):
    os.symlink("/" + d, os.path.join(root, d))
for f in ("meminfo", "vmstat", "stat", "loadavg", "net", "diskstats"):
    os.symlink("/proc/" + f, os.path.join(root, "proc", f))
for f in ("hosts", "localtime"):
    if os.path.lexists("/etc/" + f):
        os.symlink("/etc/" + f, os.path.join(root, "etc", f))
with open(os.path.join(root, "etc/os-release"), "wb") as f:
    f.write(b'NAME="Deb\x01ian \xff\xfe"\nVERSION_ID="1\xc2\x80"\n'
            b'VARIANT="caf\xc3\xa9 \xef\xbf\xbf"\nID=debian\n')
weird = os.path.join(fx, "m\x01nt\x7f")
os.makedirs(weird.encode() + b"\xff")
wdir = weird.encode() + b"\xff"
with open(os.path.join(root, "proc/self/mountinfo"), "wb") as f:
    f.write(b"22 1 254:0 / " + wdir + b" rw - ext4 /dev/vda rw\n")
UT = struct.Struct("<hxxi32s4s32s256shhiii4i20s")
with open(os.path.join(root, "var/run/utmp"), "wb") as f:
    f.write(UT.pack(7, 1, b"pts/0", b"p0", b"b\x02d\xc3", b"", 0, 0, 0,
                    1700000000, 0, 0, 0, 0, 0, b""))

R = "\ufffd"
with ovlib.agent("heartbeat=0.5\n", env={"VERBS_ROOT": root}) as a:
    p = Vdsm(a.ovsock)
    p.wait(lambda: p.count("os-info") >= 1, what="v3 refresh")
    oi = p.last("os-info")
    t.eq("os_info_distribution", oi["distribution"], "Deb%sian %s%s" %
         (R, R, R))
    t.eq("os_info_version_c1", oi["version"], "1" + R)
    t.eq("os_info_codename_nonchar", oi["codename"], "caf\u00e9 " + R)
    paths = [d["path"] for d in p.last("disks-usage")["disks"]]
    want = weird.replace("\x01", R).replace("\x7f", R) + R
    t.eq("mount_path_sanitised", paths, [want])
    t.eq("user_name_sanitised", p.last("active-user")["name"],
         "b%sd%s" % (R, R))
    t.eq("peer_failures", p.failures, [])
    p.close()
shutil.rmtree(fx, ignore_errors=True)
t.done()
