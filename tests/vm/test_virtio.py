"""The loop on real virtio-serial ports (vm-testing.md 9, 10): no spin
while a host is away, every pipelined request answered in order, the other
ports' state does not disturb the qga port."""
import json
import os
import random
import time

import lib
import vmlib

t = lib.T()
why = vmlib.skip_reason()
if why:
    t.skip("virtio loop", why)
    t.done()
    raise SystemExit(0)


def agent_ticks(c):
    """utime + stime of the agent itself (/proc/self/stat), in the guest."""
    h = c.cmd("guest-file-open", {"path": "/proc/self/stat"})["return"]
    r = c.cmd("guest-file-read", {"handle": h, "count": 4096})["return"]
    c.cmd("guest-file-close", {"handle": h})
    import base64
    f = base64.b64decode(r["buf-b64"]).decode().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


with vmlib.VM() as vm:
    c = vm.qga()
    t0 = agent_ticks(c)
    # the host side goes away: the port reports POLLIN|POLLHUP forever
    c.close()
    time.sleep(3)       # a measurement window, not synchronisation
    c = vm.qga(new=True)
    t.eq("reconnect after 3 s away", c.sync(777), {"return": 777})
    t1 = agent_ticks(c)
    # A spinning loop burns ~300 ticks in 3 s; idle costs a few.
    t.ok("no spin while the host is away (%d ticks in 3 s)" % (t1 - t0),
         t1 - t0 < 60, t1 - t0)

    # pipelined requests in odd-sized writes, answered in order
    n = 1000
    reqs = b"".join(b'{"execute":"guest-sync","arguments":{"id":%d}}\n' % i
                    for i in range(n))
    pos = 0
    rnd = random.Random(7)
    while pos < len(reqs):
        k = rnd.randint(1, 3000)
        c.send_raw(reqs[pos:pos + k])
        pos += k
    ids = []
    try:
        for i in range(n):
            ids.append(c.read_reply()["return"])
    except Exception as e:
        t.ok("pipelined requests: all answered", False,
             "%d answered: %s" % (len(ids), e))
    else:
        t.eq("pipelined requests: all answered in order", ids,
             list(range(n)))

    # the spice and oVirt hosts never connected: qga is unaffected
    t.eq("qga serves while the other ports have no host",
         c.cmd("guest-ping"), {"return": {}})
t.done()
