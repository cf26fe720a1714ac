"""guest-file-read of /proc files, which report size 0 whatever they hold
(the read-size hint must not trust st_size there)."""
import base64
import os

import lib

t = lib.T()
with lib.Agent() as a:
    c = a.qga()
    for path in ("/proc/self/stat", "/proc/meminfo"):
        h = c.cmd("guest-file-open", {"path": path})["return"]
        r = c.cmd("guest-file-read", {"handle": h, "count": 65536})["return"]
        c.cmd("guest-file-close", {"handle": h})
        data = base64.b64decode(r["buf-b64"])
        t.ok("read %s whole (%d bytes, eof %s)" % (path, r["count"], r["eof"]),
             r["count"] == len(data) and len(data) > 20 and r["eof"] is True,
             r)
t.done()
