"""SPICE inside the test VM with a raw chunk peer on a socket-backed
com.redhat.spice.0: the uinput tablet maps multi-display coordinates (the
MONITORS_CONFIG layout), buttons and the wheel, read back from evdev; a
broken chunk stream is survived."""
import base64
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib
import vmlib
from spicepeer import *

t = lib.T()
why = vmlib.skip_reason()
if why:
    t.skip("spice-vm-raw", why)
    t.done()
    raise SystemExit(0)

EV_SIZE = 24
EV_SYN, EV_KEY, EV_REL, EV_ABS = 0, 1, 2, 3


def events(raw):
    out = []
    for i in range(0, len(raw) - EV_SIZE + 1, EV_SIZE):
        _, _, typ, code, val = struct.unpack("<qqHHi", raw[i:i + EV_SIZE])
        if typ != EV_SYN:
            out.append((typ, code, val))
    return out


conf = "[ovirt]\nenabled=false\n"
with vmlib.VM(ports=(vmlib.QGA_PORT, vmlib.SPICE_PORT), conf=conf,
              modules=["uinput", "evdev"], args=["-v"]) as vm:
    q = vm.qga()

    def read_all(path):
        h = q.cmd("guest-file-open", {"path": path, "mode": "r"})["return"]
        out = b""
        while True:
            r = q.cmd("guest-file-read", {"handle": h, "count": 65536})
            r = r["return"]
            out += base64.b64decode(r["buf-b64"])
            if r["eof"] or not r["count"]:
                break
        q.cmd("guest-file-close", {"handle": h})
        return out

    def node():
        for block in read_all("/proc/bus/input/devices").decode().split("\n\n"):
            if "spice vdagent tablet" in block:
                return "/dev/input/" + [w for w in block.split()
                                        if w.startswith("event")][0]

    p = Peer(vm.port_path(vmlib.SPICE_PORT))
    p.hello()
    # Two monitors side by side; the tablet spans 1824x768.
    mc = struct.pack("<II", 2, 1) + \
        struct.pack("<IIIii", 768, 1024, 32, 0, 0) + \
        struct.pack("<IIIii", 600, 800, 32, 1024, 0)
    p.send(client_msg(MONITORS_CONFIG, mc))
    t.eq("monitors-reply-no-display", p.expect(REPLY), struct.pack("<II", 2, 2))
    dev = lib.wait_for(node, 20, "tablet")
    absinfo = read_all("/proc/bus/input/devices").decode()
    t.ok("tablet", dev is not None, absinfo)
    h = q.cmd("guest-file-open", {"path": dev, "mode": "r"})["return"]
    ms = [(10, 20, 0, 1), (10, 20, 0x8, 1), (10, 20, 0, 1),
          (10, 20, 0x10, 1), (10, 20, 0, 1), (10, 20, 0x20, 1),
          (10, 20, 0, 1), (5, 5, 0, 7)]        # display 7: unknown, dropped
    for x, y, b, d in ms:
        p.send(server_msg(MOUSE_STATE, struct.pack("<IIIB", x, y, b, d)))
    evs = []

    def got():
        r = q.cmd("guest-file-read", {"handle": h, "count": EV_SIZE * 64})
        if "return" not in r:           # EAGAIN: no event queued yet
            return False
        evs.extend(events(base64.b64decode(r["return"]["buf-b64"])))
        return evs.count((EV_KEY, 0x111, 0)) >= 1 and \
            (EV_REL, 8, -1) in evs
    lib.wait_for(got, 20, "events")
    t.ok("display1-offset", (EV_ABS, 0, 1034) in evs and
         (EV_ABS, 1, 20) in evs, evs)
    t.ok("right-button", (EV_KEY, 0x111, 1) in evs and
         (EV_KEY, 0x111, 0) in evs, evs)
    t.ok("wheel", (EV_REL, 8, 1) in evs and (EV_REL, 8, -1) in evs, evs)
    t.ok("unknown-display-dropped", (EV_ABS, 0, 5) not in evs and
         (EV_ABS, 0, 1029) not in evs, evs)
    q.cmd("guest-file-close", {"handle": h})
    # A broken chunk stream (bad port): the agent survives, a new host
    # attaching gets a fresh caps announcement.
    p.send(struct.pack("<II", 9, 1) + b"x")
    t.eq("alive-after-bad-chunk", q.cmd("guest-ping"), {"return": {}})
    p.close()
    # The guest must see the host go (POLLHUP) before it comes back.
    lib.wait_for(lambda: "[spice] reopening the channel" in vm.console(),
                 20, "the agent to reopen its port")
    # The agent closed and reopened the port when the stream broke; a new
    # host asks for caps as spice-server does when a client attaches.
    p = Peer(vm.port_path(vmlib.SPICE_PORT))
    t.eq("reattach-caps", p.hello()[1], 0x000345E7)
    t.eq("sender-rules", p.violations, [])
    p.close()
t.done()
