"""ssh keys, passwords, vCPUs, memory blocks and set-time errors against a
scratch root (VERBS_ROOT): /etc/passwd and /etc/shadow, home directories
and a fake /sys/devices/system (qemu-ga.md 3.8, 3.12, 3.13, 4.5, 4.6)."""
import base64
import os
import stat

import lib

t = lib.T()

ALICE_HASH = "$6$saltsalt$" + "x" * 86


def scratch_root(tmp):
    root = os.path.join(tmp, "root")
    for d in ("etc", "home/alice", "home/bob/.ssh",
              "sys/devices/system/cpu/cpu0", "sys/devices/system/cpu/cpu1",
              "sys/devices/system/memory/memory0",
              "sys/devices/system/memory/memory1"):
        os.makedirs(os.path.join(root, d))
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n"
                "alice:x:1001:1001::/home/alice:/bin/sh\n"
                "bob:x:1002:1002::/home/bob:/bin/sh\n")
    with open(os.path.join(root, "etc/shadow"), "w") as f:
        f.write("root:*:19000:0:99999:7:::\n"
                "alice:!:19000:0:99999:7:::\n"
                "bob:*:19000:0:99999:7:::\n")
    os.chmod(os.path.join(root, "etc/shadow"), 0o640)
    with open(os.path.join(root, "home/bob/.ssh/authorized_keys"),
              "w") as f:
        f.write("ssh-ed25519 AAAA1 bob@a\n# comment\n\nssh-rsa BBBB2 bob@b\n")
    with open(os.path.join(root, "sys/devices/system/cpu/cpu1/online"),
              "w") as f:
        f.write("1\n")
    with open(os.path.join(root, "sys/devices/system/memory/memory1/state"),
              "w") as f:
        f.write("online\n")
    return root


def desc(r):
    return r.get("error", {}).get("desc")



import tempfile
base = tempfile.mkdtemp(prefix="onega-root-")
root = scratch_root(base)
with lib.Agent(env={"VERBS_ROOT": root}) as a:
    c = a.qga()
    # ssh keys
    r = c.cmd("guest-ssh-get-authorized-keys", username="bob")
    t.eq("get: reverse order, comments and blanks skipped", r,
         {"return": {"keys": ["ssh-rsa BBBB2 bob@b", "ssh-ed25519 AAAA1 bob@a"]}})
    r = c.cmd("guest-ssh-add-authorized-keys", username="alice",
              keys=["ssh-ed25519 KEY1 a@x", "ssh-ed25519 KEY2 a@y"])
    t.eq("add creates .ssh", r, {"return": {}})
    sshd = os.path.join(root, "home/alice/.ssh")
    ak = os.path.join(sshd, "authorized_keys")
    st, fst = os.stat(sshd), os.stat(ak)
    t.eq(".ssh mode and owner", (stat.S_IMODE(st.st_mode), st.st_uid,
                                 st.st_gid), (0o700, 1001, 1001))
    t.eq("authorized_keys mode and owner", (stat.S_IMODE(fst.st_mode),
                                            fst.st_uid, fst.st_gid),
         (0o600, 1001, 1001))
    with open(ak) as f:
        t.eq("keys joined by newlines", f.read(),
             "ssh-ed25519 KEY1 a@x\nssh-ed25519 KEY2 a@y")
    c.cmd("guest-ssh-add-authorized-keys", username="alice",
          keys=["ssh-ed25519 KEY2 a@y", "ssh-ed25519 KEY3 a@z"])
    with open(ak) as f:
        t.eq("add appends only new keys", f.read().split("\n"),
             ["ssh-ed25519 KEY1 a@x", "ssh-ed25519 KEY2 a@y",
              "ssh-ed25519 KEY3 a@z"])
    c.cmd("guest-ssh-remove-authorized-keys", username="alice",
          keys=["ssh-ed25519 KEY1 a@x", "ssh-ed25519 NOPE"])
    t.eq("remove", c.cmd("guest-ssh-get-authorized-keys",
                         username="alice")["return"]["keys"],
         ["ssh-ed25519 KEY3 a@z", "ssh-ed25519 KEY2 a@y"])
    c.cmd("guest-ssh-add-authorized-keys", username="alice",
          keys=["ssh-ed25519 ONLY"], reset=True)
    with open(ak) as f:
        t.eq("reset replaces", f.read(), "ssh-ed25519 ONLY")
    t.eq("bad key", desc(c.cmd("guest-ssh-add-authorized-keys",
                               username="alice", keys=["# no"])),
         "invalid OpenSSH public key: '# no'")
    with open(ak) as f:
        t.eq("bad key: nothing written", f.read(), "ssh-ed25519 ONLY")
    t.eq("unknown user", desc(c.cmd("guest-ssh-get-authorized-keys",
                                    username="nobody42")),
         "failed to lookup user 'nobody42': Success")
    t.eq("keys of the wrong type",
         desc(c.cmd("guest-ssh-add-authorized-keys", username="alice",
                    keys="ssh-rsa X")),
         "Invalid parameter type for 'keys', expected: array")
    # passwords: no chpasswd under the scratch root -> /etc/shadow here.
    pw = base64.b64encode(ALICE_HASH.encode()).decode()
    r = c.cmd("guest-set-user-password", username="alice", password=pw,
              crypted=True)
    t.eq("crypted password without chpasswd", r, {"return": {}})
    with open(os.path.join(root, "etc/shadow")) as f:
        lines = f.read().split("\n")
    al = [x for x in lines if x.startswith("alice:")][0].split(":")
    t.eq("shadow field 2 set", al[1], ALICE_HASH)
    t.ok("other lines untouched", lines[0] == "root:*:19000:0:99999:7:::"
         and lines[2] == "bob:*:19000:0:99999:7:::" and lines[3] == "",
         lines)
    t.ok("last change updated", int(al[2]) > 19000 and al[3:] ==
         ["0", "99999", "7", "", "", ""], al)
    sst = os.stat(os.path.join(root, "etc/shadow"))
    t.eq("shadow mode kept", stat.S_IMODE(sst.st_mode), 0o640)
    t.ok("no temporary left", sorted(os.listdir(os.path.join(root, "etc")))
         == [".pwd.lock", "passwd", "shadow"],
         os.listdir(os.path.join(root, "etc")))
    r = c.cmd("guest-set-user-password", username="bob",
              password=base64.b64encode(b"s3cret pw").decode(),
              crypted=False)
    t.eq("plain password without chpasswd", r, {"return": {}})
    with open(os.path.join(root, "etc/shadow")) as f:
        bl = [x for x in f.read().split("\n") if x.startswith("bob:")][0]
    h = bl.split(":")[1]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt
    t.ok("plain password hashed as $6$ and verifies",
         h.startswith("$6$") and crypt.crypt("s3cret pw", h) == h, bl)
    t.eq("unknown user", desc(c.cmd(
        "guest-set-user-password", username="zed", password=pw,
        crypted=True)), "child process has failed to set user password")
    t.eq("newline in password", desc(c.cmd(
        "guest-set-user-password", username="alice",
        password=base64.b64encode(b"a\nb").decode(), crypted=False)),
        "forbidden characters in raw password")
    t.eq("colon in username", desc(c.cmd(
        "guest-set-user-password", username="a:b", password=pw,
        crypted=True)), "forbidden characters in username")
    t.eq("bad base64", desc(c.cmd(
        "guest-set-user-password", username="alice", password="!!",
        crypted=True)), "Base64 data contains invalid characters")
    t.eq("crypted missing", desc(c.cmd(
        "guest-set-user-password", username="alice", password=pw)),
        "Parameter 'crypted' is missing")
    # vCPUs
    t.eq("set-vcpus: offline cpu1", c.cmd("guest-set-vcpus", vcpus=[
        {"logical-id": 1, "online": False}]), {"return": 1})
    with open(os.path.join(root, "sys/devices/system/cpu/cpu1/online")) as f:
        t.eq("cpu1/online written", f.read()[:1], "0")
    t.eq("cpu0 cannot be offlined", desc(c.cmd("guest-set-vcpus", vcpus=[
        {"logical-id": 0, "online": False}])),
        "logical processor #0 can't be offlined")
    t.eq("prefix count when a later one fails", c.cmd(
        "guest-set-vcpus", vcpus=[{"logical-id": 1, "online": True},
                                  {"logical-id": 0, "online": False}]),
        {"return": 1})
    t.eq("empty list", c.cmd("guest-set-vcpus", vcpus=[]), {"return": 0})
    t.eq("element type", desc(c.cmd("guest-set-vcpus", vcpus=[
        {"logical-id": "1", "online": True}])),
        "Invalid parameter type for 'vcpus[0].logical-id', expected: "
        "integer")
    t.eq("element member missing", desc(c.cmd("guest-set-vcpus", vcpus=[
        {"logical-id": 1}])), "Parameter 'vcpus[0].online' is missing")
    # memory blocks
    r = c.cmd("guest-set-memory-blocks", **{"mem-blks": [
        {"phys-index": 1, "online": False}, {"phys-index": 7,
                                              "online": True},
        {"phys-index": 0, "online": False}]})
    t.eq("set-memory-blocks", r, {"return": [
        {"phys-index": 1, "response": "success"},
        {"phys-index": 7, "response": "not-found"},
        {"phys-index": 0, "response": "operation-not-supported"}]})
    with open(os.path.join(root,
                           "sys/devices/system/memory/memory1/state")) as f:
        t.eq("memory1/state written", f.read().strip(), "offline")
    # set-time: only the checks (changing the host clock is for the VM).
    t.eq("set-time year >= 2070", desc(c.cmd(
        "guest-set-time", time=3250368000 * 10**9)), "Invalid time")
    t.eq("set-time before 1970", desc(c.cmd(
        "guest-set-time", time=-10**9)), "Invalid time")
    t.eq("set-time wrong type", desc(c.cmd("guest-set-time", time="now")),
         "Invalid parameter type for 'time', expected: integer")
    t.ok("agent alive", a.alive())
# With a chpasswd (here a script that records what it gets) it is used.
sbin = os.path.join(root, "usr/sbin")
os.makedirs(sbin)
got = os.path.join(base, "chpasswd.in")
with open(os.path.join(sbin, "chpasswd"), "w") as f:
    f.write("#!/bin/sh\necho \"args:$*\" > %s\ncat >> %s\n"
            "grep -q '^nobody:' %s && exit 1\nexit 0\n" % (got, got, got))
os.chmod(os.path.join(sbin, "chpasswd"), 0o755)
with lib.Agent(env={"VERBS_ROOT": root}) as a:
    c = a.qga()
    r = c.cmd("guest-set-user-password", username="alice",
              password=base64.b64encode(b"pw1").decode(), crypted=False)
    t.eq("chpasswd: plain", r, {"return": {}})
    with open(got) as f:
        t.eq("chpasswd gets user:password on stdin", f.read(),
             "args:\nalice:pw1\n")
    c.cmd("guest-set-user-password", username="alice",
          password=base64.b64encode(ALICE_HASH.encode()).decode(),
          crypted=True)
    with open(got) as f:
        t.eq("chpasswd -e for crypted", f.read(),
             "args:-e\nalice:%s\n" % ALICE_HASH)
    t.eq("chpasswd failing", desc(c.cmd(
        "guest-set-user-password", username="nobody",
        password=base64.b64encode(b"x").decode(), crypted=False)),
        "child process has failed to set user password")
import shutil
shutil.rmtree(base, ignore_errors=True)
t.done()
