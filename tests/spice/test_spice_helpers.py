"""SPICE clipboard with a desktop session: the agent drives fake wl-copy /
wl-paste helpers ([spice] helper-path, user=, wayland-display=).  Host data
is streamed into a foreground wl-copy and not echoed back as a guest grab;
a guest copy (another owner) becomes a GRAB and is read with wl-paste on
the host's REQUEST; a cleared guest selection becomes a RELEASE."""
import os
import shutil
import stat
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib
from spicepeer import *

t = lib.T()
d = tempfile.mkdtemp(prefix="onega-sph-")
state = os.path.join(d, "state")
bindir = os.path.join(d, "bin")
os.mkdir(state)
os.mkdir(bindir)

WL_COPY = r'''#!/usr/bin/python3
import os, sys, time
S = %r
a = sys.argv[1:]
sel = "1" if "--primary" in a else "0"
typ = a[a.index("--type") + 1]
data = sys.stdin.buffer.read()
for name, v in (("data", data), ("types", (typ + "\n").encode()),
                ("owner", str(os.getpid()).encode())):
    with open(os.path.join(S, sel + "." + name + ".tmp"), "wb") as f:
        f.write(v)
    os.rename(os.path.join(S, sel + "." + name + ".tmp"),
              os.path.join(S, sel + "." + name))
while True:                       # serve until another owner takes over
    try:
        if open(os.path.join(S, sel + ".owner")).read() != str(os.getpid()):
            break
    except OSError:
        break
    time.sleep(0.05)
''' % state

WL_PASTE = r'''#!/usr/bin/python3
import os, sys
S = %r
a = sys.argv[1:]
sel = "1" if "--primary" in a else "0"
try:
    types = open(os.path.join(S, sel + ".types")).read()
except OSError:
    sys.exit(1)
if "--list-types" in a:
    sys.stdout.write(types)
    sys.exit(0)
if a[a.index("--type") + 1] not in types.split("\n"):
    sys.exit(1)
sys.stdout.buffer.write(open(os.path.join(S, sel + ".data"), "rb").read())
''' % state

for name, text in (("wl-copy", WL_COPY), ("wl-paste", WL_PASTE)):
    p = os.path.join(bindir, name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, 0o755)


def app_copy(sel, types, data):
    """Another guest application takes the selection."""
    for name, v in (("data", data), ("types", "".join(x + "\n" for x in types)
                                     .encode()), ("owner", b"app")):
        with open(os.path.join(state, "%d.%s.tmp" % (sel, name)), "wb") as f:
            f.write(v)
        os.rename(os.path.join(state, "%d.%s.tmp" % (sel, name)),
                  os.path.join(state, "%d.%s" % (sel, name)))


def read_state(sel, name):
    try:
        with open(os.path.join(state, "%d.%s" % (sel, name)), "rb") as f:
            return f.read()
    except OSError:
        return None


conf = ("[ovirt]\nenabled=false\n[spice]\nmethod=unix-listen\n"
        "path=%s/spice.sock\ncontrol=%s/clip.sock\nuser=root\n"
        "wayland-display=wayland-0\nhelper-path=%s\n" % (d, d, bindir))
blob = bytes(range(256)) * 1200
with lib.Agent(conf=conf, args=["-v"]) as a:
    sp = os.path.join(d, "spice.sock")
    a.wait_path(sp)
    p = Peer(sp, timeout=20)
    p.hello()
    p.send(client_msg(MAX_CLIPBOARD, struct.pack("<i", 1 << 20)))
    # Host -> guest: streamed into wl-copy --foreground --type image/png.
    p.send(client_msg(CLIPBOARD_GRAB, struct.pack("<BxxxII", 0, 0, 2)))
    t.eq("h2g-request", p.expect(CLIPBOARD_REQUEST),
         struct.pack("<BxxxI", 0, 2))
    p.send(client_msg(CLIPBOARD, struct.pack("<BxxxI", 0, 2) + blob))
    lib.wait_for(lambda: read_state(0, "data") == blob, 20, "wl-copy data")
    t.eq("h2g-wl-copy-type", read_state(0, "types"), b"image/png\n")
    # A guest app copies text: the serving wl-copy exits, the agent sees a
    # new owner and grabs (serial 1: the client's grab 0 was accepted).
    # An echo of our own image/png offer would have come first.
    text = "caf\u00e9\x00end".encode()
    app_copy(0, ["text/plain;charset=utf-8", "TEXT"], text)
    t.eq("g2h-grab-no-echo", p.recv(),
         (CLIPBOARD_GRAB, struct.pack("<BxxxII", 0, 1, 1)))
    p.send(client_msg(CLIPBOARD_REQUEST, struct.pack("<BxxxI", 0, 1)))
    t.eq("g2h-wl-paste-data", p.expect(CLIPBOARD),
         struct.pack("<BxxxI", 0, 1) + text)
    # Binary image through wl-paste, on PRIMARY.
    app_copy(1, ["image/png"], blob)
    t.eq("g2h-primary-grab", p.expect(CLIPBOARD_GRAB),
         struct.pack("<BxxxII", 1, 0, 2))
    p.send(client_msg(CLIPBOARD_REQUEST, struct.pack("<BxxxI", 1, 2)))
    t.eq("g2h-primary-binary", p.expect(CLIPBOARD),
         struct.pack("<BxxxI", 1, 2) + blob)
    # The guest selection emptied: RELEASE.
    os.unlink(os.path.join(state, "0.types"))
    t.eq("g2h-release", p.expect(CLIPBOARD_RELEASE), struct.pack("<Bxxx", 0))
    t.eq("sender-rules", p.violations, [])
    p.close()
    t.ok("alive", a.alive(), a.stderr()[-400:])

# An X11 session: MONITORS_CONFIG goes to xrandr, as the session user, and
# its exit status decides the REPLY.
XRANDR = r'''#!/usr/bin/python3
import os, sys
with open(%r, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "|" + os.environ.get("DISPLAY", "") +
            "\n")
sys.exit(1 if "640x480" in sys.argv else 0)
''' % os.path.join(state, "xrandr.log")
with open(os.path.join(bindir, "xrandr"), "w") as f:
    f.write(XRANDR)
os.chmod(os.path.join(bindir, "xrandr"), 0o755)
conf = ("[ovirt]\nenabled=false\n[spice]\nmethod=unix-listen\n"
        "path=%s/spice2.sock\ncontrol=%s/clip2.sock\nuser=root\n"
        "display=:5\nhelper-path=%s\noutputs=Virtual-1,Virtual-2\n"
        % (d, d, bindir))
with lib.Agent(conf=conf) as a:
    sp = os.path.join(d, "spice2.sock")
    a.wait_path(sp)
    p = Peer(sp, timeout=20)
    p.hello()
    mc = struct.pack("<II", 2, 3) + \
        struct.pack("<IIIii", 800, 1280, 32, 0, 0) + \
        struct.pack("<IIIii", 0, 0, 0, 1280, 0) + struct.pack("<HHHH", 0, 0,
                                                              0, 0)
    p.send(client_msg(MONITORS_CONFIG, mc))
    t.eq("xrandr-reply-success", p.expect(REPLY), struct.pack("<II", 2, 1))
    with open(os.path.join(state, "xrandr.log")) as f:
        t.eq("xrandr-argv", f.read(), "--output Virtual-1 --mode 1280x800 "
             "--pos 0x0 --output Virtual-2 --off|:5\n")
    mc = struct.pack("<II", 1, 1) + struct.pack("<IIIii", 480, 640, 32, 0, 0)
    p.send(client_msg(MONITORS_CONFIG, mc))
    t.eq("xrandr-failure-reply-error", p.expect(REPLY),
         struct.pack("<II", 2, 2))
    p.close()
shutil.rmtree(d, ignore_errors=True)
t.done()
