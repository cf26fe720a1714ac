"""Runs every test and counts the results.

Test scripts are tests/<area>/test_*.py; each prints PASS/FAIL/SKIP lines
(see tests/lib.py).  C unit tests are tests/unit/*.c, compiled here against
the agent's sources and run the same way.  A script that dies or prints no
result counts as one failure.  Arguments select scripts by substring.
"""
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = int(os.environ.get("ONEGA_TEST_TIMEOUT", "300"))


def build_units():
    r = subprocess.run(["make", "-s", "-f", "tests/unit/Makefile"],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stdout + r.stderr
    return sorted(glob.glob(os.path.join(ROOT, "build/unit/test_*"))), ""


def run_one(cmd, name, counts):
    t0 = time.monotonic()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "tests")
    seen = 0
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                           text=True, errors="replace", timeout=TIMEOUT)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(
            e.stdout, bytes) else (e.stdout or "")
        err, rc = "timed out after %ds" % TIMEOUT, -1
    for line in out.splitlines():
        for key in ("PASS", "FAIL", "SKIP"):
            if line.startswith(key + " "):
                counts[key] += 1
                seen += 1
                if key != "PASS":
                    print("  %s" % line)
    dt = time.monotonic() - t0
    if rc != 0 or seen == 0:
        counts["FAIL"] += 1
        tail = "\n".join(err.strip().splitlines()[-15:])
        print("  FAIL %s: exit %s, %d results\n%s" % (name, rc, seen, tail))
    print("%-40s %5.1fs" % (name, dt), flush=True)


def main():
    sel = sys.argv[1:]
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    units, err = build_units()
    if units is None:
        counts["FAIL"] += 1
        print("  FAIL unit-build:\n" + err)
        units = []
    scripts = sorted(glob.glob(os.path.join(ROOT, "tests/*/test_*.py")))
    for u in units:
        name = os.path.relpath(u, ROOT)
        if not sel or any(s in name for s in sel):
            run_one([u], name, counts)
    for s in scripts:
        name = os.path.relpath(s, ROOT)
        if not sel or any(x in name for x in sel):
            run_one([sys.executable, s], name, counts)
    print("%d passed, %d failed, %d skipped" % (
        counts["PASS"], counts["FAIL"], counts["SKIP"]))
    sys.exit(1 if counts["FAIL"] else 0)


main()
