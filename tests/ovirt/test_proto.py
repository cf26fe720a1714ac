"""oVirt channel: start-up, negotiation and every message, checked by the
emulated VDSM peer, and the same facts as the qemu-ga channel."""
import ovlib
import lib
from vdsm import Vdsm, STARTUP, REFRESH, gated

t = lib.T()

with ovlib.agent("heartbeat=0.5\n") as a:
    p = Vdsm(a.ovsock)
    # t=0: the start-up batch, then the refresh VDSM sent on connect (v0).
    want0 = gated(STARTUP, 0) + gated(REFRESH, 0)
    p.wait(lambda: p.count("fqdn") >= 2, what="start-up and refresh")
    got = [n for n in p.names() if n != "heartbeat"][:len(want0)]
    t.eq("startup_then_refresh_v0", got, want0)
    # Negotiation: first heartbeat 0, then 3, which makes VDSM send
    # api-version 3 exactly once and the agent answer with a v3 refresh.
    p.wait(lambda: len(p.beats) >= 2, what="two heartbeats")
    t.eq("first_heartbeat_says_0", p.beats[:2], [0, 3])
    n = len(p.lines)
    p.wait(lambda: p.count("os-info", n) >= 1, what="v3 refresh")
    t.eq("api_version_sent_once", p.api_sent, [3])
    t.eq("v3_refresh_order", p.seq_after(n, REFRESH), REFRESH)
    p.drain(1.2)
    t.ok("later_heartbeats_say_3", p.beats[1:] and
         all(b == 3 for b in p.beats[1:]), p.beats)
    t.eq("api_version_still_once", p.api_sent, [3])
    # Fields and types: the peer checked every line.
    t.eq("peer_failures", p.failures, [])
    for name in set(REFRESH) | {"heartbeat"}:
        t.ok("seen_" + name, p.count(name) >= 1, p.names())
    hb = p.last("heartbeat")
    t.ok("free_ram_is_mib_string",
         isinstance(hb["free-ram"], str) and
         int(hb["free-ram"]) * 1024 <= hb["memory-stat"]["mem_free"] + 1024,
         hb)
    t.ok("memory_stat_consistent",
         hb["memory-stat"]["mem_unused"] <= hb["memory-stat"]["mem_free"]
         <= hb["memory-stat"]["mem_total"], hb)
    apps = p.last("applications")["applications"]
    t.ok("applications_own_entry",
         any(x.startswith("qemu-guest-agent-") for x in apps), apps)
    t.ok("applications_kernel", any(x.startswith("kernel-") for x in apps),
         apps)
    raw = [r for (_, nm, _, r) in p.lines if nm == "disks-usage"][-1]
    t.ok("disks_no_exponent", b"e+" not in raw and b"E+" not in raw, raw)

    # The same facts on the qemu-ga channel.
    c = a.qga()
    osi = c.cmd("guest-get-osinfo")["return"]
    t.eq("os_version_eq_qga", p.last("os-version")["version"],
         osi["kernel-release"])
    oi = p.last("os-info")
    t.eq("os_info_eq_qga", (oi["kernel"], oi["distribution"], oi["version"]),
         (osi["kernel-release"], osi.get("name", ""),
          osi.get("version-id", "")))
    host = c.cmd("guest-get-host-name")["return"]["host-name"]
    fq = p.last("fqdn")["fqdn"]
    t.ok("fqdn_eq_qga", fq == host or fq.startswith(host + "."), (fq, host))
    t.eq("host_name_is_fqdn", p.last("host-name")["name"], fq)
    vc = c.cmd("guest-get-vcpus")["return"]
    p.send("set-number-of-cpus", count=1)
    cpus = p.wait_name("number-of-cpus")
    t.eq("cpus_eq_qga", cpus["count"], sum(1 for v in vc if v["online"]))
    tz = c.cmd("guest-get-timezone")["return"]
    t.eq("timezone_offset_eq_qga", p.last("timezone")["offset"] * 60,
         tz["offset"])
    users = c.cmd("guest-get-users")["return"]
    names = sorted(u["user"] for u in users)
    t.eq("active_user_eq_qga", p.last("active-user")["name"],
         names[0] if names else "None")
    qif = {i["name"]: i for i in c.cmd(
        "guest-network-get-interfaces")["return"]}
    bad = []
    for i in p.last("network-interfaces")["interfaces"]:
        q = qif.get(i["name"])
        qa = sorted(x["ip-address"] for x in (q or {}).get(
            "ip-addresses", []))
        if q is None or sorted(i["inet"] + i["inet6"]) != qa or \
                q.get("hardware-address", i["hw"]) != i["hw"]:
            bad.append((i, q))
    t.eq("interfaces_eq_qga", bad, [])
    t.ok("no_loopback", all(i["name"] != "lo" for i in p.last(
        "network-interfaces")["interfaces"]), "lo reported")
    fs = c.cmd("guest-get-fsinfo")["return"]
    mounts = {f["mountpoint"] for f in fs}
    paths = {d["path"] for d in p.last("disks-usage")["disks"]}
    t.ok("disks_root_on_both", "/" not in mounts or "/" in paths,
         (paths, mounts))
    serials = set()
    for d in c.cmd("guest-get-disks")["return"]:
        if d.get("address", {}).get("serial"):
            serials.add(d["address"]["serial"])
    t.ok("mapping_serials_from_qga",
         set(p.last("disks-usage")["mapping"]) == serials,
         (p.last("disks-usage")["mapping"], serials))
    t.eq("peer_failures_end", p.failures, [])
    p.close()

# A restarted agent and a VDSM still at 3 (guestAgentAPIVersion): the first
# beat's 0 pulls VDSM down, the next 3 brings api-version and a v3 refresh.
with ovlib.agent("heartbeat=0.5\n") as a:
    p = Vdsm(a.ovsock, initial=3, agent_api=0)
    p.wait(lambda: p.api_sent == [3] and p.count("os-info") >= 1,
           what="renegotiation after restart")
    t.eq("restart_beats", p.beats[:2], [0, 3])
    t.eq("restart_effective", p.effective, 3)
    t.eq("peer_failures_restart", p.failures, [])
    p.close()
t.done()
