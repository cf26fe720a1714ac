"""Large requests: the agent keeps its big buffers while the host is busy
(a fresh page fault costs more than the copy) and gives them back once
the host has been quiet for a moment: RSS returns to idle."""
import base64
import os
import re

import lib

t = lib.T()


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


with lib.Agent() as a:
    c = a.qga(timeout=60)
    idle = rss(a.p.pid)
    path = os.path.join(a.tmp, "f")
    h = c.cmd("guest-file-open", {"path": path, "mode": "w"})["return"]
    blob = os.urandom(8 << 20)
    for i in range(3):
        r = c.cmd("guest-file-write", {"handle": h, "buf-b64":
                                       base64.b64encode(blob).decode()})
        t.eq("8 MiB write %d" % i, r.get("return", {}).get("count"), 8 << 20)
    c.cmd("guest-file-close", {"handle": h})
    t.eq("written bytes intact", open(path, "rb").read(), blob * 3)
    busy = rss(a.p.pid)
    try:
        lib.wait_for(lambda: rss(a.p.pid) < idle + 1024, 15, "RSS idle")
    except TimeoutError:
        pass
    t.ok("RSS back near idle after the host goes quiet (idle %d kB, busy "
         "%d kB, now %d kB)" % (idle, busy, rss(a.p.pid)),
         rss(a.p.pid) < idle + 1024)
    t.eq("still serving", c.cmd("guest-ping"), {"return": {}})
t.done()
