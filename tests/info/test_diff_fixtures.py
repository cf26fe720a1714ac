"""Issue 3, differential with fixtures: os-release quoting (QGA_OS_RELEASE),
time zones (TZ), utmp contents (private /run), and a network namespace with
veth pairs, aliases and IPv6, each given to onega and qemu-ga 7.2 alike."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
import lib
import infolib

t = lib.T()

OS_RELEASES = {
    "debian": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian"\n'
              'VERSION_ID="12"\nID=debian\n',
    "unquoted": "ID=fedora linux\nNAME=Fedora;x\nVERSION_ID=39\n",
    "escapes": 'NAME="a \\"quoted\\" \\$x \\\\ \\`y\\` \\q"\nID="x"y\n'
               'PRETTY_NAME=\'single quoted\'\n# comment\n\n  VARIANT = "sp" \n',
    "empty": "",
    "broken": "ID=ok\nthis line has no equals sign\nNAME=x\n",
    "dup": "ID=a\nID=b\nVARIANT_ID=\nVARIANT=\"\"\n",
}


def osinfo_cases():
    d = tempfile.mkdtemp(prefix="onega-os-")
    path = os.path.join(d, "os-release")
    with open(path, "w") as f:
        f.write("ID=x\n")
    env = {"QGA_OS_RELEASE": path}
    with infolib.RefAgent(env=env) as ref, infolib.agent(env=env) as a:
        rc, oc = ref.qga(), a.qga()
        for name, text in OS_RELEASES.items():
            with open(path, "w") as f:
                f.write(text)
            r, o = rc.cmd("guest-get-osinfo"), oc.cmd("guest-get-osinfo")
            t.eq("fixture osinfo %s" % name, o, r)


def tz_cases():
    for tz in ("Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "UTC"):
        if not os.path.exists("/usr/share/zoneinfo/" + tz):
            continue
        env = {"TZ": tz}
        with infolib.RefAgent(env=env) as ref, infolib.agent(env=env) as a:
            r = ref.qga().cmd("guest-get-timezone")
            o = a.qga().cmd("guest-get-timezone")
            t.eq("fixture timezone %s" % tz, o, r)


def utmp_cases():
    recs = [
        infolib.utmp_record(infolib.USER_PROCESS, "alice", 1700000300, 250),
        infolib.utmp_record(infolib.USER_PROCESS, "bob", 1700000100, 999999),
        infolib.utmp_record(infolib.USER_PROCESS, "alice", 1700000200, 5),
        infolib.utmp_record(infolib.DEAD_PROCESS, "carol", 1600000000, 0),
        infolib.utmp_record(infolib.LOGIN_PROCESS, "LOGIN", 1600000000, 0),
        infolib.utmp_record(infolib.USER_PROCESS, "x" * 32, 1700000400, 1),
    ]
    d = tempfile.mkdtemp(prefix="onega-utmp-")
    path = os.path.join(d, "utmp")
    with open(path, "wb") as f:
        f.write(b"".join(recs))
    ref_w = infolib.private_run_wrapper(infolib.QEMU_GA, path)
    on_w = infolib.private_run_wrapper(lib.AGENT, path)
    old_q, old_a = infolib.QEMU_GA, lib.AGENT
    infolib.QEMU_GA, lib.AGENT = ref_w, on_w
    try:
        with infolib.RefAgent() as ref, infolib.agent() as a:
            r = ref.qga().cmd("guest-get-users")
            o = a.qga().cmd("guest-get-users")
    finally:
        infolib.QEMU_GA, lib.AGENT = old_q, old_a
    # A 32-byte ut_user has no NUL: qemu-ga reads on into ut_host (its
    # bug); onega stops at the field's end.
    key = lambda u: u["user"]
    short = lambda v: sorted([u for u in v if len(u["user"]) < 32], key=key)
    t.eq("fixture users", short(o.get("return", [])),
         short(r.get("return", [])))
    t.ok("fixture users 32-byte name", "x" * 32 in
         [u["user"] for u in o.get("return", [])], o)
    t.ok("fixture users earliest login", {"user": "alice",
         "login-time": 1700000200.000005} in o.get("return", []), o)


def mounts_case(n=600):
    """n bind mounts of a directory on the root disk (names with a blank or
    a backslash), in a private mount namespace per agent."""
    base = tempfile.mkdtemp(prefix="onega-binds-")
    old_q, old_a = infolib.QEMU_GA, lib.AGENT
    infolib.QEMU_GA = infolib.bind_wrapper(old_q, n, base)
    lib.AGENT = infolib.bind_wrapper(old_a, n, base)
    try:
        with infolib.RefAgent() as ref, infolib.agent() as a:
            r = ref.qga(timeout=120).cmd("guest-get-fsinfo")
            o = a.qga(timeout=120).cmd("guest-get-fsinfo")
    finally:
        infolib.QEMU_GA, lib.AGENT = old_q, old_a
    key = lambda v: [(f["mountpoint"], f["type"], f["name"]) for f in v]
    t.eq("fixture %d bind mounts: same list, same order" % n,
         key(o.get("return", [])), key(r.get("return", [])))
    got = [f["mountpoint"] for f in o.get("return", [])]
    t.ok("fixture bind mounts: escaped names decoded",
         base + "/m 3" in got and base + "/back\\slash" in got, got[:3])


NET_SETUP = """link add vethA0 type veth peer name eth1
link add vethA1 type veth peer name eth2
link add docker0 type veth peer name br-x
link set lo up
link set eth1 up
link set eth2 up
addr add 10.1.0.2/24 dev eth1
addr add 10.1.0.5/16 dev eth1 label eth1:1
addr add fd01::2/64 dev eth1 nodad
addr add 10.2.0.2/30 dev eth2
addr add 192.168.7.1/32 dev docker0
route add default via 10.2.0.1 dev eth2
"""


def netns_cases():
    with infolib.NetNS() as ns:
        ns.ip(batch=NET_SETUP)
        with infolib.RefAgent(ns=ns.name) as ref, \
                infolib.onega_in_ns(ns.name) as a:
            r = ref.qga().cmd("guest-network-get-interfaces")["return"]
            o = a.qga().cmd("guest-network-get-interfaces")["return"]
        strip = lambda v: sorted(
            [{k: x for k, x in i.items() if k != "statistics"} for i in v],
            key=lambda i: i["name"])
        t.eq("fixture netns interfaces", strip(o), strip(r))
        stats = lambda v: sorted((i["name"], sorted(i.get("statistics", {})))
                                 for i in v)
        t.eq("fixture netns statistics members", stats(o), stats(r))
        # The default route's interface first (issue 3), the rest in
        # getifaddrs order as qemu-ga lists them.
        names = lambda v: [i["name"] for i in v]
        t.eq("fixture netns default route first", o[0]["name"], "eth2")
        t.eq("fixture netns the rest in qemu-ga's order", names(o[1:]),
             [n for n in names(r) if n != "eth2"])
        # The default route moves: the next listing follows at once (the
        # agent keeps the answer until the kernel announces a change).
        with infolib.onega_in_ns(ns.name) as a:
            c = a.qga()
            t.eq("default route: first listing", names(c.cmd(
                "guest-network-get-interfaces")["return"])[0], "eth2")
            ns.ip("route", "replace", "default", "via", "10.1.0.1", "dev",
                  "eth1")
            t.eq("default route moved to eth1: listed first", names(c.cmd(
                "guest-network-get-interfaces")["return"])[0], "eth1")
            ns.ip("route", "del", "default")
            t.eq("no default route: qemu-ga's order", names(c.cmd(
                "guest-network-get-interfaces")["return"]), names(r))
            ns.ip("route", "add", "default", "via", "10.2.0.1", "dev", "eth2")
        excl = "[general]\nexclude-interfaces=vethA*, docker*,br-*\n"
        with infolib.onega_in_ns(ns.name, conf=excl) as a:
            o = a.qga().cmd("guest-network-get-interfaces")["return"]
        t.eq("fixture netns exclude-interfaces",
             sorted(i["name"] for i in o), ["eth1", "eth1:1", "eth2", "lo"])
        with infolib.onega_in_ns(ns.name, conf="[general]\n"
                                 "exclude-interfaces=@containers\n") as a:
            o = a.qga().cmd("guest-network-get-interfaces")["return"]
        t.eq("fixture netns exclude-interfaces=@containers",
             sorted(i["name"] for i in o), ["eth1", "eth1:1", "eth2", "lo"])


def main():
    if not infolib.have_qemu_ga():
        t.skip("fixture", "qemu-guest-agent not installed (tests/setup.sh)")
        return
    osinfo_cases()
    tz_cases()
    utmp_cases()
    mounts_case()
    if infolib.netns_works():
        netns_cases()
    else:
        t.skip("fixture netns", "cannot create network namespaces")


main()
t.done()
