"""guest-file-read replies are encoded piece by piece into the output queue
and handed to the host as they are made.  The bytes must be exactly what
qemu-ga writes (key order, spacing, the id at the end), whatever the size;
a slow reader, a reader that leaves half way and requests queued behind a
large read must all be handled."""
import base64
import json
import os
import socket
import time

import lib

t = lib.T()


def raw_reply(c):
    line = c.read_line()
    return line


with lib.Agent() as a:
    c = a.qga()
    path = os.path.join(a.tmp, "src.bin")
    data = os.urandom(3 * 1024 * 1024 + 17)
    with open(path, "wb") as f:
        f.write(data)
    h = c.cmd("guest-file-open", path=path)["return"]

    c.send_raw('{"execute":"guest-file-read","arguments":{"handle":%d,'
               '"count":5},"id":7}\n' % h)
    want = ('{"return": {"count": 5, "buf-b64": "%s", "eof": false}, '
            '"id": 7}\n' % base64.b64encode(data[:5]).decode()).encode()
    t.eq("small read, exact bytes", raw_reply(c), want)

    n = 1024 * 1024 + 1
    c.send_raw('{"execute":"guest-file-read","arguments":{"handle":%d,'
               '"count":%d},"id":{"a":[1,"x"]}}\n' % (h, n))
    want = ('{"return": {"count": %d, "buf-b64": "%s", "eof": false}, '
            '"id": {"a": [1, "x"]}}\n' % (
                n, base64.b64encode(data[5:5 + n]).decode())).encode()
    t.ok("1 MiB read, exact bytes, object id", raw_reply(c) == want)

    # The rest, at EOF: eof true, no id.
    rest = len(data) - 5 - n
    c.send_raw('{"execute":"guest-file-read","arguments":{"handle":%d,'
               '"count":%d}}\n' % (h, rest + 100))
    want = ('{"return": {"count": %d, "buf-b64": "%s", "eof": true}}\n' % (
        rest, base64.b64encode(data[5 + n:]).decode())).encode()
    t.ok("read to EOF, exact bytes", raw_reply(c) == want)
    t.eq("empty read at EOF", raw_reply(c) if c.send_raw(
        '{"execute":"guest-file-read","arguments":{"handle":%d}}\n' % h)
        is None else None,
        b'{"return": {"count": 0, "buf-b64": "", "eof": true}}\n')

    # A large read and a ping in one send: replies in order.
    c.cmd("guest-file-seek", handle=h, offset=0, whence="set")
    c.send_raw('{"execute":"guest-file-read","arguments":{"handle":%d,'
               '"count":%d}}\n{"execute":"guest-ping","id":"after"}\n' %
               (h, len(data)))
    r1 = json.loads(raw_reply(c))
    t.ok("large read first", base64.b64decode(r1["return"]["buf-b64"]) ==
         data and r1["return"]["eof"] is False)
    t.eq("then the ping", json.loads(raw_reply(c)),
         {"return": {}, "id": "after"})

    # A reader that leaves in the middle of a 32 MiB reply.
    big = os.path.join(a.tmp, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(32 << 20))
    c.close()
    s = socket.socket(socket.AF_UNIX)
    s.connect(a.sock)
    hb = None
    s.sendall(b'{"execute":"guest-file-open","arguments":{"path":"%s"}}\n' %
              big.encode())
    got = b""
    while not got.endswith(b"\n"):
        got += s.recv(4096)
    hb = json.loads(got)["return"]
    s.sendall(b'{"execute":"guest-file-read","arguments":{"handle":%d,'
              b'"count":%d}}\n' % (hb, 32 << 20))
    got = s.recv(65536)
    t.ok("large reply starts", got.startswith(b'{"return": {"count": '),
         got[:40])
    s.close()
    c = lib.wait_for(lambda: a.qga(), 10, "reconnect")
    t.eq("agent answers after the reader left", c.cmd("guest-ping"),
         {"return": {}})
    c.close()

    # A slow reader: the reply waits in the queue and arrives whole.
    s = socket.socket(socket.AF_UNIX)
    s.connect(a.sock)
    s.sendall(b'{"execute":"guest-file-seek","arguments":{"handle":%d,'
              b'"offset":0,"whence":"set"}}\n{"execute":"guest-file-read","arguments":'
              b'{"handle":%d,"count":%d}}\n{"execute":"guest-ping"}\n' %
              (hb, hb, 8 << 20))
    time.sleep(0.5)		# not a sync: lets the queue fill up
    buf = bytearray()
    while buf.count(b"\n") < 3:
        d = s.recv(1 << 16)
        if not d:
            break
        buf += d
    lines = bytes(buf).split(b"\n")
    t.eq("slow reader: seek", json.loads(lines[0]),
         {"return": {"position": 0, "eof": False}})
    with open(big, "rb") as f:
        head = f.read(8 << 20)
    r = json.loads(lines[1])
    t.ok("slow reader: the first 8 MiB, whole",
         r["return"]["count"] == 8 << 20 and
         base64.b64decode(r["return"]["buf-b64"]) == head)
    t.eq("slow reader: ping after", json.loads(lines[2]), {"return": {}})
    s.close()
t.done()
