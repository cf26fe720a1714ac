"""guest-file-* over a socket (qemu-ga.md 3.4, 4.1, 4.9): handles from
1000 persisted across restarts, modes, relative paths, base64 in and out
(Proxmox's MIME newlines), count limits, seek, EOF, wrong handles, a FIFO
that must not hang the agent, the open-handle limit, and a 48 MiB read."""
import base64
import os
import stat

import lib
import opslib

t = lib.T()


def ret(r):
    return r.get("return", r)


def err(r):
    return r.get("error", {}).get("desc")


with lib.Agent() as a:
    c = a.qga()
    path = os.path.join(a.tmp, "f.txt")
    h = ret(c.cmd("guest-file-open", path=path, mode="w+"))
    t.eq("first handle is 1000", h, 1000)
    st = os.stat(path)
    t.eq("new file mode 0666 regardless of umask", stat.S_IMODE(st.st_mode),
         0o666)
    data = b"hello, world!\n"
    r = c.cmd("guest-file-write", handle=h,
              **{"buf-b64": base64.b64encode(data).decode()})
    t.eq("write", r, {"return": {"count": 14, "eof": False}})
    t.eq("read right after write is at EOF",
         c.cmd("guest-file-read", handle=h),
         {"return": {"count": 0, "buf-b64": "", "eof": True}})
    t.eq("seek set", c.cmd("guest-file-seek", handle=h, offset=0,
                           whence="set"),
         {"return": {"position": 0, "eof": False}})
    r = ret(c.cmd("guest-file-read", handle=h, count=5))
    t.eq("read 5", r, {"count": 5, "buf-b64": "aGVsbG8=", "eof": False})
    t.eq("seek cur (int whence)", c.cmd("guest-file-seek", handle=h,
                                        offset=2, whence=1),
         {"return": {"position": 7, "eof": False}})
    r = ret(c.cmd("guest-file-read", handle=h))
    t.eq("read rest", base64.b64decode(r["buf-b64"]), b"world!\n")
    t.eq("eof set", r["eof"], True)
    t.eq("seek end", ret(c.cmd("guest-file-seek", handle=h, offset=-3,
                               whence="end"))["position"], 11)
    t.eq("bad whence int", err(c.cmd("guest-file-seek", handle=h, offset=0,
                                     whence=7)), "invalid whence code 7")
    t.eq("bad whence string", err(c.cmd("guest-file-seek", handle=h,
                                        offset=0, whence="top")),
         "Parameter 'whence' does not accept value 'top'")
    # Proxmox's MIME encoder puts a newline every 76 characters.
    big = bytes(range(256)) * 3
    mime = base64.encodebytes(big).decode()
    t.ok("mime text has newlines", "\n" in mime)
    c.cmd("guest-file-seek", handle=h, offset=0, whence="set")
    r = c.cmd("guest-file-write", handle=h, **{"buf-b64": mime})
    t.eq("write MIME base64", r, {"return": {"count": 768, "eof": False}})
    t.eq("bad base64", err(c.cmd("guest-file-write", handle=h,
                                 **{"buf-b64": "a*b="})),
         "Base64 data contains invalid characters")
    t.eq("count over decoded length",
         err(c.cmd("guest-file-write", handle=h,
                   **{"buf-b64": "YWJj", "count": 4})),
         "value '4' is invalid for argument count")
    t.eq("partial count", c.cmd("guest-file-write", handle=h,
                                **{"buf-b64": "YWJj", "count": 2}),
         {"return": {"count": 2, "eof": False}})
    t.eq("flush", c.cmd("guest-file-flush", handle=h), {"return": {}})
    t.eq("close", c.cmd("guest-file-close", handle=h), {"return": {}})
    with open(path, "rb") as f:
        t.eq("file content", f.read(), big + b"ab")
    t.eq("second close", err(c.cmd("guest-file-close", handle=h)),
         "handle '1000' has not been found")
    t.eq("read closed handle", err(c.cmd("guest-file-read", handle=h)),
         "handle '1000' has not been found")
    t.eq("count too large", err(c.cmd("guest-file-read", handle=h,
                                      count=50331649)),
         "handle '1000' has not been found")
    h2 = ret(c.cmd("guest-file-open", path="f.txt"))
    t.eq("relative path against the working directory, next handle", h2,
         1001)
    t.eq("count too large", err(c.cmd("guest-file-read", handle=h2,
                                      count=50331649)),
         "value '50331649' is invalid for argument count")
    t.eq("negative count", err(c.cmd("guest-file-read", handle=h2,
                                     count=-1)),
         "value '-1' is invalid for argument count")
    t.eq("write to read-only handle",
         err(c.cmd("guest-file-write", handle=h2, **{"buf-b64": "YQ=="})),
         "failed to write to file: Bad file descriptor")
    t.eq("bad mode", err(c.cmd("guest-file-open", path=path, mode="rw")),
         "invalid file open mode 'rw'")
    missing = os.path.join(a.tmp, "nope", "x")
    t.eq("missing path", err(c.cmd("guest-file-open", path=missing)),
         "failed to open file '%s' (mode: 'r'): No such file or directory"
         % missing)
    t.ok("failed w open leaves nothing", not os.path.exists(
        os.path.join(a.tmp, "nope")))
    t.eq("wrong type", err(c.cmd("guest-file-read", handle="x")),
         "Invalid parameter type for 'handle', expected: integer")
    # A FIFO without a writer: open and read must not hang the agent.
    fifo = os.path.join(a.tmp, "fifo")
    os.mkfifo(fifo)
    hf = ret(c.cmd("guest-file-open", path=fifo))
    t.ok("fifo opens", isinstance(hf, int), hf)
    r = c.cmd("guest-file-read", handle=hf)
    t.ok("fifo read returns at once", "return" in r or "error" in r, r)
    t.eq("agent still answers", c.cmd("guest-ping"), {"return": {}})
    c.cmd("guest-file-close", handle=hf)
    # The open-handle limit.
    hs = []
    while True:
        r = c.cmd("guest-file-open", path=path)
        if "error" in r:
            break
        hs.append(r["return"])
        if len(hs) > 1000:
            break
    t.ok("open-handle limit with a clear error", 0 < len(hs) < 1000 and
         "too many open guest files" in err(r), (len(hs), r))
    for x in hs:
        c.cmd("guest-file-close", handle=x)
    # A 48 MiB request on a small file: the answer, without a 64 MiB buffer.
    hs = ret(c.cmd("guest-file-open", path=path))
    r = ret(c.cmd("guest-file-read", handle=hs, count=48 << 20))
    t.eq("48 MiB count on a small file", (r["count"], r["eof"]),
         (770, True))
    with open("/proc/%d/status" % a.p.pid) as f:
        hwm = [int(x.split()[1]) for x in f if x.startswith("VmHWM")][0]
    t.ok("no 64 MiB buffer for it (VmHWM %d kB)" % hwm, hwm < 32768, hwm)
    c.cmd("guest-file-close", handle=hs)
    # A 48 MiB read in one request.
    bigpath = os.path.join(a.tmp, "big")
    blob = os.urandom(48 << 20)
    with open(bigpath, "wb") as f:
        f.write(blob)
    hb = ret(c.cmd("guest-file-open", path=bigpath))
    bc = opslib.BigClient(a.sock)   # served after c closes
    c.close()
    r = ret(bc.cmd("guest-file-read", handle=hb, count=48 << 20))
    t.ok("48 MiB read", r.get("count") == 48 << 20 and
         base64.b64decode(r["buf-b64"]) == blob, r.get("count"))
    bc.close()
    del blob, r

# The counter survives a restart (same state dir).
with lib.Agent() as a:
    st = os.path.join(a.statedir, "qga.state")
    with open(st, "w") as f:
        f.write("[global]\nfd_counter=1234\n")
    c = opslib.connect(a)
    h = ret(c.cmd("guest-file-open", path=st))
    t.eq("handle counter from qga.state", h, 1234)
    with open(st) as f:
        t.eq("qga.state rewritten", f.read(), "[global]\nfd_counter=1235\n")
t.done()
