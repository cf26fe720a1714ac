"""oVirt channel: every command VDSM sends, bad input, and the version
machine, against the emulated VDSM peer.  shutdown and hibernate are
exercised only in the VM (tests/ovirt/test_vm.py): here they would act on
the test machine."""
import json
import os
import shutil
import signal
import tempfile

import ovlib
import lib
from vdsm import Vdsm, REFRESH, gated

t = lib.T()
fx = tempfile.mkdtemp(prefix="onega-ovfx-")


def script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


hooks = os.path.join(fx, "hooks")
log = os.path.join(fx, "hook.log")
bm = os.path.join(hooks, "before_migration")
am = os.path.join(hooks, "after_migration")
bh = os.path.join(hooks, "before_hibernation")
for d in (bm, am, bh):
    os.makedirs(d)
script(os.path.join(bm, "20_b"), "echo 20_b >> %s; exit 1" % log)
script(os.path.join(bm, "10_a"), "echo 10_a >> %s" % log)
with open(os.path.join(bm, "15_noexec"), "w") as f:
    f.write("#!/bin/sh\necho noexec >> %s\n" % log)
script(os.path.join(am, "50_after"), "echo after >> %s" % log)
script(os.path.join(bh, "10_slow"), "exec sleep 30")
loginctl = os.path.join(fx, "loginctl")
lclog = os.path.join(fx, "loginctl.log")
script(loginctl, '[ -e %s.fail ] && exit 1; echo "$@" >> %s; exit 0'
       % (lclog, lclog))
extra = ("hooks_dir=%s\nloginctl=%s\nhook_timeout_ms=1500\n"
         % (hooks, loginctl))


def negotiated(p):
    p.wait(lambda: p.api_sent == [3] and p.count("os-info") >= 1,
           what="v3 negotiation and refresh")


def set_api(p, value, expect):
    """api-version with a raw value; expect: the agent's new version, or
    None when it must be ignored.  Returns the refresh names that came."""
    n = len(p.lines)
    if expect is not None and expect < p.agent_api:
        p.lower_pending = expect
    elif expect is not None:
        p.agent_api = expect
    p.send("api-version", apiVersion=value)
    p.mark("api-%r" % (value,))
    return p.seq_after(n, REFRESH)


def echoes(p, since=0):
    return [a for (_, nm, a, _) in p.lines[since:] if nm == "echo"]


with ovlib.agent("heartbeat=0.5\n", extra) as a:
    p = Vdsm(a.ovsock)
    negotiated(p)

    # echo: the same arguments back, sanitised, 64-bit numbers exact.
    n = len(p.lines)
    p.send("echo", token="42", s="p\u00e9\u0001", big=12345678901234567890,
           neg=-5, l=[1, {"k": None}])
    p.wait(lambda: echoes(p, n), what="echo")
    t.eq("echo_same_args", echoes(p, n)[0],
         {"token": "42", "s": "p\u00e9\ufffd", "big": 12345678901234567890,
          "neg": -5, "l": [1, {"k": None}]})

    # Bad lines are ignored; the agent carries on.
    n = len(p.lines)
    p.send_raw(b"\n\r\n   \ngarbage\n[1,2]\n{\"foo\":1}\n{\"__name__\":5}\n"
               b"\xff\xfe\n{\"__name__\":\"nosuch\"}\n\"str\"\n"
               b"{\"__name__\":\"echo\"} trailing\n{\"__name__\":\"ech")
    p.send_raw(b"o\",\"split\":1}\n")
    p.mark("after-garbage")
    got = echoes(p, n)
    t.eq("garbage_ignored", got, [{"split": 1}, {"mark": "after-garbage"}])
    t.ok("unknown_logged", "Unknown external command" in a.stderr(),
         a.stderr()[-500:])
    # A 2 MiB line is dropped whole; the next line works.
    n = len(p.lines)
    big = json.dumps({"__name__": "echo", "pad": "x" * (2 << 20)})
    p.send_raw(big.encode()[:1000])
    p.send_raw(big.encode()[1000:] + b"\n")
    p.mark("after-2mib")
    t.eq("line_2mib_dropped", echoes(p, n), [{"mark": "after-2mib"}])
    t.ok("alive_after_bad_input", a.alive(), a.stderr()[-300:])

    # Version machine: lower, string, clamp, ignored values.
    t.eq("api_1_refresh", set_api(p, 1, 1), gated(REFRESH, 1))
    t.eq("api_string_2_refresh", set_api(p, "2", 2), gated(REFRESH, 2))
    t.eq("api_7_clamped_to_3", set_api(p, 7, 3), REFRESH)
    t.eq("api_same_no_refresh", set_api(p, 3, None), [])
    t.eq("api_string_x_ignored", set_api(p, "x", None), [])
    t.eq("api_negative_ignored", set_api(p, -1, None), [])
    t.eq("api_null_ignored", set_api(p, None, None), [])
    # An old VDSM: refresh without apiVersion drops the agent to 0.
    n = len(p.lines)
    p.lower_pending = 0
    p.send_raw(b'{"__name__": "refresh"}\n')
    p.mark("old-vdsm")
    t.eq("refresh_unversioned_v0", p.seq_after(n, REFRESH),
         gated(REFRESH, 0))
    t.eq("api_back_to_3", set_api(p, 3, 3), REFRESH)

    # set-number-of-cpus: no-op, then the count.
    n = len(p.lines)
    p.send("set-number-of-cpus", count=0)
    p.send_raw(b'{"count": "2", "__name__": "set-number-of-cpus"}\n')
    p.mark("cpus")
    t.eq("set_cpus_answers_count", p.count("number-of-cpus", n), 1)

    # lifecycle-event: hooks sorted, executables only, always completion.
    n = len(p.lines)
    p.send("lifecycle-event", type="before_migration", reply_id="r-1")
    c = p.wait_name("completion", n, timeout=10)  # VDSM waits 10 s
    t.eq("lifecycle_completion", c, {"reply_id": "r-1", "done": True})
    t.eq("lifecycle_hooks_sorted", read(log), "10_a\n20_b\n")
    n = len(p.lines)
    p.send("lifecycle-event", type="after_migration")
    p.send("lifecycle-event", type="after_migration", failure=True)
    p.mark("after")
    lib.wait_for(lambda: read(log).count("after") == 2, 10, "after hooks")
    t.eq("lifecycle_after_no_reply", p.count("completion", n), 0)
    n = len(p.lines)
    for i, ty in enumerate(["before_hibernation", "no_such_type",
                            "../../../bin", None]):
        args = {"reply_id": "q-%d" % i}
        if ty is not None:
            args["type"] = ty
        p.send("lifecycle-event", **args)
    p.wait(lambda: p.count("completion", n) >= 4, what="4 completions")
    ids = [x["reply_id"] for (_, nm, x, _) in p.lines[n:]
           if nm == "completion"]
    t.eq("lifecycle_always_completes_in_order", ids,
         ["q-0", "q-1", "q-2", "q-3"])
    t.ok("slow_hook_killed", "10_slow failed (status 0x9)" in a.stderr(),
         a.stderr()[-300:])

    # lock-screen: loginctl lock-sessions, then session-lock.
    n = len(p.lines)
    p.send("lock-screen")
    p.wait_name("session-lock", n)
    t.eq("lock_runs_loginctl", read(lclog), "lock-sessions\n")
    open(lclog + ".fail", "w").close()
    n = len(p.lines)
    p.send("lock-screen")
    lib.wait_for(lambda: "lock-screen: loginctl failed" in a.stderr(), 10,
                 "lock failure logged")
    p.mark("lock-failed")
    t.eq("lock_failure_no_session_lock", p.count("session-lock", n), 0)
    os.unlink(lclog + ".fail")

    # login: unsupported, nothing sent, the password never logged.
    n = len(p.lines)
    p.send("login", username="u@d", password="s3cr\u00e9t")
    p.mark("login")
    t.eq("login_sends_nothing",
         [x for x in p.names(n) if x != "heartbeat"], ["echo"])
    t.ok("login_unsupported_logged", "SSO not supported" in a.stderr(), "")
    t.ok("password_not_logged", "s3cr" not in a.stderr(), "")

    # SIGTERM: session-shutdown is the last word.
    n = len(p.lines)
    a.p.send_signal(signal.SIGTERM)
    try:
        p.wait(lambda: p.closed, 10, "agent exit")
    except EOFError:
        pass
    t.eq("sigterm_session_shutdown", p.names(n)[-1:], ["session-shutdown"])
    t.eq("peer_failures", p.failures, [])
    p.close()

# log-off: the active session from logind's files, terminate-session.
root = os.path.join(fx, "root")
sess = os.path.join(root, "run/systemd/sessions")
os.makedirs(sess)
for d in ("proc", "sys", "etc", "var", "dev", "usr"):
    os.symlink("/" + d, os.path.join(root, d))
with open(os.path.join(sess, "3"), "w") as f:
    f.write("UID=0\nACTIVE=0\nCLASS=user\n")
with open(os.path.join(sess, "7"), "w") as f:
    f.write("UID=1000\nUSER=u\nACTIVE=1\nCLASS=user\nSTATE=active\n")
with open(os.path.join(sess, "9"), "w") as f:
    f.write("ACTIVE=1\nCLASS=greeter\n")
os.unlink(lclog)
with ovlib.agent("heartbeat=0.5\n", extra, env={"VERBS_ROOT": root}) as a:
    p = Vdsm(a.ovsock)
    p.send("log-off")
    lib.wait_for(lambda: read(lclog), 10, "loginctl run")
    t.eq("logoff_terminates_active", read(lclog), "terminate-session 7\n")
    for f in os.listdir(sess):
        os.unlink(os.path.join(sess, f))
    p.send("log-off")
    lib.wait_for(lambda: "no active user session" in a.stderr(), 10,
                 "no session logged")
    t.ok("logoff_none_no_helper", read(lclog).count("\n") == 1, read(lclog))
    t.eq("peer_failures_logoff", p.failures, [])
    p.close()

# shutdown and hibernate through the shared power verbs, under a test root
# whose /sbin/poweroff, /sbin/reboot and /sys/power/state are fakes.
proot = os.path.join(fx, "proot")
os.makedirs(os.path.join(proot, "sbin"))
os.makedirs(os.path.join(proot, "sys/power"))
for d in ("proc", "etc", "dev", "run", "var"):
    os.symlink("/" + d, os.path.join(proot, d))
for d in os.listdir("/sys"):
    if d != "power":
        os.symlink("/sys/" + d, os.path.join(proot, "sys", d))
plog = os.path.join(fx, "power.log")
for tool in ("poweroff", "reboot"):
    script(os.path.join(proot, "sbin", tool), "echo %s \"$@\" >> %s"
           % (tool, plog))
pstate = os.path.join(proot, "sys/power/state")
cases = [({"timeout": 30, "message": "bye", "reboot": "False"},
          "power off in 30 s: bye"),
         ({"timeout": "7", "reboot": "True"},
          "reboot in 7 s: System is going down"),
         ({"timeout": "x", "reboot": "true"},
          "reboot in 0 s: System is going down"),
         ({"timeout": 1, "reboot": True},
          "reboot in 1 s: System is going down"),
         ({"reboot": "no"}, "power off in 0 s: System is going down")]
with ovlib.agent("heartbeat=0.5\n", env={"VERBS_ROOT": proot}) as a:
    p = Vdsm(a.ovsock)
    for i, (args, want) in enumerate(cases):
        p.send("shutdown", **args)
        p.mark("sd-%d" % i)
        t.ok("shutdown_coercion_%d" % i, want in a.stderr(),
             a.stderr()[-300:])
    lib.wait_for(lambda: read(plog).count("\n") >= 2, 10, "tools run")
    # 30 s and 7 s were replaced, "x" fired at once, 1 s was replaced; the
    # two children may finish in either order.
    t.eq("shutdown_power_verb_runs", sorted(read(plog).split()),
         ["poweroff", "reboot"])
    for state, want in ((None, "disk"), ("mem", "mem"), ("disk", "disk")):
        with open(pstate, "w") as f:
            f.write("freeze mem disk\n")
        args = {"state": state} if state else {}
        p.send("hibernate", **args)
        p.mark("hib-%s" % state)
        t.ok("hibernate_%s" % want, read(pstate).startswith(want),
             read(pstate))
    p.send("hibernate", state="bogus")
    p.mark("hib-bogus")
    t.ok("hibernate_bogus_ignored", "state bogus ignored" in a.stderr(),
         a.stderr()[-300:])
    t.ok("alive_after_power", a.alive(), "")
    t.eq("peer_failures_power", p.failures, [])
    p.close()

shutil.rmtree(fx, ignore_errors=True)
t.done()
