"""onega.8: renders without groff warnings and documents every option that
`onega --help` and the subcommands' --help list."""
import os
import re
import shutil
import subprocess

import lib

t = lib.T()
page = os.path.join(lib.ROOT, "onega.8")
with open(page) as f:
    text = f.read().replace("\\-", "-")

if shutil.which("groff") is None:
    t.skip("manpage-groff", "groff not installed (man-db pulls it in)")
else:
    p = subprocess.run(["groff", "-man", "-ww", "-z", page],
                       capture_output=True, text=True)
    t.ok("manpage-groff-clean", p.returncode == 0 and not p.stderr.strip(),
         p.stderr)

for sub in ([], ["call"], ["install"], ["uninstall"]):
    p = subprocess.run([lib.AGENT] + sub + ["--help"], capture_output=True,
                       text=True)
    opts = sorted(set(re.findall(r"--[a-z][a-z-]+", p.stdout + p.stderr)))
    missing = [o for o in opts if o not in text]
    t.ok("manpage-options-%s" % ("-".join(sub) or "agent"),
         p.returncode == 0 and opts and not missing,
         "rc %d, undocumented: %s" % (p.returncode, missing))
for name in ("call", "install", "uninstall", "clipboard"):
    t.ok("manpage-subcommand-%s" % name, ".SS onega %s" % name in text, "")
t.done()
