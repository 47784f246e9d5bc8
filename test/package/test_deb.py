# SPDX-License-Identifier: GPL-2.0-only
"""Builds the Debian package with dist/build-deb.sh (which also runs lintian and fails on a
warning) and checks what it holds: the binary, the units, the conffile, the man pages and
the creation of the ballast user. The package is never installed here.

A full compile: run by `meson test -C build --setup package` (suite 'package'), not by the
default `meson test`. BALLAST_DEB_DIR: where to build (default build-deb/ at the root)."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deb():
    out = Path(os.environ.get("BALLAST_DEB_DIR", ROOT / "build-deb"))
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
    r = subprocess.run([str(ROOT / "dist" / "build-deb.sh"), str(out)], env=env,
                       capture_output=True, text=True, timeout=3000, check=False)
    assert r.returncode == 0, f"build-deb.sh failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    m = re.search(r"^built (\S+\.deb)$", r.stdout, re.M)
    assert m, r.stdout[-2000:]
    return Path(m.group(1))


def dpkg_deb(*args):
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


def test_contents(deb):
    listing = dpkg_deb("-c", str(deb))
    files = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    modes = {line.split()[-1].lstrip("."): line.split()[0] for line in listing.splitlines()}
    for path in ("/usr/bin/ballast", "/etc/ballast/ballast.conf",
                 "/lib/systemd/system/ballast.service", "/lib/systemd/system/ballast@.service",
                 "/usr/share/man/man8/ballast.8.gz", "/usr/share/man/man5/ballast.conf.5.gz",
                 "/usr/share/doc/ballast/copyright"):
        assert path in files, f"{path} not in the package:\n{listing}"
    assert modes["/usr/bin/ballast"].startswith("-rwx")
    # Generated at install time, never shipped.
    assert not any(f.endswith(("console.key", "webserver.password")) for f in files)


def test_control(deb, tmp_path):
    info = dpkg_deb("-I", str(deb))
    assert re.search(r"^ Package: ballast$", info, re.M)
    assert re.search(r"^ Depends: .*\badduser\b", info, re.M)
    assert re.search(r"^ Depends: .*\bliblua", info, re.M) or "libluajit" in info
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/ballast/ballast.conf"]
    postinst = (control / "postinst").read_text()
    assert re.search(r"adduser --system .*ballast", postinst)
    assert "--check-config" in postinst and "chown ballast:ballast" in postinst
    assert "deb-systemd-helper enable 'ballast.service'" in postinst


def test_units_and_binary(deb, tmp_path):
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    for unit in ("ballast.service", "ballast@.service"):
        text = (root / "lib/systemd/system" / unit).read_text()
        assert "ExecStart=/usr/bin/ballast -C /etc/ballast/ballast.conf --supervised" in text
        assert "/usr/local" not in text
        assert re.search(r"^User=ballast$", text, re.M) and re.search(r"^Group=ballast$", text, re.M)
        assert "Documentation=man:ballast(8)" in text
    binary = root / "usr/bin/ballast"
    r = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("ballast "), r
    # What postinst does with the packaged configuration, in a scratch directory.
    conf = tmp_path / "etc" / "ballast.conf"
    conf.parent.mkdir()
    conf.write_bytes((root / "etc/ballast/ballast.conf").read_bytes())
    r = subprocess.run([str(binary), "-C", str(conf), "--check-config"], capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "password: " in r.stdout
    for name in ("console.key", "webserver.password"):
        assert (conf.parent / name).stat().st_mode & 0o777 == 0o600
