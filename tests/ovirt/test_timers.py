"""oVirt channel: the periodic schedule with shortened intervals, active-user
only on change, a window with no host (no spin, nothing lost), and
disconnect/reconnect (refresh resends everything)."""
import os
import shutil
import struct
import tempfile
import time

import ovlib
import lib
from vdsm import Vdsm, STARTUP, REFRESH, gated

t = lib.T()
fx = tempfile.mkdtemp(prefix="onega-ovtm-")
root = os.path.join(fx, "root")
os.makedirs(os.path.join(root, "var/run"))
for d in ("proc", "sys", "etc", "dev", "usr", "run"):
    os.symlink("/" + d, os.path.join(root, d))
os.symlink("/var/lib", os.path.join(root, "var/lib"))
utmp = os.path.join(root, "var/run/utmp")
UT = struct.Struct("<hxxi32s4s32s256shhiii4i20s")   # glibc struct utmp


def set_users(names):
    with open(utmp + ".new", "wb") as f:
        for i, n in enumerate(names):
            f.write(UT.pack(7, 100 + i, b"pts/%d" % i, b"p%d" % i,
                            n.encode(), b"", 0, 0, 0, 1700000000, 0,
                            0, 0, 0, 0, b""))
    os.rename(utmp + ".new", utmp)


set_users([])
rates = ("heartbeat=0.4\nusers=0.5\napps=1\ndisks=1.1\n"
         "report_num_cpu_rate=0.9\n")
with ovlib.agent(rates, env={"VERBS_ROOT": root}, args=["-v"]) as a:
    # No host yet: the agent waits without spinning.
    lib.wait_for(lambda: os.path.exists(a.ovsock), 10, "oVirt socket")
    c0 = a.cpu_ticks()
    time.sleep(2.0)     # the measured idle window, not a synchronisation
    idle = a.cpu_ticks() - c0
    t.ok("no_host_no_spin", idle <= 10, "%d ticks in 2 s" % idle)

    # The host arrives late: nothing of the start-up is lost.
    p = Vdsm(a.ovsock)
    want0 = gated(STARTUP, 0) + gated(REFRESH, 0)
    p.wait(lambda: p.count("fqdn") >= 2, what="start-up and refresh")
    t.eq("late_host_gets_startup",
         [n for n in p.names() if n != "heartbeat"][:len(want0)], want0)
    t.eq("first_beat_0_after_late_host", p.wait(
        lambda: len(p.beats) >= 2) and p.beats[:2], [0, 3])
    p.wait(lambda: p.count("os-info") >= 1, what="v3 refresh")

    # The schedule, with the intervals shortened through the config.
    n = len(p.lines)
    p.drain(4.5)
    got = {k: p.count(k, n) for k in set(p.names(n))}
    t.ok("heartbeat_periodic", got.get("heartbeat", 0) >= 5, got)
    for k in ("applications", "containers", "host-name", "os-version",
              "network-interfaces", "fqdn", "disks-usage",
              "number-of-cpus"):
        t.ok("periodic_" + k, got.get(k, 0) >= 2, got)
    for k in ("timezone", "os-info", "session-startup", "active-user"):
        t.eq("not_periodic_" + k, got.get(k, 0), 0)
    group = ["applications", "containers", "host-name", "os-version",
             "network-interfaces", "fqdn"]
    t.eq("apps_group_order", p.seq_after(n, group)[:6], group)

    # active-user: sent when it changes, once, the first name in order.
    n = len(p.lines)
    set_users(["zed", "amy"])
    u = p.wait_name("active-user", n)
    t.eq("active_user_changed", u, {"name": "amy"})
    p.drain(1.5)
    t.eq("active_user_once", p.count("active-user", n), 1)
    n = len(p.lines)
    set_users([])
    t.eq("active_user_none", p.wait_name("active-user", n),
         {"name": "None"})
    t.eq("peer_failures", p.failures, [])

    # Disconnect and reconnect: refresh resends everything at v3.
    p.close()
    lib.wait_for(lambda: a.stderr().count("host disconnected") >= 1, 10,
                 "disconnect seen")
    c0 = a.cpu_ticks()
    time.sleep(1.5)     # measured window with no host
    t.ok("disconnected_no_spin", a.cpu_ticks() - c0 <= 10,
         a.cpu_ticks() - c0)
    p2 = Vdsm(a.ovsock, initial=3, agent_api=3)
    p2.wait(lambda: p2.count("os-info") >= 1 and len(p2.beats) >= 2,
            what="refresh after reconnect")
    t.eq("reconnect_refresh_v3", p2.seq_after(0, REFRESH), REFRESH)
    nb = [x for x in p2.names() if x != "heartbeat"]
    t.eq("reconnect_no_second_startup", nb[:2],
         ["session-startup", "active-user"])
    t.ok("reconnect_beats_3", all(b == 3 for b in p2.beats), p2.beats)
    t.eq("reconnect_no_renegotiation", p2.api_sent, [])
    t.eq("peer_failures_reconnect", p2.failures, [])
    p2.close()
shutil.rmtree(fx, ignore_errors=True)
t.done()
