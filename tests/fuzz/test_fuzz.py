"""Short smoke run of every libFuzzer harness in fuzz/ (make fuzz).

Each harness gets a few seeds written here and runs for a bounded time;
a crash, leak or sanitizer report fails it.  Longer runs: make fuzz, then
build/fuzz/fuzz_NAME -max_total_time=600.
"""
import glob
import os
import shutil
import subprocess
import tempfile

import lib

t = lib.T()
SECONDS = os.environ.get("ONEGA_FUZZ_SECONDS", "8")
SEEDS = [
    b'{"execute":"guest-ping"}\n',
    b'\xff{"execute":"guest-sync-delimited","arguments":{"id":1}}',
    b"{'execute':'guest-sync','arguments':{'id':-1},'id':[1,{}]}",
    b'{"__name__":"refresh","apiVersion":3}\n',
    b"\x01\x00\x00\x00\x10\x00\x00\x00",
    # over the fuzz build's QGA_BIG_MIN: the in-place payload path
    b'{"execute":"guest-file-write","arguments":{"handle":1000,'
    b'"buf-b64":"QUJDREVGR0hJSktMTU5P"},"id":"\\u0001onega\\u0002"}',
]
r = subprocess.run(["make", "-s", "fuzz"], cwd=lib.ROOT, capture_output=True,
                   text=True)
if not t.ok("make fuzz builds", r.returncode == 0, r.stderr[-2000:]):
    t.done()
    raise SystemExit(0)
for fz in sorted(glob.glob(os.path.join(lib.ROOT, "build/fuzz/fuzz_*"))):
    name = os.path.basename(fz)
    corpus = tempfile.mkdtemp(prefix="onega-fz-")
    for i, s in enumerate(SEEDS):
        with open(os.path.join(corpus, "seed%d" % i), "wb") as f:
            f.write(s)
    try:
        p = subprocess.run([fz, "-max_total_time=" + SECONDS, "-timeout=10",
                            "-rss_limit_mb=2048", corpus],
                           capture_output=True, text=True, timeout=120,
                           cwd=corpus)
        runs = [l for l in p.stderr.splitlines() if l.startswith("Done ")]
        t.ok("fuzz %s: no crash (%s)" % (name, runs[-1] if runs else "?"),
             p.returncode == 0, p.stderr[-1500:])
    finally:
        shutil.rmtree(corpus, ignore_errors=True)
t.done()
