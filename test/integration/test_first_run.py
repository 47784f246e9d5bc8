# SPDX-License-Identifier: GPL-2.0-only
"""The default configuration's first run: it makes the console key and the dashboard
password beside itself (mode 0600), prints the password once, and both answer with them;
a second start reads the same files again. Also: the default listens on loopback only."""

import re
import stat
from pathlib import Path

import harness
from console_proto import Console
from webtest import request, wait_web

DEFAULT_CONF = Path(__file__).resolve().parents[2] / "conf" / "ballast.conf"
# The addresses of the default, each replaced by a test address so that runs do not meet.
DEFAULTS = {"dns": "127.0.0.1:5300", "console": "127.0.0.1:5199", "web": "127.0.0.1:8083"}
PASSWORD_LINE = r"web dashboard http://\S+ password: (\S+) "


def code_lines(text):
    return [line.split("--", 1)[0] for line in text.splitlines()]


def test_default_listens_on_loopback_only():
    addresses = re.findall(r'"([0-9a-fA-F.:\[\]]+:\d+)"', "\n".join(code_lines(DEFAULT_CONF.read_text())))
    assert sorted(addresses) == sorted(DEFAULTS.values())
    assert all(a.startswith("127.0.0.1:") for a in addresses)


def default_config(workdir):
    """The default file with test addresses; {name: (host, port)}."""
    text = DEFAULT_CONF.read_text()
    host = harness.ADDRESSES.next()
    ours = {name: (host, harness.free_port(host)) for name in DEFAULTS}
    for name, default in DEFAULTS.items():
        assert text.count(f'"{default}"') == 1, f"the default config no longer has {default}"
        text = text.replace(f'"{default}"', f'"{host}:{ours[name][1]}"')
    return text, ours


def start(workdir, text, addrs):
    b = harness.Ballast(workdir, text, [addrs["dns"]], maintenance=False)
    b.start()
    try:
        b.wait_ready()
        wait_web(addrs["web"])
    except BaseException:
        b.stop()
        raise
    return b


def check_answers(b, addrs, key, password):
    c = Console(*addrs["console"], key)
    try:
        assert "ballast" in c.send("showVersion()")
    finally:
        c.close()
    status, _, _ = request(addrs["web"], "/", source=addrs["web"][0])
    assert status == 401
    status, _, _ = request(addrs["web"], "/", password="not-" + password, source=addrs["web"][0])
    assert status == 401
    status, headers, body = request(addrs["web"], "/", password=password, source=addrs["web"][0])
    assert status == 200 and b"<html" in body.lower()
    # The console client finds the address and the key in the same file.
    r = harness.run_binary(["-C", str(b.config_path), "-e", "showVersion()"])
    assert r.returncode == 0 and "ballast" in r.stdout, r.stderr


def test_first_run_makes_key_and_password_then_reuses_them(ballast_binary, tmp_path):
    text, addrs = default_config(tmp_path)
    key_file, pw_file = tmp_path / "console.key", tmp_path / "webserver.password"
    # The console client before any start: no key to read, and it makes none.
    (tmp_path / "ballast.conf").write_text(text)
    r = harness.run_binary(["-C", str(tmp_path / "ballast.conf"), "-e", "showVersion()"])
    assert r.returncode == 1 and "no console key" in r.stderr, r
    assert not key_file.exists() and not pw_file.exists()

    b = start(tmp_path, text, addrs)
    try:
        for f in (key_file, pw_file):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        key = key_file.read_text().strip()
        hashed = pw_file.read_text().strip()
        assert hashed.startswith("$scrypt$")
        printed = re.findall(PASSWORD_LINE, b.stdout())
        assert len(printed) == 1, b.diagnostics()
        password = printed[0]
        assert password not in hashed
        check_answers(b, addrs, key, password)
    finally:
        b.stop()
    assert b.died_on_its_own is None, b.diagnostics()

    # Second start, same directory: the same files, nothing printed.
    b = start(tmp_path, text, addrs)
    try:
        assert key_file.read_text().strip() == key
        assert pw_file.read_text().strip() == hashed
        assert not re.search(PASSWORD_LINE, b.stdout()), "the password is printed only once"
        check_answers(b, addrs, key, password)
    finally:
        b.stop()
