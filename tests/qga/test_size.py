"""The size budget: make size fails above 256 KiB with all protocols in."""
import os
import subprocess

import lib

t = lib.T()
r = subprocess.run(["make", "-s", "size"], cwd=lib.ROOT, capture_output=True,
                   text=True)
t.ok("binary within the size budget: %s" % r.stdout.strip(),
     r.returncode == 0, r.stdout + r.stderr)
t.done()
