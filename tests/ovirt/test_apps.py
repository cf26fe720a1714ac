"""oVirt applications: the dpkg status file and rpm's rpmdb.sqlite read
in-process (overflow pages and interior b-tree pages included), filtered by
applications_list, plus the agent's own entry."""
import os
import shutil
import sqlite3
import struct
import tempfile

import ovlib
import lib
from vdsm import Vdsm

t = lib.T()
fx = tempfile.mkdtemp(prefix="onega-ovapps-")
root = os.path.join(fx, "root")
for d in ("var/lib/dpkg", "usr/lib/sysimage/rpm", "var/run"):
    os.makedirs(os.path.join(root, d))
for d in ("proc", "sys", "etc", "dev", "run"):
    os.symlink("/" + d, os.path.join(root, d))

with open(os.path.join(root, "var/lib/dpkg/status"), "w") as f:
    f.write("""Package: cloud-init
Status: install ok installed
Version: 22.4.2-1
Description: x
 continued: Package: fake

Package: linux-image-6.1.0-9-amd64
Status: deinstall ok config-files
Version: 6.1.27-1

Package: linux-image-6.1.0-13-amd64
Status: install ok installed
Version: 6.1.55-1

Package: bash
Status: install ok installed
Version: 5.2.15-2+b2
""")


def rpm_header(tags):
    """headerExport() layout: il, dl, index entries, data store."""
    index, data = b"", b""
    for tag, typ, val in tags:
        if typ == 6:
            body, count = val.encode() + b"\0", 1
        else:                                   # BIN
            body, count = val, len(val)
        index += struct.pack(">iiii", tag, typ, len(data), count)
        data += body
    return struct.pack(">ii", len(tags), len(data)) + index + data


db = sqlite3.connect(os.path.join(root, "usr/lib/sysimage/rpm/rpmdb.sqlite"))
db.execute("PRAGMA page_size=4096")
db.execute("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,"
           "blob BLOB NOT NULL)")
db.execute("CREATE TABLE 'Name' (key TEXT NOT NULL, hnum INTEGER NOT NULL,"
           " idx INTEGER NOT NULL)")
want_rpm = []
for i in range(400):            # enough rows for interior pages
    name = "kernel" if i in (7, 300) else "pkg%d" % i
    if i == 123:
        name = "cloud-init"
    pad = bytes(range(256)) * (60 if i % 50 == 0 else 1)   # overflow pages
    h = rpm_header([(1000, 6, name), (1001, 6, "5.14.%d" % i),
                    (1002, 6, "%d.el9" % i), (1004, 6, "summary"),
                    (5092, 7, pad)])
    db.execute("INSERT INTO Packages (blob) VALUES (?)", (h,))
    if name in ("kernel", "cloud-init"):
        want_rpm.append("%s-5.14.%d-%d.el9" % (name, i, i))
db.commit()
db.close()

conf = "applications_list=kernel cloud-init linux-image-* nosuch\n"
with ovlib.agent("", conf, env={"VERBS_ROOT": root}) as a:
    p = Vdsm(a.ovsock)
    apps = p.wait_name("applications")["applications"]
    want = (["cloud-init-22.4.2-1", "linux-image-6.1.0-13-amd64-6.1.55-1"] +
            want_rpm + ["qemu-guest-agent-" + a.qga().cmd(
                "guest-info")["return"]["version"]])
    t.eq("applications_dpkg_rpm_self", apps, want)
    t.eq("peer_failures", p.failures, [])
    p.close()

# No rpm database, no dpkg status: the kernel entry and our own.
os.unlink(os.path.join(root, "usr/lib/sysimage/rpm/rpmdb.sqlite"))
os.unlink(os.path.join(root, "var/lib/dpkg/status"))
with ovlib.agent("", conf, env={"VERBS_ROOT": root}) as a:
    p = Vdsm(a.ovsock)
    apps = p.wait_name("applications")["applications"]
    rel = a.qga().cmd("guest-get-osinfo")["return"]["kernel-release"]
    t.eq("applications_without_databases", apps[0], "kernel-" + rel)
    t.eq("applications_without_databases_len", len(apps), 2)
    p.close()

# A corrupt database is logged, never fatal.
with open(os.path.join(root, "usr/lib/sysimage/rpm/rpmdb.sqlite"),
          "wb") as f:
    f.write(b"SQLite format 3\0" + os.urandom(8192))
with ovlib.agent("", conf, env={"VERBS_ROOT": root}) as a:
    p = Vdsm(a.ovsock)
    apps = p.wait_name("applications")["applications"]
    t.ok("corrupt_rpmdb_survives", a.alive() and len(apps) >= 1, apps)
    p.close()
shutil.rmtree(fx, ignore_errors=True)
t.done()
