"""onega call against QEMU's chardev socket of a real guest's qemu-ga port
(one boot): the reply crosses virtio-serial, a previous host client left a
half-sent request behind (the 0xFF flush must cut it off), and a
guest-shutdown with no reply counts as success."""
import json
import os
import socket
import subprocess

import lib
import vmlib

t = lib.T()


def call(*args):
    p = subprocess.run([lib.AGENT, "call"] + list(args), capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


why = vmlib.skip_reason()
if why:
    t.skip("call-vm", why)
    t.done()
    raise SystemExit(0)

with vmlib.VM(ports=(vmlib.QGA_PORT,)) as vm:
    vm.qga().close()		# a QEMU socket chardev serves one client
    path = vm.port_path(vmlib.QGA_PORT)
    rc, out, err = call(path, "guest-info")
    info = json.loads(out) if rc == 0 else {}
    t.ok("vm-guest-info", rc == 0 and info.get("version") and
         {"name": "guest-ping", "enabled": True, "success-response": True}
         in info.get("supported_commands", []), (rc, out[:300], err))
    rc, out, err = call(path, "guest-get-host-name")
    t.ok("vm-host-name", rc == 0 and "host-name" in json.loads(out),
         (rc, out, err))

    # A host client that dies in the middle of a request.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b'{"execute": "guest-get-time", "argu')
    s.close()
    rc, out, err = call(path, "guest-ping")
    t.ok("vm-after-half-request", rc == 0 and json.loads(out) == {},
         (rc, out, err))
    rc, out, err = call("--raw", path, "guest-sync",
                        '{"id": 4611686018427387904}')
    t.eq("vm-raw-exact", (rc, out), (0, '{"return": 4611686018427387904}\n'))
    rc, out, err = call(path, "guest-nonexistent")
    t.ok("vm-error", rc == 1 and "CommandNotFound" in err, (rc, err))
    rc, out, err = call(path, "guest-shutdown")
    t.ok("vm-shutdown-no-reply", rc == 0 and out == "", (rc, out, err))
    code = "guest-shutdown failed"
    if rc == 0:
        try:
            code = vm.wait_exit(60)
        except TimeoutError as e:
            code = str(e)
    t.ok("vm-powered-off", code == 0 and "reboot: Power down" in
         vm.console(), "exit %r, console %r" % (code, vm.console()[-300:]))
t.done()
