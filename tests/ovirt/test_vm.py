"""oVirt channel inside a real guest: the emulated VDSM peer on QEMU's
ovirt-guest-agent.0 chardev (as VDSM connects to it), negotiation, every
message's types, commands, bad input, the disk mapping from a virtio-blk
serial, and a host that leaves and comes back over virtio-serial."""
import json
import os
import shutil
import subprocess
import tempfile

import lib
import vmlib
from vdsm import Vdsm, REFRESH

t = lib.T()
why = vmlib.skip_reason()
if why:
    t.skip("ovirt_vm", why)
    t.done()
    raise SystemExit(0)

fx = tempfile.mkdtemp(prefix="onega-ovvm-")
disks = []
if shutil.which("mkfs.ext4"):
    img = os.path.join(fx, "data.img")
    with open(img, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
    disks = [{"path": img, "mount": "/data", "serial": "ovirt-serial-42"}]
conf = "[ovirt]\nheartbeat=0.5\nhook_timeout_ms=2000\nset_cpus=true\n"
with vmlib.VM(conf=conf, disks=disks, qemu_args=["-smp", "2"],
              machine="pc") as vm:
    path = vm.port_path(vmlib.OVIRT_PORT)
    p = Vdsm(path, timeout=30)
    p.wait(lambda: p.api_sent == [3] and p.count("os-info") >= 1, 60,
           "negotiation in the guest")
    t.eq("vm_first_beats", p.beats[:2], [0, 3])
    n = [i for i, x in enumerate(p.lines) if x[1] == "os-info"][0]
    start = max(i for i, x in enumerate(p.lines[:n])
                if x[1] == "session-startup")
    t.eq("vm_v3_refresh", p.seq_after(start, REFRESH), REFRESH)
    d = p.last("disks-usage")
    if disks:
        t.eq("vm_mapping_serial", d["mapping"].get("ovirt-serial-42"),
             {"name": "/dev/vda"})
        t.ok("vm_disk_data", any(x["path"] == "/data" and x["fs"] == "ext4"
                                 for x in d["disks"]), d)
    c = vm.qga()
    t.eq("vm_os_version_eq_qga", p.last("os-version")["version"],
         c.cmd("guest-get-osinfo")["return"]["kernel-release"])

    # Commands and bad input over virtio-serial.
    k = len(p.lines)
    p.send_raw(b"garbage\n[]\n{\"__name__\":\"nosuch\"}\n")
    big = json.dumps({"__name__": "echo", "pad": "y" * (2 << 20)})
    p.send_raw(big.encode() + b"\n")
    p.send("echo", token="vm")
    p.send("lifecycle-event", type="before_hibernation", reply_id="vm-1")
    p.send("set-number-of-cpus", count=1)
    p.wait(lambda: p.count("completion", k) >= 1 and
           p.count("number-of-cpus", k) >= 1, 60, "command answers")
    echoes = [a for (_, nm, a, _) in p.lines[k:] if nm == "echo"]
    t.eq("vm_echo_only_small", echoes, [{"token": "vm"}])
    t.eq("vm_completion_no_hooks_dir", p.last("completion"),
         {"reply_id": "vm-1", "done": True})
    t.eq("vm_cpus", p.last("number-of-cpus")["count"],
         sum(1 for v in c.cmd("guest-get-vcpus")["return"] if v["online"]))
    # set_cpus=true: the count is applied through the vCPU verbs.
    online = lambda: sum(1 for v in c.cmd("guest-get-vcpus")["return"]
                         if v["online"])
    if len(c.cmd("guest-get-vcpus")["return"]) == 2:
        for i, want in enumerate((2, 1, 2)):
            k = len(p.lines)
            p.send("set-number-of-cpus", count=want)
            got = p.wait_name("number-of-cpus", k, timeout=60)
            t.eq("vm_set_cpus_%d_%d" % (i, want), (got["count"], online()),
                 (want, want))
    else:
        t.ok("vm_two_cpus", False, c.cmd("guest-get-vcpus"))
    t.eq("vm_peer_failures", p.failures, [])

    # The host leaves and comes back: VDSM's refresh brings everything.
    p.close()
    p2 = Vdsm(path, initial=3, agent_api=3, timeout=30)
    p2.wait(lambda: p2.count("os-info") >= 1 and len(p2.beats) >= 1, 60,
            "refresh after reconnect")
    t.eq("vm_reconnect_refresh", p2.seq_after(0, REFRESH), REFRESH)
    t.ok("vm_reconnect_beats_3", all(b == 3 for b in p2.beats), p2.beats)
    t.eq("vm_reconnect_failures", p2.failures, [])
    # shutdown with VDSM's types: the guest powers off after the delay.
    p2.send("shutdown", timeout=1, message="bye", reboot="False")
    code = vm.wait_exit(60)
    t.eq("vm_ovirt_shutdown_exit", code, 0)
    t.ok("vm_ovirt_shutdown_clean", "reboot: Power down" in vm.console(),
         vm.console()[-300:])
    p2.close()
shutil.rmtree(fx, ignore_errors=True)
t.done()
