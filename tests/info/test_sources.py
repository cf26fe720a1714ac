"""Issue 3: values checked against independent sources (/proc, /sys,
statvfs, the socket interface list) and against qemu-ga's schema, for every
command, including those newer than 7.2 (guest-get-load,
guest-network-get-route) and the extension guest-get-memory-stats."""
import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
import lib
import infolib

t = lib.T()

MINE = ["guest-get-osinfo", "guest-get-host-name", "guest-get-timezone",
        "guest-get-users", "guest-get-time", "guest-get-vcpus",
        "guest-get-memory-blocks", "guest-get-memory-block-info",
        "guest-get-fsinfo", "guest-get-disks", "guest-get-diskstats",
        "guest-get-cpustats", "guest-get-load", "guest-network-get-interfaces",
        "guest-network-get-route", "guest-get-memory-stats"]


def meminfo():
    out = {}
    for line in open("/proc/meminfo"):
        k, v = line.split(":", 1)
        out[k] = int(v.split()[0]) * 1024
    return out


def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_info(c):
    info = c.cmd("guest-info")["return"]
    cmds = {x["name"]: x for x in info["supported_commands"]}
    missing = [n for n in MINE if n not in cmds or not cmds[n]["enabled"]]
    t.ok("sources guest-info lists every command", not missing, missing)


def check_load(c):
    r = c.cmd("guest-get-load")["return"]
    want = [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    got = [r["load1m"], r["load5m"], r["load15m"]]
    t.ok("sources load members", sorted(r) == ["load15m", "load1m", "load5m"]
         and all(isinstance(x, (int, float)) and x >= 0 for x in got), r)
    t.ok("sources load vs /proc/loadavg",
         all(abs(a - b) < 1.0 for a, b in zip(got, want)), (got, want))


def hexip4(h):
    return socket.inet_ntoa(int(h, 16).to_bytes(4, "little"))


def check_route(c):
    r = c.cmd("guest-network-get-route")["return"]
    v4 = [x for x in r if x["version"] == 4]
    v6 = [x for x in r if x["version"] == 6]
    lines4 = [l.split() for l in open("/proc/net/route").readlines()[1:]
              if l.strip()]
    t.eq("sources route v4 count", len(v4), len(lines4))
    want = sorted((l[0], hexip4(l[1]), hexip4(l[2]), hexip4(l[7]))
                  for l in lines4)
    got = sorted((x["iface"], x["destination"], x["gateway"], x["mask"])
                 for x in v4)
    t.eq("sources route v4 values", got, want)
    n6 = 0
    if os.path.exists("/proc/net/ipv6_route"):
        n6 = len([l for l in open("/proc/net/ipv6_route") if l.strip()])
    t.eq("sources route v6 count", len(v6), n6)
    req = {"iface": str, "destination": str, "metric": int, "version": int}
    opt4 = {"gateway": str, "mask": str, "irtt": int, "flags": int,
            "refcnt": int, "use": int, "window": int, "mtu": int}
    opt6 = {"desprefixlen": str, "source": str, "srcprefixlen": str,
            "nexthop": str, "flags": int, "refcnt": int, "use": int}
    bad = []
    for x in r:
        allowed = dict(req, **(opt4 if x["version"] == 4 else opt6))
        for k, ty in req.items():
            if not isinstance(x.get(k), ty):
                bad.append((k, x))
        for k, v in x.items():
            if k not in allowed or not isinstance(v, allowed[k]):
                bad.append((k, x))
    t.ok("sources route schema", not bad, bad[:3])


def check_memstats(c):
    r = c.cmd("guest-get-memory-stats")["return"]
    m = meminfo()
    keys = {"total": "MemTotal", "free": "MemFree",
            "available": "MemAvailable", "buffers": "Buffers",
            "cached": "Cached", "swap-total": "SwapTotal",
            "swap-free": "SwapFree"}
    t.eq("sources memory-stats members", sorted(r), sorted(keys))
    t.ok("sources memory-stats uint64", all(is_uint(v) for v in r.values()),
         r)
    t.eq("sources memory-stats total", r["total"], m["MemTotal"])
    t.eq("sources memory-stats swap-total", r["swap-total"], m["SwapTotal"])
    t.ok("sources memory-stats ordering",
         r["free"] <= r["total"] and r["available"] <= r["total"], r)


def check_ifaces(c):
    r = c.cmd("guest-network-get-interfaces")["return"]
    names = sorted(n for _, n in socket.if_nameindex())
    t.eq("sources interfaces vs if_nameindex",
         sorted(i["name"] for i in r if ":" not in i["name"]), names)
    mac = lambda n: open("/sys/class/net/%s/address" % n).read().strip()
    bad = [i["name"] for i in r if ":" not in i["name"] and
           os.path.exists("/sys/class/net/%s/address" % i["name"]) and
           i["hardware-address"] != mac(i["name"])]
    t.ok("sources interfaces MAC vs sysfs", not bad, bad)


def check_fsinfo(c):
    r = c.cmd("guest-get-fsinfo")["return"]
    root = [f for f in r if f["mountpoint"] == "/"]
    if not t.ok("sources fsinfo has /", len(root) == 1, r):
        return
    f, s = root[0], os.statvfs("/")
    t.eq("sources fsinfo total-bytes-privileged",
         f["total-bytes-privileged"], s.f_blocks * s.f_frsize)
    t.eq("sources fsinfo total-bytes", f["total-bytes"],
         (s.f_blocks - s.f_bfree + s.f_bavail) * s.f_frsize)
    t.ok("sources fsinfo used <= total", f["used-bytes"] <= f["total-bytes"],
         f)
    mounts = [l.split() for l in open("/proc/self/mountinfo")]
    blocks = [m for m in mounts if not m[2].startswith("0:")]
    t.eq("sources fsinfo count = block mounts", len(r), len(blocks))


def check_vcpus(c):
    r = c.cmd("guest-get-vcpus")["return"]
    ids = sorted(int(d[3:]) for d in os.listdir("/sys/devices/system/cpu")
                 if re.fullmatch(r"cpu\d+", d))
    t.eq("sources vcpus ids", sorted(x["logical-id"] for x in r), ids)
    t.ok("sources vcpus can-offline always",
         all(isinstance(x.get("can-offline"), bool) for x in r), r)


def check_cpustats(c):
    before = {}
    for l in open("/proc/stat"):
        m = re.match(r"cpu(\d+) (\d+)", l)
        if m:
            before[int(m.group(1))] = int(m.group(2))
    tck = os.sysconf("SC_CLK_TCK")
    r = c.cmd("guest-get-cpustats")["return"]
    t.eq("sources cpustats cpus", sorted(x["cpu"] for x in r), sorted(before))
    t.ok("sources cpustats user in ms",
         all(x["user"] >= before[x["cpu"]] * 1000 // tck for x in r), r)


def check_disks(c):
    r = c.cmd("guest-get-disks")["return"]
    want = sorted("/dev/" + d for d in os.listdir("/sys/block")
                  if int(open("/sys/block/%s/size" % d).read()) > 0)
    t.eq("sources disks", sorted(d["name"] for d in r if not d["partition"]),
         want)
    r = c.cmd("guest-get-diskstats")["return"]
    want = sorted(l.split()[2] for l in open("/proc/diskstats"))
    t.eq("sources diskstats names", sorted(d["name"] for d in r), want)


def check_misc(c):
    r = c.cmd("guest-get-memory-block-info")["return"]
    bs = int(open("/sys/devices/system/memory/block_size_bytes").read(), 16)
    t.eq("sources memory-block-info", r, {"size": bs})
    lo = time.time_ns() // 1000 * 1000
    r = c.cmd("guest-get-time")["return"]
    hi = time.time_ns()
    t.ok("sources time within the call", lo <= r <= hi, (lo, r, hi))
    r = c.cmd("guest-get-host-name")["return"]
    t.eq("sources host-name", r, {"host-name": socket.gethostname()})


with infolib.agent() as a:
    c = a.qga()
    check_info(c)
    check_load(c)
    check_route(c)
    check_memstats(c)
    check_ifaces(c)
    check_fsinfo(c)
    check_vcpus(c)
    check_cpustats(c)
    check_disks(c)
    check_misc(c)
    t.ok("sources onega alive", a.alive())
t.done()
