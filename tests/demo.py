"""make demo: boot onega as PID 1 of a tiny VM and talk all three protocols.

A stock Debian kernel and a ~300 KB initramfs whose /init is ./onega boot
under QEMU with the qemu-ga, oVirt and SPICE virtio-serial ports; the host
side of each port is a unix socket this script talks to, the way libvirt,
VDSM and spice-server would.  A protocol that is not built in yet prints
"not available" instead of failing.
"""
import json
import os
import selectors
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
import vmlib  # noqa: E402

# spice/vd_agent.h (spice.md 3.2, 5.1)
OS_RELEASE = """NAME="onega demo"
ID=onega-demo
VERSION_ID=%s
PRETTY_NAME="onega demo initramfs (stock Debian kernel)"
"""

VDP_CLIENT_PORT = 1
VD_AGENT_PROTOCOL = 1
VD_AGENT_ANNOUNCE_CAPABILITIES = 6
SPICE_CLIENT_CAPS = 0x00035077		# spice-gtk 0.42 (spice.md 5.4)
SPICE_TYPES = {1: "MOUSE_STATE", 2: "MONITORS_CONFIG", 3: "REPLY",
               4: "CLIPBOARD", 5: "DISPLAY_CONFIG",
               6: "ANNOUNCE_CAPABILITIES", 7: "CLIPBOARD_GRAB",
               8: "CLIPBOARD_REQUEST", 9: "CLIPBOARD_RELEASE",
               10: "FILE_XFER_START", 11: "FILE_XFER_STATUS",
               12: "FILE_XFER_DATA", 13: "CLIENT_DISCONNECTED",
               14: "MAX_CLIPBOARD", 15: "AUDIO_VOLUME_SYNC",
               16: "GRAPHICS_DEVICE_INFO"}
SPICE_CAPS = ["MOUSE_STATE", "MONITORS_CONFIG", "REPLY", "CLIPBOARD",
              "DISPLAY_CONFIG", "CLIPBOARD_BY_DEMAND", "CLIPBOARD_SELECTION",
              "SPARSE_MONITORS_CONFIG", "GUEST_LINEEND_LF",
              "GUEST_LINEEND_CRLF", "MAX_CLIPBOARD", "AUDIO_VOLUME_SYNC",
              "MONITORS_CONFIG_POSITION", "FILE_XFER_DISABLED",
              "FILE_XFER_DETAILED_ERRORS", "GRAPHICS_DEVICE_INFO",
              "CLIPBOARD_NO_RELEASE_ON_REGRAB", "CLIPBOARD_GRAB_SERIAL"]


def say(s=""):
    print(s, flush=True)


def row(k, v):
    say("  %-22s: %s" % (k, v))


def call(c, name, args=None):
    """The return value, or None after printing why it is not there."""
    try:
        r = c.cmd(name, args)
    except (OSError, ValueError, EOFError) as e:
        row(name, "not available (%s)" % e)
        return None
    if "error" in r:
        row(name, "not available (%s)" % r["error"].get("desc"))
        return None
    return r.get("return")


def guestinfo(c):
    """What `virsh guestinfo` shows, from the same agent commands."""
    say("virsh guestinfo, the same way (qemu-ga commands behind it):")
    o = call(c, "guest-get-osinfo")
    if o is not None:
        for k in ("id", "name", "pretty-name", "version", "version-id",
                  "kernel-release", "kernel-version", "machine"):
            if k in o:
                row("os." + k, o[k])
    h = call(c, "guest-get-host-name")
    if h is not None:
        row("hostname", h.get("host-name"))
    tz = call(c, "guest-get-timezone")
    if tz is not None:
        row("timezone.name", tz.get("zone", "-"))
        row("timezone.offset", tz.get("offset"))
    u = call(c, "guest-get-users")
    if u is not None:
        row("user.count", len(u))
        for i, x in enumerate(u):
            row("user.%d.name" % i, x.get("user"))
    fs = call(c, "guest-get-fsinfo")
    if fs is not None:
        row("fs.count", len(fs))
        for i, x in enumerate(fs):
            row("fs.%d" % i, "%s on %s type %s" % (
                x.get("name"), x.get("mountpoint"), x.get("type")))
    ifs = call(c, "guest-network-get-interfaces")
    if ifs is not None:
        row("if.count", len(ifs))
        for i, x in enumerate(ifs):
            addrs = ["%s/%s" % (a.get("ip-address"), a.get("prefix"))
                     for a in x.get("ip-addresses", [])]
            row("if.%d.%s" % (i, x.get("name")), "%s %s" % (
                x.get("hardware-address", "-"), " ".join(addrs)))


def spice_chunk(msg_type, payload):
    msg = struct.pack("<IIQI", VD_AGENT_PROTOCOL, msg_type, 0,
                      len(payload)) + payload
    return struct.pack("<II", VDP_CLIENT_PORT, len(msg)) + msg


def spice_messages(data):
    """Whole messages (port, type, payload) in a chunk stream."""
    chunks, off = {}, 0
    out = []
    while off + 8 <= len(data):
        port, size = struct.unpack_from("<II", data, off)
        if off + 8 + size > len(data):
            break
        chunks[port] = chunks.get(port, b"") + data[off + 8:off + 8 + size]
        off += 8 + size
        buf = chunks[port]
        while len(buf) >= 20:
            _, t, _, n = struct.unpack_from("<IIQI", buf, 0)
            if len(buf) < 20 + n:
                break
            out.append((port, t, buf[20:20 + n]))
            buf = buf[20 + n:]
        chunks[port] = buf
    return out


def collect(socks, until):
    """Read every socket until until(bufs) or its deadline; {name: bytes}."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for name, (s, deadline) in socks.items():
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, name)
        bufs[name] = b""
    open_ = dict(socks)
    while open_:
        now = time.monotonic()
        for name in [n for n, (_, d) in open_.items()
                     if now >= d or until(n, bufs[n])]:
            sel.unregister(open_.pop(name)[0])
        if not open_:
            break
        wait = min(d for _, d in open_.values()) - now
        for key, _ in sel.select(max(0.01, wait)):
            try:
                d = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            if d:
                bufs[key.data] += d
    return bufs


def ovirt_done(lines):
    return any(json.loads(x).get("__name__") == "heartbeat"
               for x in lines if x.startswith(b"{"))


def ovirt_report(data):
    say("oVirt (ovirt-guest-agent.0), as VDSM sees it after 'refresh':")
    lines = [x for x in data.split(b"\n") if x.strip()]
    if not lines:
        say("  not available (no oVirt messages yet)")
        return
    first, count = {}, {}
    for x in lines:
        try:
            m = json.loads(x)
        except ValueError:
            m = {"__name__": "(not JSON)", "line": x[:60].decode(
                errors="replace")}
        name = m.pop("__name__", "?")
        first.setdefault(name, m)
        count[name] = count.get(name, 0) + 1
    for name, m in first.items():
        n = " (x%d)" % count[name] if count[name] > 1 else ""
        row(name + n, json.dumps(m)[:80])
    say("  %d lines in all" % len(lines))


def spice_report(data):
    say("SPICE (com.redhat.spice.0), as spice-server relays a client:")
    row("client caps sent", "0x%08x, request=1" % SPICE_CLIENT_CAPS)
    msgs = spice_messages(data)
    if not msgs:
        say("  not available (no vdagent reply)")
        return
    shown = set()
    for port, t, p in msgs:
        name = SPICE_TYPES.get(t, "type %d" % t)
        if t == VD_AGENT_ANNOUNCE_CAPABILITIES and len(p) >= 8:
            req, caps = struct.unpack_from("<II", p, 0)
            bits = [SPICE_CAPS[i] for i in range(len(SPICE_CAPS))
                    if caps & (1 << i)]
            if caps in shown:
                bits = ["(the same bits)"]
            shown.add(caps)
            row("agent caps", "0x%08x, request=%d%s" % (
                caps, req, " (its announcement)" if req else
                " (reply to ours)"))
            line = ""
            for b in bits:
                if len(line) + len(b) > 50:
                    say("  %-22s  %s" % ("", line))
                    line = ""
                line += (" " if line else "") + b
            say("  %-22s  %s" % ("", line))
        else:
            row(name, "port %d, %d bytes" % (port, len(p)))


def main():
    why = vmlib.skip_reason()
    if why:
        say("demo: cannot run a VM here: %s" % why)
        return 1
    t0 = time.monotonic()
    say("onega demo: %s (%d bytes), guest kernel %s" % (
        lib.AGENT, os.path.getsize(lib.AGENT), vmlib.kernel().version))
    tmp = tempfile.mkdtemp(prefix="onega-demo-")
    try:
        return demo(t0, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def demo(t0, tmp):
    ver = subprocess.run([lib.AGENT, "-V"], stdout=subprocess.PIPE,
                         text=True).stdout.split()
    files = {"/etc/os-release": (OS_RELEASE % (ver[3] if len(ver) > 3
                                               else "?")).encode()}
    disks = []
    if shutil.which("mkfs.ext4"):	# a data disk for guest-get-fsinfo
        img = os.path.join(tmp, "data.img")
        with open(img, "wb") as f:
            f.truncate(16 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "data", img],
                       check=True)
        disks = [{"path": img, "mount": "/data", "serial": "onega-demo"}]
    with vmlib.VM(extra_files=files, disks=disks) as vm:
        say("booted: first qemu-ga reply %.1f s after QEMU started (%s)" %
            (vm.boot_seconds, vm.accel.upper()))
        say()
        # Ask the other two protocols now; their answers queue meanwhile.
        ov = vm.port_socket(vmlib.OVIRT_PORT)
        ov.sendall(b'{"apiVersion": 3, "__name__": "refresh"}\n')
        sp = vm.port_socket(vmlib.SPICE_PORT)
        sp.sendall(spice_chunk(VD_AGENT_ANNOUNCE_CAPABILITIES,
                               struct.pack("<II", 1, SPICE_CLIENT_CAPS)))
        t_ask = time.monotonic()

        c = vm.qga()
        say("qemu-ga (org.qemu.guest_agent.0):")
        info = call(c, "guest-info") or {}
        cmds = [x["name"] for x in info.get("supported_commands", [])
                if x.get("enabled")]
        row("guest-info", "version %s, %d commands enabled" % (
            info.get("version"), len(cmds)))
        say()
        guestinfo(c)
        say()

        def enough(name, buf):
            if name == "ovirt":
                return ovirt_done(buf.split(b"\n")[:-1])
            return any(t == VD_AGENT_ANNOUNCE_CAPABILITIES
                       for _, t, _ in spice_messages(buf))
        bufs = collect({"ovirt": (ov, t_ask + 7.0),
                        "spice": (sp, t_ask + 3.0)}, enough)
        ovirt_report(bufs["ovirt"])
        say()
        spice_report(bufs["spice"])
        say()

        t1 = time.monotonic()
        if "guest-shutdown" in cmds:
            try:
                code = vm.shutdown(30)
                con = vm.console()
                say("guest-shutdown: QEMU exited %d after %.2f s%s" % (
                    code, time.monotonic() - t1,
                    ", guest said 'reboot: Power down'"
                    if "reboot: Power down" in con else ""))
            except TimeoutError:
                say("guest-shutdown: the guest did not power off; "
                    "stopping QEMU")
            except vmlib.VMError as e:
                say("%s; stopping QEMU" % e)
        else:
            say("guest-shutdown: not available; stopping QEMU")
    say("demo done in %.1f s" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
