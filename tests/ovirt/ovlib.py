"""onega with its oVirt channel on a unix socket, for tests/ovirt/."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402


class OvAgent(lib.Agent):
    """lib.Agent with [ovirt] in unix-listen mode on self.ovsock."""

    def __init__(self, rates="", extra="", env=None, args=None):
        self.ovdir = tempfile.mkdtemp(prefix="onega-ov-")
        self.ovsock = os.path.join(self.ovdir, "ovirt.sock")
        conf = ("[ovirt]\nmethod=unix-listen\npath=%s\n%s\n%s\n"
                "[spice]\nenabled=false\n" % (self.ovsock, rates, extra))
        super().__init__(conf=conf, env=env, args=args)

    def __exit__(self, *exc):
        super().__exit__(*exc)
        shutil.rmtree(self.ovdir, ignore_errors=True)


def agent(rates="", extra="", env=None, args=None):
    """rates/extra: [ovirt] lines ("heartbeat=0.5\\n")."""
    return OvAgent(rates, extra, env, args)
