"""Issue 3: every information command both agents implement gives the same
members with the same types, and equal values where they are deterministic,
on onega and on Debian's qemu-ga 7.2 started next to it."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
import lib
import infolib

t = lib.T()

# Members onega adds on purpose: newer than 7.2 (total-bytes-privileged,
# QEMU 9.1), or only visible to qemu-ga through udev's database (serial,
# which this machine lacks: no /run/udev/data).
EXTRA = ("total-bytes-privileged",)
if not os.path.isdir("/run/udev/data"):
    EXTRA += ("serial",)


def by(key):
    return lambda v: sorted(v, key=key) if isinstance(v, list) else v


def strip(v, names):
    """v without members in names, recursively."""
    if isinstance(v, dict):
        return {k: strip(x, names) for k, x in v.items() if k not in names}
    if isinstance(v, list):
        return [strip(x, names) for x in v]
    return v


def ifaces(v):
    out = {}
    for i in v:
        out[i["name"]] = {
            "hw": i.get("hardware-address"),
            "addrs": sorted((a["ip-address"], a["ip-address-type"],
                             a["prefix"]) for a in i.get("ip-addresses", [])),
            "stats": sorted(i.get("statistics", {}).keys()),
        }
    return out


def fsinfo(v):
    return sorted(infolib.dump([f["name"], f["mountpoint"], f["type"],
                               f.get("total-bytes"),
                               strip(f["disk"], EXTRA)]) for f in v)


def keysets(v, key):
    return sorted((x[key], tuple(sorted(x.keys()))) for x in v)


# command: (normaliser before the shape check, deterministic value or None)
CMDS = {
    "guest-get-osinfo": (None, lambda v: v),
    "guest-get-host-name": (None, lambda v: v),
    "guest-get-timezone": (None, lambda v: v),
    "guest-get-users": (by(lambda u: u["user"]),
                        lambda v: sorted(u["user"] for u in v)),
    "guest-get-time": (None, None),
    "guest-get-vcpus": (by(lambda c: c["logical-id"]),
                        lambda v: sorted(infolib.dump(c) for c in v)),
    "guest-get-memory-blocks": (by(lambda m: m["phys-index"]),
                                lambda v: sorted(infolib.dump(m) for m in v)),
    "guest-get-memory-block-info": (None, lambda v: v),
    "guest-get-fsinfo": (by(lambda f: f["mountpoint"]), fsinfo),
    "guest-get-disks": (by(lambda d: d["name"]),
                        lambda v: sorted(infolib.dump(strip(d, EXTRA))
                                         for d in v)),
    "guest-get-diskstats": (by(lambda d: d["name"]),
                            lambda v: sorted(
                                (d["name"], d["major"], d["minor"],
                                 tuple(sorted(d["stats"]))) for d in v)),
    "guest-get-cpustats": (by(lambda c: c["cpu"]),
                           lambda v: keysets(v, "cpu")),
    "guest-network-get-interfaces": (by(lambda i: i["name"]), ifaces),
    "guest-get-load": (None, None),
    "guest-network-get-route": (None, None),
}


def compare(name, ref, got):
    norm, value = CMDS[name]
    if "error" in ref:
        if ref["error"].get("class") == "CommandNotFound":
            return "newer"	# checked by test_sources.py
        t.ok("diff %s error" % name, "error" in got,
             "qemu-ga: %s, onega: %s" % (ref, got))
        return "error"
    if not t.ok("diff %s ok" % name, "return" in got, got):
        return "fail"
    r, g = ref["return"], got["return"]
    if norm:
        r, g = norm(r), norm(g)
    d = infolib.shape_diff("return", r, g, EXTRA)
    t.ok("diff %s shape" % name, not d, "; ".join(d[:20]))
    if value is not None:
        vr, vg = value(r), value(g)
        t.ok("diff %s values" % name, vr == vg,
             "qemu-ga %s\n  onega %s" % (infolib.dump(vr), infolib.dump(vg)))
    return "same"


def main():
    if not infolib.have_qemu_ga():
        t.skip("diff", "qemu-guest-agent not installed (tests/setup.sh)")
        return
    with infolib.RefAgent() as ref, infolib.agent() as a:
        rc, oc = ref.qga(), a.qga()
        newer = []
        for name in CMDS:
            if compare(name, rc.cmd(name), oc.cmd(name)) == "newer":
                newer.append(name)
        # guest-get-time: both integers, microsecond resolution, close.
        tr, to = rc.cmd("guest-get-time"), oc.cmd("guest-get-time")
        t.ok("diff guest-get-time close",
             abs(tr["return"] - to["return"]) < 60 * 10**9 and
             to["return"] % 1000 == 0, (tr, to))
        t.ok("diff newer-than-7.2 commands known", set(newer) <= {
            "guest-get-load", "guest-network-get-route"}, newer)
        # The same unknown command fails the same way on both.
        er, eo = rc.cmd("guest-get-nothing"), oc.cmd("guest-get-nothing")
        t.eq("diff unknown command class", eo.get("error", {}).get("class"),
             er["error"]["class"])
        t.ok("onega alive", a.alive())


main()
t.done()
