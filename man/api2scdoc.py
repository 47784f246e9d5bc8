#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns lua/api.txt (the table of ballast's Lua API) into the scdoc source of ballast.conf(5).

usage: api2scdoc.py API_TXT HEADER_SCD OUTPUT_SCD

HEADER_SCD is the hand-written part of the page; its line "@API@" is replaced by one
scdoc section per "## " section of the table. A line of the table that does not follow
the format stops the build with FILE:LINE: reason.
"""

import re
import sys

KINDS = ("function", "method", "option", "object", "setting")
ENTRY = re.compile(r"^(supported|refused) (\w+) (\S+) \| (.*?) \| (.+)$")


class Entry:
    def __init__(self, state, kind, name, signature, text):
        self.state, self.kind, self.name = state, kind, name
        self.signature, self.text = signature.strip(), text.strip()
        self.options = []


def parse(path):
    """[(section title, [Entry])], entries in file order."""
    sections = []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            where = f"{path}:{number}"
            if line.startswith("## "):
                title = line[3:].strip()
                if not title:
                    sys.exit(f"{where}: a section needs a title")
                sections.append((title, []))
                continue
            if not line.strip() or line.startswith("#"):
                continue
            m = ENTRY.match(line)
            if not m:
                sys.exit(f"{where}: not '<state> <kind> <name> | <signature> | <description>'")
            if m.group(2) not in KINDS:
                sys.exit(f"{where}: unknown kind '{m.group(2)}' (one of {', '.join(KINDS)})")
            if not sections:
                sys.exit(f"{where}: an entry before the first '## ' section")
            sections[-1][1].append(Entry(*m.groups()))
    return sections


def esc(text):
    """scdoc's inline markup characters, taken literally."""
    return re.sub(r"([\\*_])", r"\\\1", text)


def group(entries):
    """Options ("fn.opt") move under their function when it is in the same section."""
    by_name = {e.name: e for e in entries if e.kind != "option"}
    top = []
    for e in entries:
        parent = by_name.get(e.name.rsplit(".", 1)[0]) if e.kind == "option" and "." in e.name else None
        (parent.options if parent else top).append(e)
    return top


def render_entry(e, out):
    heading = e.signature if e.kind in ("function", "method", "setting") and e.signature else e.name
    out.append(f"*{esc(heading)}*")
    if e.kind in ("option", "object") and e.signature:
        out.append(f"\t{esc(e.name)}: {esc(e.signature)}.")
        out.append("")
    out.append(f"\t{esc(e.text)}")
    for o in e.options:
        opt = o.name.rsplit(".", 1)[1]
        out.append("")
        if o.state == "supported":
            out.append(f"\t*{esc(opt)}* ({esc(o.signature)})")
            out.append(f"\t\t{esc(o.text)}")
        else:
            out.append(f"\t*{esc(opt)}*: not supported. {esc(o.text)}")
    out.append("")


def render(sections):
    out = []
    for title, entries in sections:
        top = group(entries)
        supported = [e for e in top if e.state == "supported"]
        refused = [e for e in top if e.state == "refused"]
        out.append(f"# {esc(title).upper()}")
        out.append("")
        for e in supported:
            render_entry(e, out)
        if refused:
            out.append("Not supported:")
            out.append("")
            for e in refused:
                out.append(f"- *{esc(e.name)}*: {esc(e.text)}")
            out.append("")
    return "\n".join(out)


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    api, header, output = argv[1:]
    with open(header, encoding="utf-8") as f:
        template = f.read()
    if template.count("@API@\n") != 1:
        sys.exit(f"{header}: needs exactly one line '@API@'")
    page = template.replace("@API@\n", render(parse(api)))
    with open(output, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":
    main(sys.argv)
