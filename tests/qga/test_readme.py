"""The README's first lines name the two commands, .ci/run runs the test
one, and its command table lists every command the agent has."""
import os
import re
import subprocess

import lib

t = lib.T()
readme = open(os.path.join(lib.ROOT, "README.md")).read()
block = readme.split("```")[1]
t.ok("README opens with the demo and test commands",
     "sh tests/demo" in block and "sh tests/run" in block, block)
ci = open(os.path.join(lib.ROOT, ".ci/run")).read()
t.ok(".ci/run runs the README's test command", "exec sh tests/run" in ci, ci)
names = subprocess.run([lib.AGENT, "-b", "help"], capture_output=True,
                       text=True).stdout.split()
table = readme[readme.index("### Commands"):]
missing = [n for n in names if not re.search(r"\b%s\b" % re.escape(n), table)]
t.eq("README command table lists every command", missing, [])
t.ok("at least the 43 Linux qemu-ga commands", len(names) >= 43, len(names))
t.done()
