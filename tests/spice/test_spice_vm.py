"""SPICE end to end: QEMU's spice server with onega inside the test VM on
com.redhat.spice.0 (spicevmc), and the real client, SpiceClientGLib, on
loopback.  Covers agent-connected and caps, clipboard both ways with every
byte value, a clipboard near the negotiated maximum, file copy (and a
hostile name), mouse motion and clicks read back from the guest's evdev
node, monitors config answered, disconnect and reconnect."""
import base64
import hashlib
import os
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib
import vmlib

t = lib.T()
why = vmlib.skip_reason()
try:
    import gi
    gi.require_version("SpiceClientGLib", "2.0")
    from gi.repository import SpiceClientGLib as Spice, GLib, GObject, Gio
except (ImportError, ValueError) as e:
    why = why or "SpiceClientGLib missing (tests/setup.sh installs it): %s" % e
if why:
    t.skip("spice-vm", why)
    t.done()
    raise SystemExit(0)

OUR_CAPS = 0x000345E7
MAXCLIP = 4 << 20               # negotiated with the agent (MAX_CLIPBOARD)
EV_SIZE = 24                    # struct input_event on x86_64
EV_SYN, EV_KEY, EV_ABS = 0, 1, 3
ABS_X, ABS_Y, BTN_LEFT = 0, 1, 0x110


def sha(b):
    return hashlib.sha256(b).hexdigest()[:16]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class BG:
    """Run fn in a thread (qga calls must not block the GLib loop)."""

    def __init__(self, fn, *a):
        self.result = self.error = None
        self.done = False

        def run():
            try:
                self.result = fn(*a)
            except Exception as e:
                self.error = e
            self.done = True
        threading.Thread(target=run, daemon=True).start()


class Client:
    """One SpiceClientGLib session and what it has seen."""

    def __init__(self, port):
        self.s = Spice.Session(uri="spice://127.0.0.1?port=%d" % port)
        self.main = self.inputs = None
        self.grabs, self.data, self.requests = [], [], []
        self.inputs_open = False
        GObject.Object.connect(self.s, "channel-new", self.on_channel)
        self.s.connect()

    def on_channel(self, s, ch):
        if isinstance(ch, Spice.MainChannel):
            self.main = ch
            ch.set_property("max-clipboard", MAXCLIP)
            GObject.Object.connect(ch, "main-clipboard-selection-grab",
                                   self.on_grab)
            GObject.Object.connect(ch, "main-clipboard-selection",
                                   self.on_data)
            GObject.Object.connect(ch, "main-clipboard-selection-request",
                                   self.on_request)
        elif isinstance(ch, Spice.InputsChannel):
            self.inputs = ch
            GObject.Object.connect(ch, "channel-event", self.on_event)
            Spice.Channel.connect(ch)

    def on_event(self, ch, ev):
        if ev.value_nick == "opened":
            self.inputs_open = True

    def on_grab(self, ch, sel, types, ntypes):
        self.grabs.append((sel, list(types)[:ntypes]))
        return True

    def on_data(self, ch, sel, type_, data, size):
        self.data.append((sel, type_, bytes(data)[:size]))

    def on_request(self, ch, sel, type_):
        self.requests.append((sel, type_))
        payload = self.offer.get((sel, type_))
        if payload is not None:
            ch.clipboard_selection_notify(sel, type_, payload)
        return True

    offer = {}

    def caps(self):
        if self.main is None or not self.main.get_property("agent-connected"):
            return 0
        return self.main.get_property("agent-caps-0")


def run(steps, timeout):
    """Drive a generator of conditions from the GLib main loop."""
    loop = GLib.MainLoop()
    state = {"cond": None, "end": 0, "what": "", "error": None}
    gen = steps()

    def advance():
        try:
            cond, secs, what = next(gen)
            state.update(cond=cond, end=time.monotonic() + secs, what=what)
        except StopIteration:
            loop.quit()
            return False
        except Exception as e:
            state["error"] = "%s: %s" % (type(e).__name__, e)
            loop.quit()
            return False
        return True

    def tick():
        try:
            ok = state["cond"]()
        except Exception as e:
            state["error"] = "%s while waiting for %s" % (e, state["what"])
            loop.quit()
            return False
        if ok:
            return advance()
        if time.monotonic() > state["end"]:
            state["error"] = "timed out waiting for " + state["what"]
            loop.quit()
            return False
        return True

    if advance():
        GLib.timeout_add(20, tick)
        GLib.timeout_add_seconds(timeout, lambda: (
            state.update(error="overall timeout") or loop.quit()))
        loop.run()
    return state["error"]


def events(raw):
    out = []
    for i in range(0, len(raw) - EV_SIZE + 1, EV_SIZE):
        _, _, typ, code, val = struct.unpack("<qqHHi", raw[i:i + EV_SIZE])
        if typ != EV_SYN:
            out.append((typ, code, val))
    return out


sport = free_port()
blob_h2g = bytes(range(256)) * 1024            # 256 KiB, every byte value
blob_g2h = bytes(reversed(range(256))) * 1200
big = (bytes(range(256)) * (MAXCLIP // 256))[:MAXCLIP - 4096]
hostdir = tempfile.mkdtemp(prefix="onega-spice-")
fdata = os.urandom(150000)
with open(os.path.join(hostdir, "xfer.bin"), "wb") as f:
    f.write(fdata)
with open(os.path.join(hostdir, "..evil"), "wb") as f:
    f.write(b"nope")

conf = ("[ovirt]\nenabled=false\n[spice]\nxfer-dir=/tmp\n")
ports = (vmlib.QGA_PORT, (vmlib.SPICE_PORT, "spicevmc,name=vdagent"))
debug_lines = []

with vmlib.VM(ports=ports, machine="pc", memory=256, conf=conf,
              modules=["uinput", "evdev"], args=["-v"],
              qemu_args=["-vga", "std", "-spice", "port=%d,addr=127.0.0.1,"
                         "disable-ticketing=on" % sport]) as vm:
    q = vm.qga()
    res = {}

    def qga(cmd, args=None):
        return vm.qga().cmd(cmd, args)

    def guest_get(sel="clipboard"):
        r = qga("onega-clipboard-get", {"selection": sel})
        if "return" not in r:
            return r
        return (r["return"]["type"], base64.b64decode(r["return"]["data-b64"]))

    def guest_read(path, n=1 << 20):
        h = qga("guest-file-open", {"path": path, "mode": "r"})["return"]
        out = b""
        while True:
            r = qga("guest-file-read", {"handle": h, "count": n})["return"]
            out += base64.b64decode(r["buf-b64"])
            if r["eof"] or not r["count"]:
                break
        qga("guest-file-close", {"handle": h})
        return out

    def guest_exec(args, data=None):
        a = {"path": "/init", "arg": args, "capture-output": True}
        if data is not None:
            a["input-data"] = base64.b64encode(data).decode()
        pid = qga("guest-exec", a)["return"]["pid"]
        while True:
            r = qga("guest-exec-status", {"pid": pid})["return"]
            if r["exited"]:
                return (r.get("exitcode"),
                        base64.b64decode(r.get("out-data", "")))
            time.sleep(0.05)

    def evdev_node():
        devs = guest_read("/proc/bus/input/devices").decode()
        for block in devs.split("\n\n"):
            if "spice vdagent tablet" in block:
                for w in block.split():
                    if w.startswith("event"):
                        return "/dev/input/" + w
        return None

    def steps():
        c = Client(sport)
        res["c"] = c
        yield (lambda: c.caps() != 0, 60, "agent caps")
        t.eq("agent-caps", c.caps(), OUR_CAPS)
        yield (lambda: c.main.get_property("mouse-mode") == 2, 20,
               "client mouse mode")
        t.ok("mouse-mode-client", True)

        # Host -> guest, every byte value.
        c.offer[(0, 2)] = blob_h2g
        c.main.clipboard_selection_grab(0, [2])
        yield (lambda: (0, 2) in c.requests, 20, "agent request")
        b = BG(guest_get)
        yield (lambda: b.done, 60, "guest clipboard")
        got = b.result
        t.ok("h2g-binary", isinstance(got, tuple) and got[0] == "image/png"
             and sha(got[1]) == sha(blob_h2g), repr(got)[:200])

        # Guest -> host.
        b = BG(qga, "onega-clipboard-set", {
            "data-b64": base64.b64encode(blob_g2h).decode(),
            "type": "image/png"})
        yield (lambda: b.done and any(g[0] == 0 and 2 in g[1]
                                      for g in c.grabs), 30, "guest grab")
        t.eq("g2h-grab", c.grabs[-1], (0, [2]))
        c.main.clipboard_selection_request(0, 2)
        yield (lambda: c.data, 60, "guest data")
        t.ok("g2h-binary", c.data[-1][:2] == (0, 2) and
             sha(c.data[-1][2]) == sha(blob_g2h),
             "%r %d bytes" % (c.data[-1][:2], len(c.data[-1][2])))

        # `onega clipboard set` in the guest: raw bytes on stdin.
        g = len(c.grabs)
        b = BG(guest_exec, ["clipboard", "set", "--type", "image/png"],
               blob_h2g)
        yield (lambda: b.done and len(c.grabs) > g, 60, "cli set grab")
        t.eq("cli-set-exit", b.result[0], 0)
        n = len(c.data)
        c.main.clipboard_selection_request(0, 2)
        yield (lambda: len(c.data) > n, 60, "cli set data")
        t.ok("cli-set-g2h", sha(c.data[-1][2]) == sha(blob_h2g))

        # Near the negotiated maximum, both ways.
        c.offer[(0, 2)] = big
        c.main.clipboard_selection_grab(0, [2])
        yield (lambda: c.requests.count((0, 2)) == 2, 20, "big request")
        b = BG(guest_get)
        yield (lambda: b.done, 240, "big guest clipboard")
        got = b.result
        t.ok("h2g-near-max", isinstance(got, tuple) and
             sha(got[1]) == sha(big), "%r" % (repr(got)[:200],))
        # The same bytes through `onega clipboard get` in the guest (the
        # binary is /init there), run by guest-exec.
        b = BG(guest_exec, ["clipboard", "get"])
        yield (lambda: b.done, 240, "onega clipboard get")
        t.ok("cli-get-near-max", b.result is not None and
             b.result[0] == 0 and sha(b.result[1]) == sha(big),
             repr(b.error) + repr(b.result and b.result[0]))
        n, g = len(c.data), len(c.grabs)
        b = BG(qga, "onega-clipboard-set", {
            "data-b64": base64.b64encode(big).decode(), "type": "image/png"})
        yield (lambda: b.done and len(c.grabs) > g, 60, "big guest grab")
        c.main.clipboard_selection_request(0, 2)
        yield (lambda: len(c.data) > n, 240, "big guest data")
        t.ok("g2h-near-max", sha(c.data[-1][2]) == sha(big),
             "%d bytes" % len(c.data[-1][2]))

        # File copy, then a hostile name.
        done = {}

        def copied(ch, r, name):
            try:
                done[name] = ch.file_copy_finish(r)
            except GLib.Error as e:
                done[name] = e.message
        c.main.file_copy_async([Gio.File.new_for_path(
            os.path.join(hostdir, "xfer.bin"))], Gio.FileCopyFlags.NONE,
            None, None, None, copied, "ok")
        yield (lambda: "ok" in done, 120, "file copy")
        t.eq("file-copy", done["ok"], True)
        b = BG(guest_read, "/tmp/xfer.bin")
        yield (lambda: b.done, 60, "file read back")
        t.ok("file-content", b.result is not None and
             sha(b.result) == sha(fdata), repr(b.error))
        c.main.file_copy_async([Gio.File.new_for_path(
            os.path.join(hostdir, "..evil"))], Gio.FileCopyFlags.NONE,
            None, None, None, copied, "evil")
        yield (lambda: "evil" in done, 60, "hostile copy")
        t.ok("file-hostile-refused", done["evil"] is not True, done["evil"])
        b = BG(qga, "guest-file-open", {"path": "/tmp/..evil"})
        yield (lambda: b.done, 30, "hostile check")
        t.ok("file-hostile-absent", "error" in (b.result or {}), b.result)

        # Mouse: open the tablet's evdev node, move and click.
        b = BG(evdev_node)
        yield (lambda: b.done, 30, "tablet node")
        node = b.result
        t.ok("uinput-tablet", node is not None, repr(b.error))
        if node:
            h = qga("guest-file-open", {"path": node, "mode": "r"})["return"]
            yield (lambda: c.inputs_open, 20, "inputs channel")
            c.inputs.position(100, 200, 0, 0)
            c.inputs.button_press(1, 1)
            c.inputs.button_release(1, 0)
            evs = []

            def read_ev():
                r = qga("guest-file-read", {"handle": h,
                                            "count": EV_SIZE * 64})
                if "return" not in r:   # EAGAIN: nothing queued yet
                    return False
                evs.extend(events(base64.b64decode(r["return"]["buf-b64"])))
                return True

            def enough():
                b2 = BG(read_ev)
                while not b2.done:
                    time.sleep(0.01)
                return (EV_KEY, BTN_LEFT, 0) in evs

            yield (enough, 30, "mouse events")
            t.ok("mouse-motion", (EV_ABS, ABS_X, 100) in evs and
                 (EV_ABS, ABS_Y, 200) in evs, evs)
            t.ok("mouse-click", (EV_KEY, BTN_LEFT, 1) in evs and
                 evs.index((EV_KEY, BTN_LEFT, 1)) <
                 evs.index((EV_KEY, BTN_LEFT, 0)), evs)
            qga("guest-file-close", {"handle": h})

        # Monitors config: no display session in the guest -> REPLY error.
        c.main.update_display_enabled(0, True, False)
        c.main.update_display(0, 0, 0, 1280, 800, False)
        t.ok("monitors-sent", c.main.send_monitor_config())
        yield (lambda: any("reply" in l and "type 2" in l
                           for l in debug_lines), 30, "monitors reply")
        # spice-gtk logs "reply: type 2, error" (or ", success").
        t.ok("monitors-answered-error", any("type 2, error" in l
                                            for l in debug_lines),
             debug_lines[-5:])

        # A host-owned PRIMARY, then disconnect: it is released.
        c.offer[(1, 1)] = b"primary text"
        c.main.clipboard_selection_grab(1, [1])
        yield (lambda: (1, 1) in c.requests, 20, "primary request")
        b = BG(guest_get, "primary")
        yield (lambda: b.done, 30, "primary in guest")
        t.eq("h2g-primary", b.result,
             ("text/plain;charset=utf-8", b"primary text"))
        c.s.disconnect()

        def released():
            return "error" in qga("onega-clipboard-get",
                                  {"selection": "primary"})
        yield (released, 30, "release on client disconnect")
        t.ok("disconnect-releases", True)

        # Reconnect: caps again, the guest-owned clipboard offered again.
        c2 = Client(sport)
        res["c2"] = c2
        yield (lambda: c2.caps() != 0, 60, "caps after reconnect")
        t.eq("reconnect-caps", c2.caps(), OUR_CAPS)
        yield (lambda: c2.grabs, 30, "regrab after reconnect")
        t.eq("reconnect-regrab", c2.grabs[0], (0, [2]))
        c2.main.clipboard_selection_request(0, 2)
        yield (lambda: c2.data, 240, "data after reconnect")
        t.ok("reconnect-data", sha(c2.data[-1][2]) == sha(big))
        c2.s.disconnect()

    def on_log(domain, level, message, *a):
        if "reply" in message:
            debug_lines.append(message)
    Spice.util_set_debug(True)
    GLib.log_set_handler("GSpice", GLib.LogLevelFlags.LEVEL_DEBUG, on_log)
    os.environ.setdefault("G_MESSAGES_DEBUG", "")
    err = run(steps, 900)
    t.ok("scenario", err is None, "%s; agent: %s" % (err, vm.console()[-1500:]))
    out = vm.qemu_output()
    t.ok("no-invalid-agent-message", "invalid agent message" not in out,
         out[-500:])
    t.eq("guest-ping", qga("guest-ping"), {"return": {}})

import shutil
shutil.rmtree(hostdir, ignore_errors=True)
t.done()
