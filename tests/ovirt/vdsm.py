"""An emulated VDSM peer for the oVirt channel (ovirt.md 8).

It is the client of a stream socket (onega's [ovirt] unix-listen socket, or
QEMU's chardev for ovirt-guest-agent.0 in a VM), parses like VDSM's
guestagent.py and is stricter where that catches agent bugs.  Every problem
lands in peer.failures; tests assert that list stays empty.

    p = Vdsm(path)                 # connects, sends refresh {apiVersion: 3}
    p.wait(lambda: p.count("heartbeat") >= 2)
    p.send("echo", token="42")
    p.failures, p.lines            # [(t, name, args, raw)], ...
"""
import json
import re
import socket
import time

MAX_MESSAGE_SIZE = 1 << 20              # guestagent.py
MAX_API = 3
# 4.1 _MESSAGE_MIN_API_VERSION
MIN_API = {n: 0 for n in (
    "active-user applications disks-usage echo fqdn heartbeat host-name "
    "memory-stats network-interfaces os-version session-lock session-logoff "
    "session-logon session-shutdown session-startup session-unlock").split()}
MIN_API.update({"number-of-cpus": 1, "os-info": 2, "timezone": 2,
                "containers": 3, "completion": 3})
MEM_KEYS = ("mem_total mem_unused mem_free mem_buffers mem_cached swap_total "
            "swap_usage swap_in swap_out pageflt majflt").split()
# 4.7: what a refresh sends, in order, per version
REFRESH = ["session-startup", "active-user", "applications", "containers",
           "host-name", "os-version", "network-interfaces", "disks-usage",
           "fqdn", "timezone", "os-info"]
STARTUP = ["session-startup", "host-name", "os-version", "network-interfaces",
           "active-user", "applications", "containers", "fqdn", "timezone",
           "os-info"]
HW_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def gated(names, api):
    return [n for n in names if MIN_API[n] <= api]


def filtered(ch):
    """guestagent._FILTERED_CHARS (ovirt.md 3.4)."""
    c = ord(ch)
    return (c <= 8 or c in (0xB, 0xC) or 0xE <= c <= 0x1F or
            0x7F <= c <= 0x84 or 0x86 <= c <= 0x9F or
            0xD800 <= c <= 0xDFFF or c in (0xFFFE, 0xFFFF))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Vdsm:
    def __init__(self, path, initial=0, agent_api=0, refresh=True,
                 timeout=10.0):
        self.path = path
        self.effective = initial    # VDSM's negotiated version
        self.agent_api = agent_api  # the highest the agent may be at
        self.lower_pending = None
        self.lines = []             # (time, name, args, raw bytes)
        self.failures = []
        self.api_sent = []          # api-version values sent
        self.beats = []             # heartbeat apiVersion values
        self.buf = b""
        self.too_big = False
        self.closed = False
        self.last_seen = None
        end = time.monotonic() + timeout
        while True:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        if refresh:
            self.send("refresh", apiVersion=MAX_API)

    # ---- sending, as GuestAgent._forward does it -------------------------
    def send(self, name, **args):
        if name == "set-number-of-cpus" and self.effective < 1:
            raise RuntimeError("VDSM refuses set-number-of-cpus below v1")
        if name == "lifecycle-event" and self.effective < 3:
            raise RuntimeError("VDSM refuses lifecycle-event below v3")
        args["__name__"] = name
        self.send_raw((json.dumps(args) + "\n").encode("utf8"))

    def send_raw(self, data):
        self.s.settimeout(60)
        self.s.sendall(data)

    def close(self):
        self.s.close()

    # ---- receiving ---------------------------------------------------------
    def fail(self, why, raw=b""):
        self.failures.append("%s: %r" % (why, raw[:200]))

    def pump(self, timeout=0.1):
        """Read what arrives within timeout; False once the agent closed."""
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(65536)
        except (socket.timeout, BlockingIOError):
            return True
        except OSError:
            d = b""
        if not d:
            self.closed = True
            return False
        self.handle(d)
        return True

    def handle(self, chunk):
        """guestagent._handleData, with the peer spec's strictness."""
        parts = chunk.split(b"\n")
        for piece in parts[:-1]:
            line = self.buf + piece
            self.buf = b""
            if self.too_big:
                self.too_big = False
                continue
            self.line(line)
        self.buf += parts[-1]
        if len(self.buf) >= MAX_MESSAGE_SIZE:
            self.fail("line too big", self.buf)
            self.buf = b""
            self.too_big = True

    def _float(self, s):
        self.fail("non-integer number %s" % s)
        return float(s)

    def line(self, raw):
        try:
            text = raw.decode("utf8")
        except UnicodeDecodeError:
            self.fail("invalid UTF-8", raw)
            text = raw.decode("utf8", "replace")
        if text == "":
            self.fail("blank line", raw)
            return
        try:
            args = json.loads(text, parse_float=self._float,
                              parse_constant=self._float)
        except ValueError as e:
            self.fail("bad JSON (%s)" % e, raw)
            return
        if not isinstance(args, dict) or not isinstance(
                args.get("__name__"), str):
            self.fail("HARD: not an object with a string __name__", raw)
            return
        self.check_filter(args, raw)
        self.last_seen = time.monotonic()
        name = args.pop("__name__")
        if name not in MIN_API:
            self.fail("undocumented message %s" % name, raw)
        elif MIN_API[name] > self.agent_api:
            self.fail("%s above the agent's version %d" % (
                name, self.agent_api), raw)
        if name == "session-startup" and self.lower_pending is not None:
            self.agent_api = self.lower_pending
            self.lower_pending = None
        try:
            self.check(name, args, raw)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            self.fail("HARD: %s: %s %r" % (name, type(e).__name__, e), raw)
        self.lines.append((time.monotonic(), name, args, raw))

    def check_filter(self, v, raw):
        if isinstance(v, str):
            if any(filtered(c) for c in v):
                self.fail("unsanitised string %r" % v, raw)
        elif isinstance(v, dict):
            for k, x in v.items():
                self.check_filter(k, raw)
                self.check_filter(x, raw)
        elif isinstance(v, list):
            for x in v:
                self.check_filter(x, raw)

    def need(self, cond, what, raw):
        if not cond:
            self.fail(what, raw)

    def check(self, name, a, raw):
        """VDSM's handlers (7.3) plus the stricter types of 8.8."""
        need = lambda c, w: self.need(c, "%s: %s" % (name, w), raw)
        if name == "heartbeat":
            int(a["free-ram"])
            need(isinstance(a["free-ram"], str) and
                 a["free-ram"].isdigit(), "free-ram not a digit string")
            ms = a["memory-stat"]
            need(isinstance(ms, dict) and all(
                is_int(ms.get(k)) for k in MEM_KEYS), "memory-stat keys")
            v = a.get("apiVersion")
            need(is_int(v), "apiVersion not an integer")
            self.beats.append(v)
            self.negotiate(v)
        elif name in ("host-name", "active-user"):
            need(isinstance(a["name"], str), "name not a string")
        elif name == "os-version":
            need(isinstance(a["version"], str), "version")
        elif name == "fqdn":
            need(isinstance(a["fqdn"], str), "fqdn")
        elif name == "network-interfaces":
            for i in a["interfaces"]:
                i.get("name")
                " ".join(i.get("inet", []))
                need(isinstance(i.get("name"), str), "name")
                need(isinstance(i.get("hw"), str) and HW_RE.match(i["hw"]),
                     "hw %r" % i.get("hw"))
                for k in ("inet", "inet6"):
                    need(isinstance(i.get(k), list) and all(
                        isinstance(x, str) for x in i[k]), k)
        elif name == "applications":
            tuple(a["applications"])
            need(isinstance(a["applications"], list) and all(
                isinstance(x, str) for x in a["applications"]), "list")
        elif name == "disks-usage":
            for d in a["disks"]:
                str(d["total"]), str(d["used"])
                need(is_int(d["total"]) and is_int(d["used"]), "sizes")
                need(isinstance(d.get("path"), str) and
                     isinstance(d.get("fs"), str), "path/fs")
            m = a.get("mapping", {})
            need(isinstance(m, dict) and all(
                isinstance(v, dict) and isinstance(v.get("name"), str)
                for v in m.values()), "mapping")
        elif name == "number-of-cpus":
            int(a["count"])
            need(is_int(a["count"]), "count")
        elif name == "os-info":
            need(all(isinstance(a.get(k), str) for k in (
                "version", "distribution", "codename", "arch", "type",
                "kernel")) and a["type"] == "linux", "six strings")
        elif name == "timezone":
            need(is_int(a.get("offset")), "offset")
            need(isinstance(a.get("zone"), str) and
                 not a["zone"].startswith("zoneinfo/"), "zone")
        elif name == "containers":
            a["list"]
            need(isinstance(a["list"], list), "list")
        elif name == "completion":
            need(isinstance(a.get("reply_id"), str), "reply_id")
            need(a.get("done") is True, "done")
        elif name.startswith("session-"):
            need(a == {}, "members")

    def negotiate(self, v):
        """_handleAPIVersion (ovirt.md 6)."""
        if v is None:
            if self.effective != 0:
                self.effective = 0
            return
        common = max(0, min(int(v), MAX_API))
        if common != self.effective:
            self.effective = common
            if common != 0:
                self.api_sent.append(common)
                self.agent_api = max(self.agent_api, common)
                self.send("api-version", apiVersion=common)

    # ---- queries --------------------------------------------------------------
    def names(self, since=0):
        return [n for (_, n, _, _) in self.lines[since:]]

    def count(self, name, since=0):
        return self.names(since).count(name)

    def last(self, name):
        for (_, n, a, _) in reversed(self.lines):
            if n == name:
                return a
        return None

    def wait(self, cond, timeout=15.0, what="condition"):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError("peer: timed out waiting for %s; got %s"
                                   % (what, self.names()[-30:]))
            if not self.pump(0.1) and not cond():
                raise EOFError("agent closed the channel")
        return True

    def wait_name(self, name, since=0, n=1, timeout=15.0):
        self.wait(lambda: self.count(name, since) >= n, timeout,
                  "%d x %s" % (n, name))
        return [a for (_, nm, a, _) in self.lines[since:] if nm == name][-1]

    def drain(self, seconds):
        """Keep reading (and negotiating) for a while."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.pump(0.05):
            pass

    def mark(self, token):
        """Everything sent before this echo has been handled when it comes."""
        n = len(self.lines)
        self.send("echo", mark=token)
        self.wait(lambda: any(nm == "echo" and a.get("mark") == token
                              for (_, nm, a, _) in self.lines[n:]),
                  what="echo %s" % token)
        for i in range(len(self.lines) - 1, n - 1, -1):
            if self.lines[i][1] == "echo" and \
                    self.lines[i][2].get("mark") == token:
                return i
        return len(self.lines)

    def seq_after(self, start, names):
        """The names received from index start on, keeping only names."""
        return [n for n in self.names(start) if n in names]
