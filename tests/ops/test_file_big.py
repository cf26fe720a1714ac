"""guest-file-write with a large buf-b64 (64 KiB and up): the payload is
decoded where it arrived, without a copy into the JSON tree.  Every request
that could confuse that shortcut must get exactly the answer the ordinary
path gives: escaped slashes, the shortcut's own marker sent by the client,
a big string in the wrong place, as a key, nested, bad base64, count, a
big write pipelined with other requests, single-quoted strings."""
import base64
import json
import os

import lib

t = lib.T()
MARK = "\u0001onega\u0002"


def ret(r):
    return r.get("return", r)


def err(r):
    return r.get("error", {}).get("desc")


def raw(c, text):
    c.send_raw(text)
    return c.read_reply()


with lib.Agent() as a:
    c = a.qga()
    path = os.path.join(a.tmp, "big.bin")
    h = ret(c.cmd("guest-file-open", path=path, mode="w+"))
    data = os.urandom(300000) + b"\xff\xfe/+" * 1000
    b64 = base64.b64encode(data).decode()
    t.ok("payload has '/' and '+'", "/" in b64 and "+" in b64)
    r = c.cmd("guest-file-write", handle=h, **{"buf-b64": b64})
    t.eq("big write", r, {"return": {"count": len(data), "eof": False}})
    c.cmd("guest-file-flush", handle=h)
    with open(path, "rb") as f:
        t.ok("big write content", f.read() == data)

    # JSON writers that escape '/' (json-c's default) take the full parse.
    c.cmd("guest-file-seek", handle=h, offset=0, whence="set")
    esc = b64.replace("/", "\\/")
    r = raw(c, '{"execute":"guest-file-write","arguments":{"handle":%d,'
            '"buf-b64":"%s"}}\n' % (h, esc))
    t.eq("escaped slashes", r, {"return": {"count": len(data),
                                           "eof": False}})
    c.cmd("guest-file-flush", handle=h)
    with open(path, "rb") as f:
        t.ok("escaped slashes content", f.read() == data)

    # The client sends the marker itself: still the right bytes.
    c.cmd("guest-file-seek", handle=h, offset=0, whence="set")
    r = c.cmd("guest-file-write", args={"handle": h, "buf-b64": b64},
              id=MARK)
    t.eq("marker as id", r, {"return": {"count": len(data), "eof": False},
                             "id": MARK})
    c.cmd("guest-file-flush", handle=h)
    with open(path, "rb") as f:
        t.ok("marker as id content", f.read() == data)

    # The marker as the only payload: written as what it is (bad base64).
    r = c.cmd("guest-file-write", handle=h, **{"buf-b64": MARK})
    t.eq("marker as payload", err(r),
         "Base64 data contains invalid characters")

    # A big string where another argument is expected.
    r = c.cmd("guest-file-write", **{"handle": b64, "buf-b64": "QQ=="})
    t.eq("big string as handle",
         err(r), "Invalid parameter type for 'handle', expected: integer")
    # Big string nested: buf-b64 missing at the top, as with a small one.
    r = c.cmd("guest-file-write", handle=h, x={"buf-b64": b64})
    t.eq("big string nested", err(r),
         err(c.cmd("guest-file-write", handle=h, x={"buf-b64": "QQ=="})))
    t.eq("nested error text", err(r), "Parameter 'buf-b64' is missing")
    # Big string as a key.
    key = b64[:70000]
    r = raw(c, '{"execute":"guest-file-write","arguments":{"handle":%d,'
            '"%s":1,"buf-b64":"QQ=="}}\n' % (h, key))
    t.ok("big string as key (error text cut at 1 KiB)",
         err(r).startswith("Parameter '%s" % key[:1000]), err(r)[:80])
    # Big string in a command without the shortcut (guest-exec input-data).
    r = c.cmd("guest-exec", path="/nonexistent/x",
              **{"input-data": b64})
    t.ok("other command, big arg: its own error", "error" in r, r)

    # Bad base64 at the very end of a big payload.
    r = c.cmd("guest-file-write", handle=h, **{"buf-b64": b64[:-4] + "*A=="})
    t.eq("big bad base64", err(r), "Base64 data contains invalid characters")
    # count below the decoded length.
    c.cmd("guest-file-seek", handle=h, offset=0, whence="set")
    r = c.cmd("guest-file-write", handle=h, count=70000, **{"buf-b64": b64})
    t.eq("big with count", r, {"return": {"count": 70000, "eof": False}})
    r = c.cmd("guest-file-write", handle=h, count=len(data) + 1,
              **{"buf-b64": b64})
    t.eq("big count over length", err(r),
         "value '%d' is invalid for argument count" % (len(data) + 1))
    # Two big writes and a ping in one send: decoding in place must not
    # touch the requests behind it.
    os.truncate(path, 0)
    c.cmd("guest-file-seek", handle=h, offset=0, whence="set")
    half = base64.b64encode(data[:150000]).decode()
    rest = base64.b64encode(data[150000:]).decode()
    req = "".join(json.dumps(x) + "\n" for x in (
        {"execute": "guest-file-write",
         "arguments": {"handle": h, "buf-b64": half}},
        {"execute": "guest-ping", "id": half[:100]},
        {"execute": "guest-file-write",
         "arguments": {"handle": h, "buf-b64": rest}, "id": 7}))
    c.send_raw(req)
    r1, r2, r3 = c.read_reply(), c.read_reply(), c.read_reply()
    t.eq("pipelined 1", r1, {"return": {"count": 150000, "eof": False}})
    t.eq("pipelined ping keeps its id", r2, {"return": {}, "id": half[:100]})
    t.eq("pipelined 2", r3, {"return": {"count": len(data) - 150000,
                                        "eof": False}, "id": 7})
    c.cmd("guest-file-flush", handle=h)
    with open(path, "rb") as f:
        t.ok("pipelined content", f.read() == data)
    # Single-quoted strings (QEMU's extension) still work for big ones.
    c.cmd("guest-file-seek", handle=h, offset=0, whence="set")
    r = raw(c, "{'execute':'guest-file-write','arguments':{'handle':%d,"
            "'buf-b64':'%s'}}\n" % (h, b64))
    t.eq("single quotes", r, {"return": {"count": len(data), "eof": False}})
    # Duplicate buf-b64 keys, one big: the parse error, as without it.
    r = raw(c, '{"execute":"guest-file-write","arguments":{"handle":%d,'
            '"buf-b64":"QQ==","buf-b64":"%s"}}\n' % (h, b64))
    t.eq("duplicate key", err(r), "JSON parse error, duplicate key")
    t.eq("close", c.cmd("guest-file-close", handle=h), {"return": {}})
    t.eq("agent still answers", c.cmd("guest-ping"), {"return": {}})
t.done()
