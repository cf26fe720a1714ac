"""SPICE vdagent over [spice] method=unix-listen, with a raw chunk peer
playing spice-server: caps, clipboard both ways (every byte value, split
chunks, a mouse chunk inside a large message), monitors config replies,
file transfer with hostile names, client disconnect, broken streams."""
import base64
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib
from spicepeer import *

OUR_CAPS = 0x000345E7
t = lib.T()
tmp = None


def conf(a_tmp):
    return ("[ovirt]\nenabled=false\n[spice]\nmethod=unix-listen\n"
            "path=%s/spice.sock\nxfer-dir=%s/dl\ncontrol=%s/clip.sock\n"
            % (a_tmp, a_tmp, a_tmp))


import tempfile
d = tempfile.mkdtemp(prefix="onega-sp-")
os.mkdir(os.path.join(d, "dl"))
blob = bytes(range(256)) * 1200          # 307200 bytes, every value, NULs

with lib.Agent(conf=conf(d)) as a:
    sp = os.path.join(d, "spice.sock")
    a.wait_path(sp)
    q = a.qga()
    p = Peer(sp)
    # 1. On connect the agent announces itself with request=1.
    t0, pl = p.recv()
    t.eq("caps-announce-type", t0, ANNOUNCE_CAPABILITIES)
    t.eq("caps-announce", struct.unpack("<II", pl), (1, OUR_CAPS))
    # 2. Every request=1 is answered with request=0.
    p.send(client_msg(ANNOUNCE_CAPABILITIES,
                      struct.pack("<II", 1, CLIENT_CAPS)))
    t.eq("caps-reply", struct.unpack("<II", p.expect(ANNOUNCE_CAPABILITIES)),
         (0, OUR_CAPS))
    p.send(client_msg(MAX_CLIPBOARD, struct.pack("<i", 1 << 20)))

    # 3. Host -> guest: grab PNG, agent requests it, data arrives split,
    # with a port-2 mouse chunk between two chunks of the big message.
    p.send(client_msg(CLIPBOARD_GRAB, struct.pack("<BxxxII", 0, 0, 2)))
    req = p.expect(CLIPBOARD_REQUEST)
    t.eq("h2g-request", req, struct.pack("<BxxxI", 0, 2))
    wire = client_msg(CLIPBOARD, struct.pack("<BxxxI", 0, 2) + blob)
    mouse = server_msg(MOUSE_STATE, struct.pack("<IIIB", 10, 20, 0, 0))
    cut = 8 + 2048 + 8 + 2048          # after the second chunk
    p.send(wire[:cut] + mouse + wire[cut:cut + 1])
    p.send(wire[cut + 1:])
    r = q.cmd("onega-clipboard-get")
    got = base64.b64decode(r.get("return", {}).get("data-b64", ""))
    t.eq("h2g-type", r.get("return", {}).get("type"), "image/png")
    t.eq("h2g-bytes", hashlib.sha256(got).hexdigest(),
         hashlib.sha256(blob).hexdigest())
    # Through `onega clipboard get` too (root-only local socket).
    import subprocess
    cp = subprocess.run([lib.AGENT, "clipboard", "get", "--socket",
                         os.path.join(d, "clip.sock")],
                        capture_output=True, timeout=20)
    t.ok("cli-get", cp.returncode == 0 and cp.stdout == blob,
         "rc %d, %d bytes, %r" % (cp.returncode, len(cp.stdout),
                                  cp.stderr[-200:]))

    # The extension commands are listed in guest-info.
    names = [c["name"] for c in q.cmd("guest-info")["return"]
             ["supported_commands"]]
    t.ok("guest-info-lists-ext", "onega-clipboard-get" in names and
         "onega-clipboard-set" in names, names[-5:])
    # The control socket is root-only.
    cp = subprocess.run([lib.AGENT, "clipboard", "get", "--socket",
                         os.path.join(d, "clip.sock")], user=65534,
                        capture_output=True, timeout=20)
    t.ok("cli-root-only", cp.returncode != 0 and cp.stdout == b"",
         cp.stderr)

    # 4. Guest -> host: set through qga.  Serials are shared per selection:
    # the client's grab 0 was accepted, so the agent's next grab is 1.
    small = bytes(range(256)) * 40
    r = q.cmd("onega-clipboard-set", {"data-b64":
                                      base64.b64encode(small).decode(),
                                      "type": "image/png"})
    t.eq("g2h-set", r, {"return": {}})
    grab = p.expect(CLIPBOARD_GRAB)
    t.eq("g2h-grab", grab, struct.pack("<BxxxII", 0, 1, 2))
    p.send(client_msg(CLIPBOARD_REQUEST, struct.pack("<BxxxI", 0, 2)))
    data = p.expect(CLIPBOARD)
    t.eq("g2h-data", data, struct.pack("<BxxxI", 0, 2) + small)
    # A request for a type not offered gets NONE.
    p.send(client_msg(CLIPBOARD_REQUEST, struct.pack("<BxxxI", 0, 1)))
    t.eq("g2h-none", p.expect(CLIPBOARD), struct.pack("<BxxxI", 0, 0))
    # Set through the CLI: raw stdin, a text type; a new grab, serial 2,
    # and no RELEASE in between (NO_RELEASE_ON_REGRAB).
    text = "h\u00e9llo\x00world".encode()
    cp = subprocess.run([lib.AGENT, "clipboard", "set", "--type",
                         "text/plain;charset=utf-8", "--socket",
                         os.path.join(d, "clip.sock")], input=text,
                        capture_output=True, timeout=20)
    t.eq("cli-set", cp.returncode, 0)
    t1, pl = p.recv()
    t.eq("g2h-regrab-no-release", (t1, pl),
         (CLIPBOARD_GRAB, struct.pack("<BxxxII", 0, 2, 1)))
    p.send(client_msg(CLIPBOARD_REQUEST, struct.pack("<BxxxI", 0, 1)))
    t.eq("g2h-text", p.expect(CLIPBOARD), struct.pack("<BxxxI", 0, 1) + text)
    # Over the client's max: the type, no bytes (vdagentd's rule).
    big = b"\x00" * ((1 << 20) + 1)
    q.cmd("onega-clipboard-set", {"data-b64": base64.b64encode(big).decode(),
                                  "type": "image/png"})
    p.expect(CLIPBOARD_GRAB)
    p.send(client_msg(CLIPBOARD_REQUEST, struct.pack("<BxxxI", 0, 2)))
    t.eq("g2h-over-max", p.expect(CLIPBOARD), struct.pack("<BxxxI", 0, 2))

    # 5. Monitors config: no display session -> REPLY error; malformed
    # -> REPLY error too.
    mc = struct.pack("<II", 1, 3) + struct.pack("<IIIii", 800, 1280, 32, 0, 0) \
        + struct.pack("<HH", 200, 300)
    p.send(client_msg(MONITORS_CONFIG, mc))
    t.eq("monitors-reply", p.expect(REPLY), struct.pack("<II", 2, 2))
    p.send(client_msg(MONITORS_CONFIG, struct.pack("<II", 4, 3) + b"\0" * 20))
    t.eq("monitors-malformed", p.expect(REPLY), struct.pack("<II", 2, 2))

    # 6. File transfer.
    fdata = os.urandom(150000)
    kf = b"[vdagent-file-xfer]\nname=xfer.bin\nsize=150000\n\0"
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 1) + kf))
    t.eq("xfer-can-send", p.expect(FILE_XFER_STATUS), struct.pack("<II", 1, 0))
    for off in range(0, len(fdata), 65536):
        piece = fdata[off:off + 65536]
        p.send(client_msg(FILE_XFER_DATA,
                          struct.pack("<IQ", 1, len(piece)) + piece))
    t.eq("xfer-success", p.expect(FILE_XFER_STATUS), struct.pack("<II", 1, 3))
    with open(os.path.join(d, "dl", "xfer.bin"), "rb") as f:
        t.ok("xfer-content", f.read() == fdata)
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 2) +
                      kf.replace(b"size=150000", b"size=3")))
    p.expect(FILE_XFER_STATUS)
    p.send(client_msg(FILE_XFER_DATA, struct.pack("<IQ", 2, 3) + b"abc"))
    t.eq("xfer-dup", p.expect(FILE_XFER_STATUS), struct.pack("<II", 2, 3))
    t.ok("xfer-dup-name", os.path.exists(os.path.join(d, "dl", "xfer (1).bin")))
    for i, bad in enumerate([b"../evil", b"a/b", b"", b"..", b"x" * 256,
                             b"\xff\xfe.bin", b"a\\tb", b"x..y"]):
        kfb = b"[vdagent-file-xfer]\nname=" + bad + b"\nsize=3\n\0"
        p.send(client_msg(FILE_XFER_START, struct.pack("<I", 10 + i) + kfb))
        t.eq("xfer-hostile-%d" % i, p.expect(FILE_XFER_STATUS),
             struct.pack("<IIBI", 10 + i, 2, 0, 10))
    t.eq("xfer-hostile-nothing", sorted(x for x in os.listdir(
        os.path.join(d, "dl")) if "xfer" in x),
         ["xfer (1).bin", "xfer.bin"])
    # A UTF-8 name with a key-file escape (\s = space) is fine.
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 19) +
                      b"[vdagent-file-xfer]\nname=caf\xc3\xa9\\sx.bin\n"
                      b"size=1\n\0"))
    p.expect(FILE_XFER_STATUS)
    p.send(client_msg(FILE_XFER_DATA, struct.pack("<IQ", 19, 1) + b"\0"))
    t.eq("xfer-utf8-escape", p.expect(FILE_XFER_STATUS),
         struct.pack("<II", 19, 3))
    t.ok("xfer-utf8-name", os.path.exists(os.path.join(
        d, "dl", "caf\u00e9 x.bin")), os.listdir(os.path.join(d, "dl")))
    # Not enough space: status 4 with the free byte count.
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 20) +
                      kf.replace(b"size=150000", b"size=%d" % (1 << 62))))
    st = p.expect(FILE_XFER_STATUS)
    t.ok("xfer-no-space", len(st) == 16 and
         struct.unpack("<II", st[:8]) == (20, 4), st)
    # Cancelled by the client: the partial file is removed.
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 21) +
                      kf.replace(b"xfer.bin", b"cancel.bin")))
    p.expect(FILE_XFER_STATUS)
    p.send(client_msg(FILE_XFER_DATA, struct.pack("<IQ", 21, 2) + b"hi"))
    p.send(client_msg(FILE_XFER_STATUS, struct.pack("<II", 21, 1)))
    lib.wait_for(lambda: not os.path.exists(os.path.join(d, "dl",
                                                         "cancel.bin")),
                 5, "cancelled file removed")
    t.ok("xfer-cancel-removes", True)
    # Reused id while active: refused.
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 22) +
                      kf.replace(b"xfer.bin", b"r.bin")))
    p.expect(FILE_XFER_STATUS)
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 22) +
                      kf.replace(b"xfer.bin", b"r2.bin")))
    t.eq("xfer-reused-id", struct.unpack("<II", p.expect(FILE_XFER_STATUS)[:8]),
         (22, 2))
    # Cancel on CLIENT_DISCONNECTED: the partial file is removed.
    p.send(client_msg(FILE_XFER_START, struct.pack("<I", 30) +
                      kf.replace(b"xfer.bin", b"part.bin")))
    p.expect(FILE_XFER_STATUS)
    p.send(client_msg(FILE_XFER_DATA, struct.pack("<IQ", 30, 5) + b"hello"))

    # 7. Unknown types are ignored; the agent keeps serving.
    p.send(client_msg(99, b"whatever"))
    p.send(server_msg(CLIENT_DISCONNECTED, b""))
    t.eq("alive-after-unknown", q.cmd("guest-ping"), {"return": {}})
    lib.wait_for(lambda: not os.path.exists(os.path.join(d, "dl", "part.bin")),
                 5, "partial file removed")
    t.ok("disconnect-cancels-xfer", True)
    # The host-owned selection went with the client; guest-owned stays.
    r = q.cmd("onega-clipboard-get")
    t.eq("disconnect-keeps-guest-data", r.get("return", {}).get("type"),
         "image/png")
    t.eq("sender-rules", p.violations, [])
    p.close()

    # 8. A broken chunk stream (bad port) is survived; a new host works.
    p = Peer(sp)
    p.recv()
    p.send(struct.pack("<II", 7, 4) + b"abcd")
    t.eq("alive-after-bad-port", q.cmd("guest-ping"), {"return": {}})
    p.close()
    p = Peer(sp)
    t0, pl = p.recv()
    t.eq("reconnect-caps", struct.unpack("<II", pl), (1, OUR_CAPS))
    p.send(client_msg(ANNOUNCE_CAPABILITIES,
                      struct.pack("<II", 1, CLIENT_CAPS)))
    p.expect(ANNOUNCE_CAPABILITIES)
    # The guest-owned clipboard is offered again, serials reset.
    t.eq("reconnect-regrab", p.expect(CLIPBOARD_GRAB),
         struct.pack("<BxxxII", 0, 0, 2))
    p.close()
    t.ok("no-crash", a.alive(), a.stderr()[-500:])
import shutil
shutil.rmtree(d, ignore_errors=True)
t.done()
