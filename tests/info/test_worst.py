"""Issue 3, worst cases: an empty root (no /proc, /sys, /etc, no utmp), a
fakeroot (VERBS_ROOT) with unreadable sysfs entries, device-mapper over a
partition, a hot-unplugged disk, old /proc formats and 5000 mounts, and a
namespace with only lo, then with 2000 interfaces.  No crash, an answer to
every command, and the facts that can still be known."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
import lib
import infolib

t = lib.T()

CMDS = ["guest-get-osinfo", "guest-get-host-name", "guest-get-timezone",
        "guest-get-users", "guest-get-time", "guest-get-vcpus",
        "guest-get-memory-blocks", "guest-get-memory-block-info",
        "guest-get-fsinfo", "guest-get-disks", "guest-get-diskstats",
        "guest-get-cpustats", "guest-get-load",
        "guest-network-get-interfaces", "guest-network-get-route",
        "guest-get-memory-stats"]


def put(root, path, text="", mode=None):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb" if isinstance(text, bytes) else "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(p, mode)


def link(root, path, target):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.symlink(target, p)


def mkdir(root, path):
    os.makedirs(os.path.join(root, path.lstrip("/")), exist_ok=True)


PCI = "/sys/devices/pci0000:00/0000:00:05.0"
VDB = PCI + "/virtio3/block/vdb"


def build(root, nmounts):
    # sysfs: a virtio disk vdb with partition vdb1, dm-0 on top of vdb1
    put(root, VDB + "/uevent", "MAJOR=254\nMINOR=16\nDEVNAME=vdb\n")
    put(root, VDB + "/size", "2048\n")
    put(root, VDB + "/serial", "SER-0042\n")
    put(root, VDB + "/vdb1/uevent", "DEVNAME=vdb1\nDEVTYPE=partition\n")
    put(root, VDB + "/vdb1/partition", "1\n")
    put(root, VDB + "/vdb1/size", "1024\n")
    link(root, PCI + "/driver", "../../../bus/pci/drivers/virtio-pci")
    dm = "/sys/devices/virtual/block/dm-0"
    put(root, dm + "/uevent", "DEVNAME=dm-0\n")
    put(root, dm + "/size", "1000\n")
    put(root, dm + "/dm/name", "vg-root\n")
    link(root, dm + "/slaves/vdb1",
         "../../../../pci0000:00/0000:00:05.0/virtio3/block/vdb/vdb1")
    link(root, "/sys/block/vdb", "../devices/pci0000:00/0000:00:05.0/"
         "virtio3/block/vdb")
    link(root, "/sys/block/dm-0", "../devices/virtual/block/dm-0")
    put(root, "/sys/devices/virtual/block/loop0/size", "0\n")
    link(root, "/sys/block/loop0", "../devices/virtual/block/loop0")
    link(root, "/sys/dev/block/254:16", "../../devices/pci0000:00/"
         "0000:00:05.0/virtio3/block/vdb")
    link(root, "/sys/dev/block/253:0", "../../devices/virtual/block/dm-0")
    # NVMe namespace: serial is udev's MODEL_SERIAL from the controller
    nv = "/sys/devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0n1"
    put(root, nv + "/uevent", "DEVNAME=nvme0n1\n")
    put(root, nv + "/size", "4096\n")
    put(root, nv + "/device/model", "QEMU NVMe Ctrl      \n")
    put(root, nv + "/device/serial", "SN-77   \n")
    link(root, "/sys/devices/pci0000:00/0000:00:06.0/driver",
         "../../../bus/pci/drivers/nvme")
    link(root, "/sys/dev/block/259:0", "../../devices/pci0000:00/"
         "0000:00:06.0/nvme/nvme0/nvme0n1")
    # virtio-scsi LUN 3: serial from VPD page 0x83 (vendor specific id)
    sd = ("/sys/devices/pci0000:00/0000:00:07.0/virtio4/host2/"
          "target2:0:0/2:0:0:3")
    put(root, sd + "/block/sda/uevent", "DEVNAME=sda\n")
    put(root, sd + "/block/sda/size", "8\n")
    link(root, sd + "/block/sda/device", "../../../2:0:0:3")
    put(root, sd + "/vendor", "QEMU    \n")
    put(root, sd + "/model", "QEMU HARDDISK   \n")
    ident = b"drive-scsi0-0-0-3"
    put(root, sd + "/vpd_pg83", bytes([0, 0x83, 0, 4 + len(ident),
                                       2, 0, 0, len(ident)]) + ident)
    link(root, "/sys/devices/pci0000:00/0000:00:07.0/driver",
         "../../../bus/pci/drivers/virtio-pci")
    link(root, "/sys/dev/block/8:0", "../../devices/pci0000:00/0000:00:07.0/"
         "virtio4/host2/target2:0:0/2:0:0:3/block/sda")
    # vCPUs: cpu0 without "online", cpu1 offline, cpu2 unreadable (a dir)
    mkdir(root, "/sys/devices/system/cpu/cpu0")
    put(root, "/sys/devices/system/cpu/cpu1/online", "0\n")
    mkdir(root, "/sys/devices/system/cpu/cpu2/online")
    mkdir(root, "/sys/devices/system/cpu/cpufreq")
    mem = "/sys/devices/system/memory"
    put(root, mem + "/block_size_bytes", "8000000\n")
    put(root, mem + "/memory0/state", "online\n")
    put(root, mem + "/memory0/removable", "1\n")
    put(root, mem + "/memory1/state", "offline\n")
    mkdir(root, mem + "/memory2/state")		# unreadable: left out
    # /proc in old and new formats
    put(root, "/proc/stat", "cpu  1 2 3 4\ncpu0 100 0 50 1000\n"
        "cpu1 7 8 9 10 11 12 13 14 15 16\nintr 1 2\n")
    put(root, "/proc/diskstats",
        "   8       1 sda1 10 20 30 40\n"
        " 254      16 vdb 1 2 3 4 5 6 7 8 9 10 11\n"
        " 254      17 vdb1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
        "garbage\n")
    put(root, "/proc/meminfo", "MemTotal: 1000 kB\nMemFree: 500 kB\n"
        "Buffers: 10 kB\nCached: 20 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")
    put(root, "/proc/loadavg", "0.50 0.25 0.10 1/100 4242\n")
    put(root, "/proc/net/route", "Iface\tDestination\tGateway\n"
        "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "broken line\n")
    # utmp: one whole record and half of another
    put(root, "/var/run/utmp", infolib.utmp_record(
        infolib.USER_PROCESS, "root", 1700000000, 0) + b"\x07" * 100)
    # mounts: dm-0 on "/my root", vdb on /data, a hot-unplugged disk,
    # optional fields, then nmounts tmpfs/bind mounts
    lines = [
        "20 1 253:0 / /my\\040root rw shared:1 master:2 - ext4 /dev/dm-0 rw",
        "21 20 254:16 / /data rw - xfs /dev/vdb rw",
        "22 20 254:99 / /gone rw - ext4 /dev/vdz rw",
        "23 20 0:45 / /run rw shared:5 - tmpfs tmpfs rw",
        "25 20 259:0 / /nvme rw - ext4 /dev/nvme0n1 rw",
        "26 20 8:0 / /scsi rw - ext4 /dev/sda rw",
        "24 20 0:46 / /nfs rw - nfs4 srv:/x rw",
        "bad line",
    ]
    for i in range(nmounts):
        lines.append("%d 20 %s / /m/%d rw - %s src%d rw" % (
            100 + i, "254:16" if i % 2 else "0:%d" % (50 + i), i,
            "ext4" if i % 2 else "tmpfs", i))
    put(root, "/proc/self/mountinfo", "\n".join(lines) + "\n")
    put(root, "/etc/os-release", 'ID=fake\nNAME="Fake OS"\n')


def every_command(c, what):
    bad = []
    for name in CMDS:
        r = c.cmd(name)
        if not ("return" in r or r.get("error", {}).get("class") ==
                "GenericError"):
            bad.append((name, r))
    t.ok("worst %s: every command answers" % what, not bad, bad)


def empty_root():
    root = tempfile.mkdtemp(prefix="onega-empty-")
    with infolib.agent(env={"VERBS_ROOT": root}) as a:
        c = a.qga()
        every_command(c, "empty root")
        t.eq("worst empty root: no utmp, no users", c.cmd("guest-get-users"),
             {"return": []})
        os_ = c.cmd("guest-get-osinfo")["return"]
        t.ok("worst empty root: osinfo from uname only",
             "kernel-release" in os_ and "id" not in os_, os_)
        t.ok("worst empty root: alive", a.alive())


def fakeroot():
    root = tempfile.mkdtemp(prefix="onega-fake-")
    build(root, 5000)
    with infolib.agent(env={"VERBS_ROOT": root}) as a:
        c = a.qga(timeout=60)
        every_command(c, "fakeroot")
        fs = c.cmd("guest-get-fsinfo")["return"]
        t.eq("worst fsinfo: block mounts only, reversed",
             [f["mountpoint"] for f in fs[-5:]],
             ["/scsi", "/nvme", "/gone", "/data", "/my root"])
        t.eq("worst fsinfo: count", len(fs), 5 + 2500)
        by = {f["mountpoint"]: f for f in fs}
        vdb1 = {"pci-controller": {"domain": 0, "bus": 0, "slot": 5,
                                   "function": 0}, "bus-type": "virtio",
                "bus": 0, "target": 0, "unit": 0, "serial": "SER-0042",
                "dev": "/dev/vdb1"}
        t.eq("worst fsinfo: dm-0 over a partition", (by["/my root"]["name"],
             by["/my root"]["disk"]), ("dm-0", [vdb1]))
        t.eq("worst fsinfo: virtio disk", by["/data"]["disk"][0]["dev"],
             "/dev/vdb")
        t.eq("worst fsinfo: hot-unplugged disk", (by["/gone"]["name"],
             by["/gone"]["disk"]), ("254:99", []))
        t.eq("worst fsinfo: nvme", by["/nvme"]["disk"], [{
            "pci-controller": {"domain": 0, "bus": 0, "slot": 6,
                               "function": 0}, "bus-type": "nvme", "bus": 0,
            "target": 0, "unit": 0, "serial": "QEMU_NVMe_Ctrl_SN-77",
            "dev": "/dev/nvme0n1"}])
        t.eq("worst fsinfo: virtio-scsi", by["/scsi"]["disk"], [{
            "pci-controller": {"domain": 0, "bus": 0, "slot": 7,
                               "function": 0}, "bus-type": "scsi", "bus": 0,
            "target": 0, "unit": 3,
            "serial": "0QEMU_QEMU_HARDDISK_drive-scsi0-0-0-3",
            "dev": "/dev/sda"}])
        disks = c.cmd("guest-get-disks")["return"]
        t.eq("worst disks", sorted((d["name"], d["partition"],
                                    tuple(d["dependencies"]), d.get("alias"))
                                   for d in disks),
             [("/dev/dm-0", False, ("/dev/vdb1",), "vg-root"),
              ("/dev/vdb", False, (), None),
              ("/dev/vdb1", True, ("/dev/vdb",), None)])
        vc = c.cmd("guest-get-vcpus")["return"]
        t.eq("worst vcpus: unreadable online file",
             sorted((x["logical-id"], x["online"], x["can-offline"])
                    for x in vc),
             [(0, True, False), (1, False, True), (2, True, False)])
        mb = c.cmd("guest-get-memory-blocks")["return"]
        t.eq("worst memory blocks", sorted(
            (x["phys-index"], x["online"], x.get("can-offline")) for x in mb),
            [(0, True, True), (1, False, False)])
        t.eq("worst memory-block-info", c.cmd("guest-get-memory-block-info"),
             {"return": {"size": 0x8000000}})
        cs = c.cmd("guest-get-cpustats")["return"]
        t.eq("worst cpustats: 4-column line", sorted(cs[0]),
             sorted(["type", "cpu", "user", "nice", "system", "idle"]))
        t.eq("worst cpustats: ms", (cs[0]["user"], cs[1]["guestnice"]),
             (1000, 160))
        ds = {d["name"]: d["stats"] for d in
              c.cmd("guest-get-diskstats")["return"]}
        t.eq("worst diskstats columns", (len(ds["sda1"]), len(ds["vdb"]),
                                         len(ds["vdb1"])), (4, 11, 17))
        ms = c.cmd("guest-get-memory-stats")["return"]
        t.eq("worst memory-stats without MemAvailable", ms,
             {"total": 1024000, "free": 512000, "buffers": 10240,
              "cached": 20480, "swap-total": 0, "swap-free": 0})
        t.eq("worst users: truncated utmp", c.cmd("guest-get-users"),
             {"return": [{"user": "root", "login-time": 1700000000}]})
        rt = c.cmd("guest-network-get-route")["return"]
        t.eq("worst route: fixture", [(r["iface"], r["gateway"], r["metric"])
                                      for r in rt],
             [("eth0", "192.168.0.1", 100)])
        t.eq("worst osinfo: fakeroot os-release",
             c.cmd("guest-get-osinfo")["return"].get("name"), "Fake OS")
        t.ok("worst fakeroot: alive", a.alive())


def garbage_root():
    """Random bytes (seeded) and long lines in every file the collectors
    parse: every command still answers and the agent lives."""
    import random
    rnd = random.Random(3)
    files = ["/proc/self/mountinfo", "/proc/stat", "/proc/diskstats",
             "/proc/meminfo", "/proc/loadavg", "/proc/net/route",
             "/proc/net/ipv6_route", "/proc/net/dev", "/proc/vmstat",
             "/etc/os-release", "/var/run/utmp",
             "/sys/devices/system/memory/block_size_bytes",
             "/sys/devices/system/memory/memory0/state",
             "/sys/devices/system/cpu/cpu0/online"]
    for round_ in range(3):
        root = tempfile.mkdtemp(prefix="onega-junk-")
        for f in files:
            junk = bytes(rnd.choice(b" :-\\\n\t0123456789abcdefx\x00\xff")
                         for _ in range(rnd.randint(0, 70000)))
            put(root, f, junk if round_ else b"x" * 100000)
        with infolib.agent(env={"VERBS_ROOT": root,
                            "QGA_OS_RELEASE": root + "/etc/os-release"}) as a:
            every_command(a.qga(timeout=60), "garbage %d" % round_)
            t.ok("worst garbage %d: alive" % round_, a.alive())


def lonely_lo():
    with infolib.NetNS() as ns:
        with infolib.onega_in_ns(ns.name) as a:
            c = a.qga()
            t.eq("worst netns: only lo, down",
                 c.cmd("guest-network-get-interfaces"),
                 {"return": [{"name": "lo",
                              "hardware-address": "00:00:00:00:00:00"}]})
            rt = c.cmd("guest-network-get-route")["return"]
            t.ok("worst netns: no routes but the kernel's lo rejects",
                 all(r["iface"] == "lo" and r["version"] == 6 for r in rt), rt)
        batch = "".join("link add vethB%d type veth peer name e%d\n"
                        "addr add 10.%d.%d.1/24 dev e%d\n" % (
                            i, i, i // 250, i % 250, i) for i in range(1000))
        ns.ip(batch=batch)
        with infolib.onega_in_ns(ns.name,
                                 conf="[general]\nexclude-interfaces=vethB*\n"
                                 ) as a:
            c = a.qga(timeout=60)
            r = c.cmd("guest-network-get-interfaces")["return"]
            t.eq("worst netns: 2000 interfaces, 1000 excluded", len(r), 1001)
            t.ok("worst netns: addresses kept", all(
                i["ip-addresses"][0]["prefix"] == 24 for i in r
                if i["name"] != "lo"), r[:2])


empty_root()
fakeroot()
garbage_root()
if infolib.netns_works():
    lonely_lo()
else:
    t.skip("worst netns", "cannot create network namespaces")
t.done()
