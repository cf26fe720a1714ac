"""make bench: every bench/bench_*.py in turn (onega against Debian's
qemu-guest-agent, side by side in one process tree)."""
import glob
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(here), "tests"))
sel = sys.argv[1:]
rc = 0
for b in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
    if sel and not any(s in b for s in sel):
        continue
    print("==== %s" % os.path.basename(b), flush=True)
    rc |= subprocess.call([sys.executable, b], env=env)
sys.exit(rc)
