"""oVirt containers: the Docker engine's list over its unix socket (a fake
engine here), renamed to lower case; changes reported without waiting a
period; an engine that never answers costs nothing but its deadline."""
import json
import os
import shutil
import socket
import socketserver
import tempfile
import threading
from http.server import BaseHTTPRequestHandler

import ovlib
import lib
from vdsm import Vdsm

t = lib.T()
fx = tempfile.mkdtemp(prefix="onega-ovdock-")
root = os.path.join(fx, "root")
os.makedirs(os.path.join(root, "var/run"))
for d in ("proc", "sys", "etc", "dev", "usr", "run"):
    os.symlink("/" + d, os.path.join(root, d))
os.symlink("/var/lib", os.path.join(root, "var/lib"))
sock = os.path.join(root, "var/run/docker.sock")

state = {"list": [
    {"Id": "abc123", "Names": ["/web"], "Image": "nginx", "Command":
     "nginx -g 'daemon off;'", "Status": "Up 2 minutes", "Ports": []},
    {"Id": "def456", "Names": ["/db", 5], "Image": "postgres",
     "Status": "Exited (0)"}], "paths": []}


class Docker(BaseHTTPRequestHandler):
    def do_GET(self):
        state["paths"].append(self.path)
        body = json.dumps(state["list"]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

    def address_string(self):
        return "docker"


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


srv = Server(sock, Docker)
threading.Thread(target=srv.serve_forever, daemon=True).start()

with ovlib.agent("heartbeat=0.4\napps=1\n", env={"VERBS_ROOT": root}) as a:
    p = Vdsm(a.ovsock)
    p.wait(lambda: p.count("containers") >= 1, what="v3 containers")
    t.eq("containers_renamed", p.last("containers")["list"], [
        {"id": "abc123", "image": "nginx", "command":
         "nginx -g 'daemon off;'", "status": "Up 2 minutes",
         "names": ["/web"]},
        {"id": "def456", "image": "postgres", "status": "Exited (0)",
         "names": ["/db"]}])
    t.eq("containers_query", state["paths"][0],
         "/containers/json?all=true")
    state["list"] = []
    n = len(p.lines)
    p.wait(lambda: any(nm == "containers" and x["list"] == []
                       for (_, nm, x, _) in p.lines[n:]), 15,
           "emptied list")
    t.ok("containers_change_reported", True, "")
    t.eq("peer_failures", p.failures, [])
    p.close()
srv.shutdown()
srv.server_close()
os.unlink(sock)

# An engine that accepts and never answers.
hang = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
hang.bind(sock)
hang.listen(8)
with ovlib.agent("heartbeat=0.4\n", env={"VERBS_ROOT": root}) as a:
    p = Vdsm(a.ovsock)
    p.wait(lambda: len(p.beats) >= 4, 20, "heartbeats while Docker hangs")
    t.eq("containers_hang_empty", p.last("containers")["list"]
         if p.last("containers") else [], [])
    lib.wait_for(lambda: "Docker did not answer" in a.stderr(), 15,
                 "deadline logged")
    t.ok("containers_hang_deadline", a.alive(), "")
    t.eq("peer_failures_hang", p.failures, [])
    p.close()
hang.close()
shutil.rmtree(fx, ignore_errors=True)
t.done()
