# SPDX-License-Identifier: GPL-2.0-only
"""Prints one 'N passed, N failed' line for a meson test run, counting the test cases
inside each executable (doctest, pytest) rather than the executables."""
import json
import re
import sys

passed = failed = skipped = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    out = t.get("stdout", "") or ""
    doc = re.search(r"test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed \|\s*(\d+) skipped", out)
    py = re.findall(r"(\d+) (passed|failed|xfailed|skipped|error|errors)\b", out.splitlines()[-1] if out.strip() else "")
    if doc:
        passed += int(doc.group(2)); failed += int(doc.group(3)); skipped += int(doc.group(4))
    elif py:
        for n, kind in py:
            if kind == "passed" or kind == "xfailed":
                passed += int(n)
            elif kind == "skipped":
                skipped += int(n)
            else:
                failed += int(n)
    elif t["result"] == "OK":
        passed += 1
    elif t["result"] == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
