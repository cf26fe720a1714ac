"""A host that stops reading stalls only its own channel: while a qemu-ga
client floods requests without reading a byte, the oVirt channel on the
same loop keeps sending heartbeats on time, and afterwards every qemu-ga
reply arrives, in order."""
import os
import socket
import tempfile
import threading
import time

import lib

t = lib.T()
d = tempfile.mkdtemp(prefix="onega-bp-")
ovsock = os.path.join(d, "ovirt.sock")
conf = ("[ovirt]\nmethod=unix-listen\npath=%s\nheartbeat=0.2\n"
        "[spice]\nenabled=false\n" % ovsock)
with lib.Agent(conf=conf) as a:
    a.wait_path(ovsock)
    q = a.qga(timeout=120)
    n = 300000
    payload = b"".join(b'{"execute":"guest-sync","arguments":{"id":%d}}' % i
                       for i in range(n))
    sender = threading.Thread(target=lambda: q.s.sendall(payload))
    sender.start()
    # the qga client reads nothing; the agent's queue fills and stops
    ov = socket.socket(socket.AF_UNIX)
    ov.settimeout(10)
    ov.connect(ovsock)
    beats, buf, end = 0, b"", time.monotonic() + 30
    while beats < 5 and time.monotonic() < end:
        buf += ov.recv(65536)
        beats = buf.count(b'"__name__":"heartbeat"') + \
            buf.count(b'"__name__": "heartbeat"')
    t.ok("oVirt heartbeats flow while qga's host does not read (%d)" % beats,
         beats >= 5, buf[-300:])
    t.ok("agent memory bounded meanwhile", open(
        "/proc/%d/status" % a.p.pid).read().count("VmRSS") == 1 and int(
        [l for l in open("/proc/%d/status" % a.p.pid)
         if l.startswith("VmRSS")][0].split()[1]) < 16384)
    ids = []
    rbuf = b""
    q.s.settimeout(60)
    while len(ids) < n:
        chunk = q.s.recv(1 << 20)
        if not chunk:
            break
        rbuf += chunk
        *lines, rbuf = rbuf.split(b"\n")
        for l in lines:
            ids.append(int(l[len(b'{"return": '):-1]))
    sender.join()
    t.eq("every qga reply arrives, in order", ids == list(range(n)), True)
    ov.close()
    q.close()
t.done()
