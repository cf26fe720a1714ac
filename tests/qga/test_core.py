"""qemu-ga protocol core, black-box over unix-listen and stdio.

Wire rules from qemu-ga.md 2 and 6.6: one line per reply ending "}\\n", the
id echoed unchanged, errors worded as qemu-ga words them, 0xFF only before a
guest-sync-delimited reply, Proxmox's single write, reconnects.
"""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import time

import lib

t = lib.T()


def raw_lines(c, n):
    return [c.read_line() for _ in range(n)]


def err(desc, cls="GenericError"):
    return {"error": {"class": cls, "desc": desc}}


with lib.Agent() as a:
    st = os.stat(a.sock)
    t.eq("socket is 0600", stat.S_IMODE(st.st_mode), 0o600)
    c = a.qga()
    t.eq("guest-ping", c.cmd("guest-ping"), {"return": {}})
    line = None
    c.send_raw('{"execute":"guest-ping"}')
    line = c.read_line()
    t.eq("reply is one compact line", line, b'{"return": {}}\n')

    # ids of every JSON type are echoed unchanged, after the payload
    for name, idv, text in [
            ("int id", 1, b'{"return": {}, "id": 1}\n'),
            ("string id", "abc", b'{"return": {}, "id": "abc"}\n'),
            ("object id", {"a": [1, 2]},
             b'{"return": {}, "id": {"a": [1, 2]}}\n'),
            ("null id", None, b'{"return": {}, "id": null}\n')]:
        c.send_raw('{"execute":"guest-ping","id":%s}\n' % json.dumps(idv))
        t.eq(name, c.read_line(), text)
    big = 9223372036854775807
    c.send_raw('{"execute":"guest-sync","arguments":{"id":%d},"id":%d}\n'
               % (big, 18446744073709551615))
    t.eq("64-bit ids exact", c.read_line(),
         b'{"return": 9223372036854775807, "id": 18446744073709551615}\n')
    t.eq("negative sync id", c.cmd("guest-sync", {"id": -5}), {"return": -5})
    c.send_raw('{"execute":"guest-sync","arguments":{"id":'
               '-9223372036854775808}}\n')
    t.eq("int64 min", c.read_line(), b'{"return": -9223372036854775808}\n')

    # Proxmox: sync-delimited and the command in one write()
    c.send_raw('{"execute":"guest-sync-delimited","arguments":{"id":4711}}\n'
               '{"execute":"guest-ping"}\n')
    first, second = raw_lines(c, 2)
    t.ok("proxmox: 0xFF then sync reply",
         first == b'\xff{"return": 4711}\n', first)
    t.ok("proxmox: command reply matches its regex",
         re.match(rb'^(\{.*\})\n$', second) and json.loads(second) ==
         {"return": {}}, second)
    t.ok("no extra reply", c.expect_silence(0.3))

    # QEMU's own test client: 0xFF first gives one error, then 0xFF reply
    c.send_raw(b'\xff{"execute":"guest-sync-delimited","arguments":'
               b'{"id":123}}\n')
    l1, l2 = raw_lines(c, 2)
    t.eq("0xFF flush error", l1, b'{"error": {"class": "GenericError", '
         b'"desc": "JSON parse error, stray \'\\uFFFD\'"}}\n')
    t.eq("0xFF reply after flush", l2, b'\xff{"return": 123}\n')

    # error texts (qemu-ga.md 2.5)
    cases = [
        ('42 ', err("QMP input must be a JSON object")),
        ('[1,2]', err("QMP input must be a JSON object")),
        ('{"arguments":{}}', err("QMP input lacks member 'execute'")),
        ('{"execute":1}', err("QMP input member 'execute' must be a string")),
        ('{"execute":"guest-ping","arguments":[]}',
         err("QMP input member 'arguments' must be an object")),
        ('{"execute":"guest-ping","arguments":null}',
         err("QMP input member 'arguments' must be an object")),
        ('{"execute":"guest-ping","foo":1}',
         err("QMP input member 'foo' is unexpected")),
        ('{"execute":"guest-ping","exec-oob":"x"}',
         err("QMP input member 'exec-oob' is unexpected")),
        ('{"execute":"guest-ping","arguments":{"foo":42}}',
         err("Parameter 'foo' is unexpected")),
        ('{"execute":"guest-sync"}', err("Parameter 'id' is missing")),
        ('{"execute":"guest-sync","arguments":{"id":"x"}}',
         err("Invalid parameter type for 'id', expected: integer")),
        ('{"execute":"guest-sync","arguments":{"id":1.5}}',
         err("Invalid parameter type for 'id', expected: integer")),
        ('{"execute":"guest-sync","arguments":{"id":null}}',
         err("Invalid parameter type for 'id', expected: integer")),
        ('{"execute":"guest-sync","arguments":{"id":18446744073709551615}}',
         err("Invalid parameter type for 'id', expected: integer")),
        ('{"execute":"guest-nope"}',
         err("The command guest-nope has not been found", "CommandNotFound")),
        ('{"execute":"guest-ping","execute":"guest-ping"}',
         err("JSON parse error, duplicate key")),
        ('{"execute":"guest-ping", }', err("JSON parse error, expecting value")),
        (b'{"execute":"\xc3("}', err("JSON parse error, invalid UTF-8 "
                                     "sequence in string")),
        ('nul', None),
    ]
    for req, want in cases:
        if want is None:
            continue
        c.send_raw(req if isinstance(req, bytes) else req.encode())
        c.send_raw(b"\n")
        got = c.read_reply()
        t.eq("error: %s" % (req if isinstance(req, str) else repr(req)),
             got, want)
    c.send_raw('xyz {"execute":"guest-ping"}\n')
    t.eq("bad keyword then command", [c.read_reply(), c.read_reply()],
         [err("JSON parse error, invalid keyword 'xyz'"), {"return": {}}])
    c.send_raw("{'execute':'guest-sync','arguments':{'id':7}}\n")
    t.eq("single-quoted strings", c.read_reply(), {"return": 7})
    c.send_raw(" \n\r\t\n")
    t.ok("whitespace gives nothing", c.expect_silence(0.2))
    c.send_raw('{"execute":"guest-sync","arguments":{"id":1},"id":"\\u00e9\\ud83d\\ude00"}\n')
    t.eq("non-ASCII escaped uppercase", c.read_line(),
         b'{"return": 1, "id": "\\u00E9\\uD83D\\uDE00"}\n')

    # split writes, byte by byte
    req = b'{"execute":"guest-sync","arguments":{"id":99}}'
    for b in req:
        c.send_raw(bytes([b]))
    t.eq("byte-at-a-time request", c.read_reply(), {"return": 99})

    # guest-info
    info = c.cmd("guest-info")["return"]
    t.ok("guest-info version dotted numeric",
         re.match(r"^\d+\.\d+\.\d+$", info["version"]), info["version"])
    names = [x["name"] for x in info["supported_commands"]]
    t.ok("guest-info lists the core commands",
         {"guest-ping", "guest-sync", "guest-sync-delimited",
          "guest-info"} <= set(names), names)
    t.ok("guest-info entries well-formed", all(
        set(x) == {"name", "enabled", "success-response"} and
        isinstance(x["enabled"], bool) and
        isinstance(x["success-response"], bool)
        for x in info["supported_commands"]))
    t.eq("guest-info no duplicate names", len(names), len(set(names)))
    for n in ("guest-shutdown", "guest-suspend-disk", "guest-suspend-ram",
              "guest-suspend-hybrid"):
        e = [x for x in info["supported_commands"] if x["name"] == n]
        if e:
            t.eq("%s has success-response false" % n,
                 e[0]["success-response"], False)

    # a host that disconnects mid-message: the next one starts clean
    c.send_raw('{"execute":"guest-sync","arguments":')
    c.close()
    c = a.qga()
    t.eq("reconnect: half request discarded", c.sync(31337),
         {"return": 31337})
    t.eq("reconnect: ping", c.cmd("guest-ping"), {"return": {}})

    # one client at a time: a second one waits for the first to close
    c2 = a.qga()
    c2.send_raw('{"execute":"guest-sync","arguments":{"id":2}}\n')
    t.ok("second client waits", c2.expect_silence(0.3))
    t.eq("first client still served", c.cmd("guest-sync", {"id": 1}),
         {"return": 1})
    c.close()
    t.eq("second client served after the first left", c2.read_reply(),
         {"return": 2})

    # a 65 MiB request: one error, memory returned, agent carries on
    big = b'{"execute":"guest-sync","arguments":{"id":1},"id":"' + \
        b"A" * (65 << 20) + b'"}{"execute":"guest-ping"}\n'
    c2.s.sendall(big)
    t.eq("oversized: one error", c2.read_reply(),
         err("JSON token size limit exceeded"))
    t.eq("oversized: next request served", c2.read_reply(), {"return": {}})
    t.ok("oversized: no cascade", c2.expect_silence(0.3))

    def rss():
        with open("/proc/%d/status" % a.p.pid) as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    try:
        lib.wait_for(lambda: rss() < 2048, 10, "RSS back under 2 MiB")
    except TimeoutError:
        pass
    t.ok("oversized: RSS back under 2 MiB", rss() < 2048, "%d kB" % rss())

    # deep nesting: one error, then normal service
    c2.send_raw("[" * 1025 + "]" * 1025 + '{"execute":"guest-ping"}')
    t.eq("nesting: one error", c2.read_reply(),
         err("JSON nesting depth limit exceeded"))
    t.eq("nesting: next request served", c2.read_reply(), {"return": {}})

    # backpressure: 200k requests without reading; then read them all
    n = 200000
    payload = b'{"execute":"guest-ping"}' * n
    c2.s.settimeout(60)
    import threading
    th = threading.Thread(target=lambda: c2.s.sendall(payload))
    th.start()
    time.sleep(0.5)     # let the agent fill its queue and stop reading
    t.ok("backpressure: queue bounded", rss() < 8192, "%d kB" % rss())
    got = 0
    data = b""
    while got < n:
        d = c2.s.recv(1 << 20)
        if not d:
            break
        got += d.count(b"\n")
    th.join()
    t.eq("backpressure: every reply arrives", got, n)
    c2.close()

    t.ok("agent alive after all that", a.alive())
    t.eq("SIGTERM exits 0", a.stop(), 0)

# command filtering, config file, dump
with lib.Agent(args=["-b", "guest-ping"]) as a:
    c = a.qga()
    t.eq("-b blocks", c.cmd("guest-ping"),
         err("Command guest-ping has been disabled", "CommandNotFound"))
    info = c.cmd("guest-info")["return"]["supported_commands"]
    t.eq("-b shows enabled false",
         [x["enabled"] for x in info if x["name"] == "guest-ping"], [False])
with lib.Agent(args=["-a", "guest-info,guest-sync"]) as a:
    c = a.qga()
    t.eq("-a allows only listed", c.cmd("guest-ping")["error"]["class"],
         "CommandNotFound")
    t.eq("-a listed works", c.cmd("guest-sync", {"id": 3}), {"return": 3})
conf = ("[general]\nblock-rpcs=guest-sync\n[ovirt]\nenabled=false\n"
        "[spice]\nenabled=false\n")
with lib.Agent(conf=conf, args=["-b", "guest-ping"]) as a:
    c = a.qga()
    t.eq("config block-rpcs", c.cmd("guest-sync", {"id": 1})["error"]["desc"],
         "Command guest-sync has been disabled")
    t.eq("config and -b lists add up",
         c.cmd("guest-ping")["error"]["class"], "CommandNotFound")


def run(args, env=None):
    e = dict(os.environ)
    e.pop("QGA_CONF", None)
    e["ONEGA_CMDLINE"] = "/nonexistent"
    e.update(env or {})
    return subprocess.run([lib.AGENT] + args, capture_output=True, text=True,
                          env=e, timeout=10)


tmp = "/tmp/onega-core-%d" % os.getpid()
os.makedirs(tmp, exist_ok=True)
cf = os.path.join(tmp, "qga.conf")
with open(cf, "w") as f:
    f.write("[general]\nblock-rpcs=guest-ping\nverbose=true\n"
            "[ovirt]\nheartbeat=2\n")
r = run(["-D", "-b", "guest-info"], {"QGA_CONF": cf})
t.ok("-D exit 0, nothing on stderr", r.returncode == 0 and r.stderr == "",
     r)
t.ok("-D [general] as qemu-ga prints it", r.stdout.startswith(
    "[general]\ndaemon=false\nmethod=virtio-serial\n"
    "path=/dev/virtio-ports/org.qemu.guest_agent.0\n"), r.stdout)
t.ok("-D QGA_CONF lists appended",
     "block-rpcs=guest-ping,guest-info\n" in r.stdout, r.stdout)
t.ok("-D shows onega sections", "[ovirt]\nheartbeat=2\n" in r.stdout,
     r.stdout)
r = run(["-c", os.path.join(tmp, "missing.conf")])
t.ok("-c missing file is fatal", r.returncode != 0, r)
r = run(["-b", "help"])
t.ok("-b help lists commands", r.returncode == 0 and
     "guest-ping\n" in r.stdout, r)
r = run(["-V"])
t.ok("-V", r.returncode == 0 and "Guest Agent" in r.stdout, r)
r = run(["--bogus"])
t.eq("bad option exit 100", r.returncode, 100)
with open(os.path.join(tmp, "cmdline"), "w") as f:
    f.write("quiet onega.block-rpcs=guest-sync onega.spice.enabled=false\n")
r = run(["-D"], {"ONEGA_CMDLINE": os.path.join(tmp, "cmdline")})
t.ok("kernel command line options", "block-rpcs=guest-sync\n" in r.stdout and
     "[spice]\nenabled=false" in r.stdout, r.stdout)

# stdio transport
p = subprocess.run([lib.AGENT, "-m", "stdio", "-c", "/dev/null"],
                   input=b'{"execute":"guest-ping","id":1}\n'
                   b'{"execute":"guest-sync-delimited","arguments":{"id":2}}',
                   capture_output=True, timeout=10,
                   env=dict(os.environ, ONEGA_CMDLINE="/nonexistent"))
t.eq("stdio transport", p.stdout,
     b'{"return": {}, "id": 1}\n\xff{"return": 2}\n')
t.eq("stdio EOF exits 0", p.returncode, 0)

# unix-listen without a path
r = run(["-m", "unix-listen"])
t.ok("unix-listen needs a path", r.returncode != 0 and
     "must specify a path" in r.stderr, r)
t.done()
