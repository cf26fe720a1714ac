"""Transports and process options: isa-serial (on a pty), vsock-listen,
daemonize with a pidfile, the log file and SIGHUP, retry-path."""
import json
import os
import pty
import select
import signal
import socket
import subprocess
import tempfile
import termios
import time

import lib

t = lib.T()
tmp = tempfile.mkdtemp(prefix="onega-tr-")
conf = os.path.join(tmp, "conf")
with open(conf, "w") as f:
    f.write("[ovirt]\nenabled=false\n[spice]\nenabled=false\n")
ENV = dict(os.environ, ONEGA_CMDLINE="/nonexistent")
ENV.pop("QGA_CONF", None)


def start(args):
    return subprocess.Popen([lib.AGENT, "-c", conf, "-t", tmp] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=ENV, cwd=tmp)


def read_line_fd(fd, timeout=10):
    out = b""
    end = time.monotonic() + timeout
    while not out.endswith(b"\n"):
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if not r:
            raise TimeoutError(out)
        out += os.read(fd, 4096)
    return out


# isa-serial: a pty stands in for the UART; the agent sets raw mode
master, slave = pty.openpty()
sname = os.ttyname(slave)
os.close(slave)
p = start(["-m", "isa-serial", "-p", sname])


def raw_yet():
    fd = os.open(sname, os.O_RDWR | os.O_NOCTTY)
    try:
        return not (termios.tcgetattr(fd)[3] & termios.ICANON)
    finally:
        os.close(fd)


try:
    # the agent flushes input when it opens the port, as qemu-ga does
    lib.wait_for(raw_yet, 10, "raw mode")
    os.write(master, b'{"execute":"guest-sync-delimited","arguments":'
             b'{"id":5}}\n{"execute":"guest-ping"}\n')
    l1 = read_line_fd(master)
    l2 = read_line_fd(master) if l1.count(b"\n") == 1 else b""
    got = l1 + l2
    t.eq("isa-serial: replies", got,
         b'\xff{"return": 5}\n{"return": {}}\n')
    sfd = os.open(sname, os.O_RDWR | os.O_NOCTTY)
    attrs = termios.tcgetattr(sfd)
    os.close(sfd)
    t.ok("isa-serial: raw mode (no ICANON, no ECHO)",
         not (attrs[3] & (termios.ICANON | termios.ECHO)), attrs[3])
    t.ok("isa-serial: VMIN=1 VTIME=0",
         attrs[6][termios.VMIN] in (1, b"\x01") and
         attrs[6][termios.VTIME] in (0, b"\x00"), attrs[6])
finally:
    p.terminate()
    p.wait()
    os.close(master)

# vsock-listen: binds here; a round trip needs a vsock transport
p = start(["-m", "vsock-listen", "-p", "4294967295:%d" % (20000 +
                                                            os.getpid() % 10000)])
time.sleep(0.3)
if p.poll() is None:
    t.ok("vsock-listen: listening", True)
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect((1, 20000 + os.getpid() % 10000))
        s.sendall(b'{"execute":"guest-ping"}\n')
        t.eq("vsock-listen: round trip", s.recv(100), b'{"return": {}}\n')
    except OSError as e:
        t.skip("vsock-listen: round trip",
               "no vsock transport on this machine (no /dev/vhost-vsock, "
               "no vsock_loopback): %s" % e)
    s.close()
else:
    err = p.stderr.read().decode()
    if "Address family not supported" in err:
        t.skip("vsock-listen: listening", "no AF_VSOCK in this kernel")
    else:
        t.ok("vsock-listen: listening", False, err)
p.terminate()
p.wait()
r = subprocess.run([lib.AGENT, "-c", conf, "-m", "vsock-listen", "-p",
                    "nonsense"], capture_output=True, text=True, env=ENV,
                   timeout=10)
t.ok("vsock-listen: bad CID:PORT refused", r.returncode != 0, r)

# -d: the parent exits 0, the daemon writes and locks its pidfile
pidf = os.path.join(tmp, "onega.pid")
logf = os.path.join(tmp, "onega.log")
sock = os.path.join(tmp, "d.sock")
r = subprocess.run([lib.AGENT, "-c", conf, "-t", tmp, "-d", "-f", pidf,
                    "-l", logf, "-v", "-m", "unix-listen", "-p", sock],
                   env=ENV, timeout=10)
t.eq("-d: parent exits 0", r.returncode, 0)
lib.wait_for(lambda: os.path.exists(pidf) and os.path.getsize(pidf) > 0 and
             os.path.exists(sock), 10, "pidfile")
pid = int(open(pidf).read())
t.ok("-d: pidfile names a live process", os.path.exists("/proc/%d" % pid))
c = lib.Client(sock)
t.eq("-d: serves", c.cmd("guest-ping"), {"return": {}})
c.close()
r = subprocess.run([lib.AGENT, "-c", conf, "-t", tmp, "-f", pidf,
                    "-m", "unix-listen", "-p", sock + "2"],
                   capture_output=True, text=True, env=ENV, timeout=10)
t.ok("second agent on a locked pidfile refuses",
     r.returncode != 0 and "locked" in r.stderr, r)
t.ok("log file written", "started" in open(logf).read())
os.rename(logf, logf + ".1")
os.kill(pid, signal.SIGHUP)
lib.wait_for(lambda: os.path.exists(logf), 10, "log reopened")
c = lib.Client(sock)
c.cmd("guest-ping")
c.close()
os.kill(pid, signal.SIGTERM)
lib.wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
             open("/proc/%d/stat" % pid).read().split()[2] == "Z", 10, "exit")
t.ok("SIGHUP reopened the log", "exiting" in open(logf).read())
lib.wait_for(lambda: not os.path.exists(pidf), 10, "pidfile removed")
t.ok("-d: pidfile removed at exit", not os.path.exists(pidf))

# a missing device: fatal without -r, waits with -r
r = subprocess.run([lib.AGENT, "-c", conf, "-t", tmp, "-p",
                    os.path.join(tmp, "no-such-port")], capture_output=True,
                   text=True, env=ENV, timeout=10)
t.ok("missing path is fatal without -r", r.returncode != 0, r)
p = start(["-r", "-p", os.path.join(tmp, "no-such-port")])
time.sleep(0.5)
t.ok("-r keeps waiting for the path", p.poll() is None)
p.terminate()
t.eq("-r agent exits 0 on SIGTERM", p.wait(), 0)
t.done()
