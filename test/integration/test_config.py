# SPDX-License-Identifier: GPL-2.0-only
"""Command line and Lua configuration: check-config, errors, includes, locals."""

import re
import socket

import pytest

import harness
from fakedns import a_addresses, make_query

GOOD_CONFIG = """-- a valid configuration
setLocal("127.0.0.1:5399")
newServer("127.0.0.1:5398")
"""

# (name, config text, line of the error, words one of which the reason must contain)
BAD_CONFIGS = [
    ("syntax-error",
     'setLocal("127.0.0.1:5399")\nnewServer("127.0.0.1:5398")\nx = = 1\nsetACL({"127.0.0.1/32"})\n',
     3, ["unexpected", "syntax", "near"]),
    ("unknown-function",
     '-- comment\nsetLocal("127.0.0.1:5399")\n\nfrobnicateTheDNS(42)\n',
     4, ["frobnicateTheDNS"]),
    ("unknown-newServer-option",
     'setLocal("127.0.0.1:5399")\nnewServer{address="127.0.0.1:5398", bogusOption=1}\n',
     2, ["bogusOption"]),
    ("unknown-addLocal-option",
     'addLocal("127.0.0.1:5399", {reusePort=true, noSuchKey=1})\n',
     1, ["noSuchKey"]),
    ("bad-server-address",
     'setLocal("127.0.0.1:5399")\n\n\nnewServer("300.1.2.3:53")\n',
     4, ["300.1.2.3", "address"]),
    ("bad-server-address-text",
     'setLocal("127.0.0.1:5399")\nnewServer{address="not-an-address"}\n',
     2, ["not-an-address", "address"]),
    ("bad-local-address",
     'setLocal("127.0.0.1:99999")\n',
     1, ["127.0.0.1:99999", "address", "port"]),
    ("bad-acl-netmask",
     'setACL({"127.0.0.1/33"})\n',
     1, ["127.0.0.1/33", "netmask", "mask"]),
    ("include-missing-directory",
     'setLocal("127.0.0.1:5399")\nincludeDirectory("/nonexistent/ballast.d")\n',
     2, ["/nonexistent/ballast.d"]),
    ("wrong-argument-type",
     '\nsetMaxUDPOutstanding("lots")\n',
     2, ["setMaxUDPOutstanding", "number", "lots"]),
    ("newServer-without-address",
     'setLocal("127.0.0.1:5399")\nnewServer{name="nameless"}\n',
     2, ["address"]),
    ("runtime-error",
     'setLocal("127.0.0.1:5399")\nlocal t = nil\nprint(t.field)\n',
     3, ["nil"]),
]


def write(tmp_path, text, name="ballast.conf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def check_error(output, path, line, words):
    location = f"{path}:{line}:"
    assert location in output, f"expected '{location}' in the error output:\n{output}"
    assert any(w.lower() in output.lower() for w in words), \
        f"expected one of {words} in the error output:\n{output}"


@pytest.mark.parametrize("form", ["-C", "--config", "--config=", "-C-attached"])
def test_check_config_ok(ballast_binary, tmp_path, form):
    path = write(tmp_path, GOOD_CONFIG)
    if form == "--config=":
        args = [f"--config={path}"]
    elif form == "-C-attached":
        args = [f"-C{path}"]
    else:
        args = [form, str(path)]
    res = harness.run_binary(args + ["--check-config"])
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"exit {res.returncode}: {out}"
    assert f"Configuration '{path}' OK!" in out


def test_default_config_path(ballast_binary, tmp_path):
    """Without -C, the configuration is conf/ballast.conf (relative to the working directory)."""
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf", GOOD_CONFIG)
    res = harness.run_binary(["--check-config"], cwd=tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Configuration 'conf/ballast.conf' OK!" in out


@pytest.mark.parametrize("name,text,line,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_check_config_reports_error(ballast_binary, tmp_path, name, text, line, words):
    path = write(tmp_path, text)
    res = harness.run_binary(["-C", str(path), "--check-config"])
    out = res.stdout + res.stderr
    assert res.returncode == 1, f"--check-config on a bad config exited {res.returncode}: {out}"
    assert "OK!" not in out
    check_error(out, path, line, words)


@pytest.mark.parametrize("name,text,line,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_stops_startup(ballast_binary, tmp_path, name, text, line, words):
    path = write(tmp_path, text)
    res = harness.run_binary(["-C", str(path), "--supervised"], timeout=10.0)
    assert res.returncode != 0, f"ballast started with a bad config ({name})"
    check_error(res.stderr, path, line, words)


def test_check_config_does_not_bind(ballast_binary, tmp_path):
    """--check-config only reads the file: an address in use does not make it fail."""
    host, port = harness.new_listener()
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind((host, port))
    try:
        path = write(tmp_path, f'setLocal("{host}:{port}")\nnewServer("127.0.0.1:5398")\n')
        res = harness.run_binary(["-C", str(path), "--check-config"])
    finally:
        busy.close()
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert f"Configuration '{path}' OK!" in out


def test_new_server_string_form_and_verbose(start_ballast, backends, client):
    be = backends()
    b = start_ballast(lua=f'newServer("{be.address}")\n', args=["-v"])
    r = client().ask(make_query("string-form.test.", qid=8), b.listen[0])
    assert r is not None and a_addresses(r) == [be.answer]
    rows = b.wait_servers(lambda rows: len(rows) == 1, what="one server listed")
    row = next(iter(rows.values()))
    assert row["Address"] == be.address
    assert row["Name"] == be.address, "dnsdist names an unnamed server after its address"


def test_server_sockets_option_spreads_source_ports(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], server_opts=[{"sockets": 4}])
    c = client()
    for i in range(24):
        assert c.ask(make_query(f"sock-{i}.test.", qid=i), b.listen[0]) is not None
    ports = {q.src[1] for q in be.queries}
    assert len(ports) >= 2, f"sockets=4 but every query came from port(s) {ports}"
    assert len(ports) <= 4, f"sockets=4 but queries came from {len(ports)} ports"


def test_missing_config_file_fails(ballast_binary, tmp_path):
    path = tmp_path / "does-not-exist.conf"
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode != 0
    assert str(path) in res.stdout + res.stderr


def test_all_documented_directives_accepted(start_ballast, backends, client):
    """Every setting of the spec, in one config: it starts and answers."""
    be = backends()
    lua = """
setACL({"127.0.0.0/8"})
addACL("10.0.0.0/8")
setMaxUDPOutstanding(1000)
setUDPTimeout(2)
setServFailWhenNoServer(false)
truncateTC(false)
fixupCase(false)
setAllowEmptyResponse(false)
setDropEmptyQueries(false)
setSecurityPollSuffix("")
setUDPSocketBufferSizes(1048576, 1048576)
"""
    b = start_ballast(servers=[be], lua=lua, server_opts=[
        {"pool": "", "weight": 1, "order": 1, "sockets": 2, "qps": 0, "tcpOnly": False}])
    r = client().ask(make_query("all-directives.test.", qid=1), b.listen[0])
    assert r is not None and a_addresses(r) == [be.answer]


def test_security_poll_suffix_empty_accepted(start_ballast, backends, client, tmp_path):
    be = backends()
    path = write(tmp_path, 'setSecurityPollSuffix("")\n' + GOOD_CONFIG, "check.conf")
    res = harness.run_binary(["-C", str(path), "--check-config"])
    assert res.returncode == 0, res.stdout + res.stderr
    b = start_ballast(servers=[be], lua='setSecurityPollSuffix("")\n')
    assert client().ask(make_query("secpoll.test.", qid=2), b.listen[0]) is not None


def test_include_directory_loads_conf_files_in_order(start_ballast, backends, client, tmp_path):
    be = backends()
    inc = tmp_path / "conf.d"
    inc.mkdir()
    # Written in reverse order so the directory's own order is unlikely to be sorted.
    (inc / "20-second.conf").write_text(
        'if INCLUDE_ORDER ~= "first" then error("20-second.conf loaded before 10-first.conf") end\n'
        f'{harness.lua_new_server(be, name="included")}\n')
    (inc / "10-first.conf").write_text('INCLUDE_ORDER = "first"\n')
    (inc / "ignored.txt").write_text("this is not Lua and must not be loaded (((\n")
    (inc / "ignored.conf.bak").write_text("neither is this (((\n")
    b = start_ballast(lua=f'includeDirectory("{inc}")\n')
    r = client().ask(make_query("included.test.", qid=3), b.listen[0])
    assert r is not None, "no answer: the backend from the included file was not loaded"
    assert a_addresses(r) == [be.answer]
    rows = b.wait_servers(lambda rows: "included" in rows, what="the included server listed")
    assert rows["included"]["Address"] == be.address


def test_include_directory_error_names_included_file(ballast_binary, tmp_path):
    inc = tmp_path / "conf.d"
    inc.mkdir()
    bad = inc / "50-bad.conf"
    bad.write_text("-- fine\n-- fine\nnotAFunction()\n")
    path = write(tmp_path, f'setLocal("127.0.0.1:5399")\nincludeDirectory("{inc}")\n')
    res = harness.run_binary(["-C", str(path), "--check-config"])
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "notAFunction" in out
    assert f"{bad}:3:" in out or "50-bad.conf:3:" in out, out


def test_command_line_local_replaces_configured(start_ballast, backends, client):
    be = backends()
    configured = harness.new_listener()
    given = harness.new_listener()
    start_ballast(servers=[be], listen=[given], locals_in_config=False,
                      lua=f'setLocal("{harness.hostport(*configured)}")\n',
                      args=["-l", harness.hostport(*given)])
    r = client().ask(make_query("cmdline-local.test.", qid=4), given)
    assert r is not None and a_addresses(r) == [be.answer]
    assert harness.udp_port_closed(*configured), \
        "the configured local still listens although -l replaced it"


def test_command_line_local_repeatable(start_ballast, backends, client):
    be = backends()
    l1, l2 = harness.new_listener(), harness.new_listener()
    start_ballast(servers=[be], listen=[l1, l2], locals_in_config=False,
                      args=["-l", harness.hostport(*l1), "--local", harness.hostport(*l2)])
    c = client()
    for i, dest in enumerate((l1, l2)):
        r = c.ask(make_query(f"repeat-{i}.test.", qid=i), dest)
        assert r is not None, f"no answer on {dest}"


def test_set_local_replaces_earlier_add_local(start_ballast, backends, client):
    be = backends()
    first, second = harness.new_listener(), harness.new_listener()
    start_ballast(servers=[be], listen=[second], locals_in_config=False,
                      lua=f'addLocal("{harness.hostport(*first)}")\n'
                          f'setLocal("{harness.hostport(*second)}")\n')
    assert client().ask(make_query("setlocal.test.", qid=5), second) is not None
    assert harness.udp_port_closed(*first), "setLocal did not replace the earlier addLocal"


def test_version(ballast_binary):
    res = harness.run_binary(["--version"])
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "ballast" in out.lower()
    assert re.search(r"\d+\.\d+\.\d+", out), f"no version number in {out!r}"


def test_help(ballast_binary):
    res = harness.run_binary(["--help"])
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    for option in ("--config", "--local", "--acl", "--check-config", "--supervised"):
        assert option in out, f"--help does not mention {option}"


def test_unknown_command_line_option_fails(ballast_binary):
    res = harness.run_binary(["--no-such-option"])
    assert res.returncode != 0
    assert "no-such-option" in res.stdout + res.stderr
