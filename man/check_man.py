#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks the built man pages: groff and man render them without a warning, and every
supported function of lua/api.txt appears in the rendered ballast.conf(5).

usage: check_man.py API_TXT BALLAST_8 BALLAST_CONF_5
"""

import os
import re
import subprocess
import sys


def render(page):
    """The page as text, no hyphenation, wide lines; fails on any groff warning."""
    env = dict(os.environ, LC_ALL="C.UTF-8")
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-rHY=0", "-rLL=200n", "-P-c",
                        "-P-b", "-P-u", page],
                       capture_output=True, text=True, env=env, check=False)
    if r.returncode != 0 or r.stderr.strip():
        sys.exit(f"{page}: groff: {r.stderr.strip() or 'exit ' + str(r.returncode)}")
    m = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                       env=dict(env, MANWIDTH="80", MANPAGER="cat", PAGER="cat"), check=False)
    if m.returncode != 0 or m.stderr.strip():
        sys.exit(f"{page}: man -l: {m.stderr.strip() or 'exit ' + str(m.returncode)}")
    if not m.stdout.strip():
        sys.exit(f"{page}: man -l printed nothing")
    return r.stdout


def supported_functions(api):
    names = []
    with open(api, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"supported function (\S+) \|", line)
            if m:
                names.append(m.group(1))
    return names


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    api, man8, man5 = argv[1:]
    text8 = render(man8)
    for heading in ("SYNOPSIS", "OPTIONS", "SIGNALS", "FILES", "EXIT STATUS", "CONSOLE MODE"):
        if heading not in text8:
            sys.exit(f"{man8}: no {heading} section")
    text5 = render(man5)
    words = set(re.findall(r"[A-Za-z_][\w.:]*", text5))
    names = supported_functions(api)
    if not names:
        sys.exit(f"{api}: no supported function")
    missing = [n for n in names if n not in words]
    if missing:
        sys.exit(f"{man5}: {len(missing)} supported function(s) of {api} missing: "
                 + ", ".join(missing[:20]))
    print(f"ok: {man8}, {man5} render cleanly; {len(names)} functions documented")


if __name__ == "__main__":
    main(sys.argv)
