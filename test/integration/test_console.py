# SPDX-License-Identifier: GPL-2.0-only
"""The control console, through the real client (`ballast -c`) and, for the cases the
client would never produce (wrong key, replayed or altered message, garbage), through
console_proto.Console speaking dnsdist's protocol from Python."""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

import console_proto as cp
import harness
from fakedns import Client, a_addresses, make_query, wait_until


# ---- helpers -----------------------------------------------------------------

class ConsoleSetup:
    """The console's address and key, and the config lines that enable it."""

    def __init__(self, host=None, key=None):
        self.host = host or harness.ADDRESSES.next()
        self.port = harness.free_port(self.host)
        self.key = key or cp.new_key()

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def lua(self, extra=""):
        return f'controlSocket("{self.address}")\nsetKey("{self.key}")\n{extra}\n'


def wait_console(setup, timeout=5.0, source=None):
    """Waits until the console accepts connections (it binds just after the listeners)."""
    def up():
        try:
            socket.create_connection((setup.host, setup.port), timeout=0.5,
                                     source_address=(source, 0) if source else None).close()
            return True
        except OSError:
            return False
    assert wait_until(up, timeout, 0.02), f"console {setup.address} never accepted a connection"


def client(b, *args, stdin=None, timeout=10.0, env=None):
    """Runs `ballast -C <b's config> -c ...`; returns the CompletedProcess."""
    cmd = [harness.ballast_bin(), "-C", str(b.config_path), "-c"] + list(args)
    try:
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{cmd} did not exit in {timeout}s: {e.stdout!r} {e.stderr!r}")


def run(b, command):
    """One command through `ballast -c -e`; returns (exit status, output)."""
    p = client(b, "-e", command)
    return p.returncode, p.stdout + p.stderr


def ok(b, command):
    rc, out = run(b, command)
    assert rc == 0, f"{command!r} failed: {out}"
    return out


def server_names(b):
    _, rows = harness.parse_server_table(ok(b, "showServers()").splitlines())
    return [r["Name"] for r in rows]


def counter(b, name):
    return int(ok(b, f'getStatisticsCounters()["{name}"]').strip())


def answered_by(c, b, name="x.test."):
    msg = c.ask(make_query(name), b.listen[0], timeout=1.0)
    return a_addresses(msg) if msg is not None else []


@pytest.fixture
def console(start_ballast, backends):
    """ballast with one backend (b1) and the console on a fresh address."""
    setup = ConsoleSetup()
    be = backends()
    b = start_ballast(servers=[be], lua=setup.lua())
    wait_console(setup)
    return b, setup, be


# ---- commands change the live configuration, atomically ----------------------

def test_command_adds_a_backend_that_takes_queries(start_ballast, backends):
    setup = ConsoleSetup()
    first, second = backends(), backends()
    b = start_ballast(servers=[first], lua=setup.lua('setServerPolicy(firstAvailable)'))
    wait_console(setup)
    c = Client()
    assert answered_by(c, b) == [first.host]
    out = ok(b, f'newServer{{address="{second.address}", name="late", order=0}}')
    assert out.strip() == "late"  # the returned server, printed by name as dnsdist does
    assert server_names(b) == ["b1", "late"]
    assert wait_until(lambda: answered_by(c, b) == [second.host], 4.0, 0.05), \
        "the server added from the console never took queries"


def test_failed_command_changes_nothing(console, backends):
    b, setup, first = console
    other = backends()
    c = Client()
    before_pools = ok(b, "showPools()")
    rc, out = run(b, f'newServer{{address="{other.address}", name="ghost", order=0}}; '
                     'setServerPolicy(firstAvailable); getServer(0):setDown(); '
                     'getServer(0):setWeight(5); error("operator typo")')
    assert rc != 0
    assert "Error:" in out and "operator typo" in out
    assert server_names(b) == ["b1"]
    assert ok(b, "showPools()") == before_pools
    assert ok(b, "getServer(0):getWeight()").strip() == "1"
    rows = {r["Name"]: r for r in harness.parse_server_table(
        ok(b, "showServers()").splitlines())[1]}
    assert rows["b1"]["State"] in ("up", "down")  # automatic again, not forced DOWN
    for i in range(5):
        assert answered_by(c, b, f"q{i}.test.") == [first.host]
    assert other.count == 0


def test_command_sees_its_own_changes(console, backends):
    b, _, _ = console
    other = backends()
    out = ok(b, f'newServer{{address="{other.address}", name="fresh", pool="newpool"}}; '
                'showPools()')
    assert any(line.startswith("newpool") and "fresh" in line for line in out.splitlines()), out


def test_unknown_function_and_syntax_error_fail_with_lua_message(console):
    b, _, _ = console
    rc, out = run(b, "noSuchFunction()")
    assert rc != 0 and "unknown function 'noSuchFunction'" in out
    rc, out = run(b, "newServer(")
    assert rc != 0 and out.startswith("Error:")


def test_return_values_printed_as_dnsdist_prints_them(console):
    b, _, _ = console
    assert ok(b, "1+1") == "2\n"
    assert ok(b, '"text"') == "text\n"
    assert ok(b, "getServer(0)") == "b1\n"
    assert ok(b, "nil") == ""
    out = ok(b, "getStatisticsCounters()")
    assert out.startswith("{") and '"queries": ' in out and '"console-commands": ' in out
    assert ok(b, "showVersion()").startswith("ballast ")
    assert ok(b, 'print("a") return 3') == "a\n3\n"


def test_show_commands_print_aligned_tables(console):
    b, _, _ = console
    servers = ok(b, "showServers()").splitlines()
    assert servers[0].split()[:4] == ["#", "Name", "Address", "State"]
    assert servers[1].split()[1] == "b1"
    stats = ok(b, "dumpStats()").splitlines()
    names = [tok for line in stats for tok in line.split()[::2]]
    assert "queries" in names and "console-commands" in names
    # two columns: the second starts at the same offset on every full line
    starts = {[m.start() for m in re.finditer(r"\S+", line)][2]
              for line in stats if len(line.split()) == 4}
    assert len(starts) == 1
    assert "Servers" in ok(b, "showPools()").splitlines()[0]
    acl = ok(b, "showConsoleACL()").split()
    assert acl == ["127.0.0.0/8", "::1/128"]


def test_makekey_prints_a_usable_setkey_line(console):
    b, _, _ = console
    out = ok(b, "makeKey()").strip()
    assert out.startswith('setKey("') and out.endswith('")')
    assert len(cp.base64.b64decode(out[8:-2])) == 32


def test_commands_piped_on_stdin_one_per_line(console):
    b, _, _ = console
    p = client(b, stdin="showVersion()\n\n1+2\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[1:] == ["3"]
    p = client(b, stdin="1+2\nbroken(\n3+4\n")
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert lines[0] == "3" and lines[-1] == "7" and any(l.startswith("Error:") for l in lines)


def test_key_and_address_on_the_command_line(console):
    b, setup, _ = console
    cmd = [harness.ballast_bin(), "-C", "/nonexistent.conf", "-c", setup.address,
           "-k", setup.key, "-e", "getServer(0)"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    assert (p.returncode, p.stdout) == (0, "b1\n"), p.stderr
    cmd[6] = cp.new_key()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "closed the connection" in p.stderr


def test_output_size_is_bounded(console):
    b, _, _ = console
    ok(b, "setConsoleOutputMaxMsgSize(100)")
    out = ok(b, "dumpStats()")
    assert "[output cut at 100 bytes" in out
    assert len(out.split("\n[output cut")[0]) == 100


def test_shutdown_stops_the_process(console):
    b, _, _ = console
    run(b, "shutdown()")
    assert b.wait_exit(5.0) == 0


# ---- refusals: nothing runs, the connection closes, the event is counted and logged ---

def test_wrong_key_is_refused(console):
    b, setup, _ = console
    before = counter(b, "console-bad-messages")
    bad = cp.Console(setup.host, setup.port, cp.new_key())
    bad.send_raw(bad.frame('newServer{address="192.0.2.7:53", name="evil"}'))
    assert bad.closed_by_server()
    assert server_names(b) == ["b1"]
    assert counter(b, "console-bad-messages") == before + 1
    assert "does not decrypt" in b.stderr()


def test_replayed_message_is_refused(console):
    b, setup, _ = console
    before = counter(b, "console-bad-messages")
    good = cp.Console(setup.host, setup.port, setup.key)
    assert good.send('newServer{address="192.0.2.8:53", name="once"}') == "once\n"
    good.send_raw(good.sent[-1])  # the same frame again, same connection
    assert good.closed_by_server()
    other = cp.Console(setup.host, setup.port, setup.key)  # and on another connection
    other.send_raw(good.sent[-1])
    assert other.closed_by_server()
    assert server_names(b) == ["b1", "once"]
    assert counter(b, "console-bad-messages") == before + 2


def test_altered_message_is_refused(console):
    b, setup, _ = console
    c = cp.Console(setup.host, setup.port, setup.key)
    frame = bytearray(c.frame('newServer{address="192.0.2.9:53", name="altered"}'))
    frame[20] ^= 0x01
    c.send_raw(bytes(frame))
    assert c.closed_by_server()
    assert server_names(b) == ["b1"]


@pytest.mark.parametrize("garbage", [
    b"\x00\x00\x00\x20" + os.urandom(32),      # a frame of random bytes
    b"\xff\xff\xff\xff" + b"x" * 64,           # a length far above the limit
    b"\x00\x00\x00\x03abc",                    # shorter than the authentication tag
], ids=["random", "huge-length", "short"])
def test_garbage_is_refused(console, garbage):
    b, setup, _ = console
    c = cp.Console(setup.host, setup.port, setup.key)
    c.send_raw(garbage)
    assert c.closed_by_server()
    assert ok(b, "1+1") == "2\n"  # the console still serves others


def test_console_acl_refuses_other_sources(start_ballast, backends):
    setup = ConsoleSetup()
    allowed = setup.host
    other = harness.ADDRESSES.next()
    b = start_ballast(servers=[backends()],
                      lua=setup.lua(f'setConsoleACL("{allowed}/32")'))
    wait_console(setup, source=allowed)
    sock = socket.create_connection((setup.host, setup.port), timeout=3,
                                    source_address=(other, 0))
    sock.sendall(os.urandom(24))
    sock.settimeout(3)
    try:
        assert sock.recv(100) == b"", "the server sent its nonce to a refused source"
    except ConnectionResetError:
        pass
    sock.close()
    good = cp.Console(setup.host, setup.port, setup.key, source=allowed)
    assert good.send("1+1") == "2\n"
    assert "dropped because of the console ACL" in b.stderr()
    assert int(good.send('getStatisticsCounters()["console-refused-acl"]')) == 1


def test_default_console_acl_is_loopback(console):
    b, _, _ = console
    assert ok(b, 'addConsoleACL("192.0.2.0/24")') == ""
    assert ok(b, "showConsoleACL()").split() == ["127.0.0.0/8", "::1/128", "192.0.2.0/24"]


def test_concurrent_connection_limit(start_ballast, backends):
    setup = ConsoleSetup()
    b = start_ballast(servers=[backends()],
                      lua=setup.lua("setConsoleMaximumConcurrentConnections(1)"))
    wait_console(setup)
    opened = []

    def connects():
        # The probe's connection (or the previous one) counts until its thread sees the close.
        try:
            c = cp.Console(setup.host, setup.port, setup.key)
            opened.append(c)
            return c.send("1") == "1\n"
        except (cp.ConsoleClosed, ConnectionResetError):
            return False
    assert wait_until(connects, 3.0, 0.05)
    with pytest.raises((cp.ConsoleClosed, ConnectionResetError)):
        cp.Console(setup.host, setup.port, setup.key)
    opened[-1].close()
    assert wait_until(connects, 3.0, 0.05)
    assert "connections already open" in b.stderr()


def test_no_key_no_console(start_ballast, backends):
    setup = ConsoleSetup()
    b = start_ballast(servers=[backends()], lua=f'controlSocket("{setup.address}")')
    assert wait_until(lambda: "not starting the console" in b.stderr(), 3.0, 0.05), b.stderr()
    assert "no key set" in b.stderr()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((setup.host, setup.port), timeout=1)


def test_setkey_at_run_time_applies_to_new_connections(console):
    b, setup, _ = console
    new = cp.new_key()
    old_conn = cp.Console(setup.host, setup.port, setup.key)
    assert old_conn.send(f'setKey("{new}")') == ""
    assert old_conn.send("1") == "1\n"  # an open connection keeps its key
    fresh = cp.Console(setup.host, setup.port, new)
    assert fresh.send("2") == "2\n"
    stale = cp.Console(setup.host, setup.port, setup.key)
    stale.send_raw(stale.frame("3"))
    assert stale.closed_by_server()


def test_key_from_the_command_line_keys_the_server(start_ballast, backends):
    setup = ConsoleSetup()
    b = start_ballast(servers=[backends()], lua=f'controlSocket("{setup.address}")',
                      args=["-k", setup.key])
    wait_console(setup)
    assert cp.Console(setup.host, setup.port, setup.key).send("getServer(0)") == "b1\n"


def test_connection_logging_can_be_turned_off(console):
    b, setup, _ = console
    ok(b, "setConsoleConnectionsLogging(false)")
    marker = b.stderr().count("Got control connection")
    ok(b, "1")
    time.sleep(0.1)
    assert b.stderr().count("Got control connection") == marker


# ---- dnsdist interoperability -------------------------------------------------

DNSDIST = shutil.which("dnsdist")


@pytest.mark.skipif(DNSDIST is None, reason="dnsdist is not installed")
def test_dnsdist_client_drives_ballast(console):
    b, setup, _ = console
    p = subprocess.run([DNSDIST, "-c", setup.address, "-k", setup.key, "-e", "getServer(0)"],
                       capture_output=True, text=True, timeout=10)
    assert p.stdout.strip() == "b1", p.stdout + p.stderr


@pytest.mark.skipif(DNSDIST is None, reason="dnsdist is not installed")
def test_ballast_client_drives_dnsdist(tmp_path):
    setup = ConsoleSetup()
    dns_port = harness.free_port(setup.host)
    conf = tmp_path / "dnsdist.conf"
    conf.write_text(f'setLocal("{setup.host}:{dns_port}")\n{setup.lua()}'
                    'setSecurityPollSuffix("")\n')
    proc = subprocess.Popen([DNSDIST, "--supervised", "--disable-syslog", "-C", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_console(setup, 10.0)
        p = subprocess.run([harness.ballast_bin(), "-c", setup.address, "-k", setup.key,
                            "-e", "showVersion()"], capture_output=True, text=True, timeout=10)
        assert p.returncode == 0 and p.stdout.startswith("dnsdist "), p.stdout + p.stderr
        p = subprocess.run([harness.ballast_bin(), "-c", setup.address, "-k", setup.key,
                            "-e", 'error("x")'], capture_output=True, text=True, timeout=10)
        assert p.returncode == 1 and p.stdout.startswith("Error: x")
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# ---- interactive session (tmux) ----------------------------------------------

TMUX = shutil.which("tmux")


class Tmux:
    """One interactive `ballast -c` in a detached tmux session on its own tmux server."""

    def __init__(self, tmp_path, command, home):
        self.socket = f"ballast-console-{os.getpid()}-{time.monotonic_ns()}"
        self.tmux = [TMUX, "-L", self.socket]
        subprocess.run(self.tmux + ["-f", "/dev/null", "new-session", "-d", "-s", "t",
                                    "-x", "160", "-y", "40",
                                    f"env HOME={home} TERM=xterm {command}"],
                       check=True, timeout=10)

    def keys(self, *keys):
        subprocess.run(self.tmux + ["send-keys", "-t", "t"] + list(keys), check=True, timeout=10)

    def screen(self):
        p = subprocess.run(self.tmux + ["capture-pane", "-p", "-t", "t"], capture_output=True,
                           text=True, timeout=10)
        return "\n".join(line.rstrip() for line in p.stdout.splitlines()) + "\n"


    def wait_for(self, text, timeout=5.0):
        assert wait_until(lambda: text in self.screen(), timeout, 0.05), \
            f"{text!r} never appeared on the screen:\n{self.screen()}"

    def wait_prompt(self, timeout=5.0):
        """An empty prompt on the last non-blank line (tmux drops trailing spaces)."""
        def prompt():
            lines = [l for l in self.screen().splitlines() if l.strip()]
            return bool(lines) and lines[-1].rstrip() == ">"
        assert wait_until(prompt, timeout, 0.05), f"no prompt:\n{self.screen()}"

    def alive(self):
        return subprocess.run(self.tmux + ["has-session", "-t", "t"], capture_output=True,
                              timeout=10).returncode == 0

    def close(self):
        subprocess.run(self.tmux + ["kill-server"], capture_output=True, timeout=10)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_interactive_completion_and_history(console, tmp_path):
    b, _, _ = console
    home = tmp_path / "home"
    home.mkdir()
    command = f"{harness.ballast_bin()} -C {b.config_path} -c"
    t = Tmux(tmp_path, command, home)
    try:
        t.wait_prompt()
        t.keys("showVer", "Tab")
        t.wait_for("> showVersion(")  # completed from the configuration's function names
        t.keys(")", "Enter")
        t.wait_for("ballast ")
        t.keys("getServer(0):getWei", "Tab")
        t.wait_for("> getServer(0):getWeight(")  # a method of the server object
        t.keys(")", "Enter")
        t.wait_for("getWeight()\n1\n")
        t.keys("getServer(0)", "Enter")
        t.wait_for("\nb1")
        t.keys("quit", "Enter")
        assert wait_until(lambda: not t.alive(), 5.0, 0.05), "quit did not end the session"
    finally:
        t.close()
    history = (home / ".ballast_history").read_text()
    assert "showVersion()" in history and "getServer(0)" in history

    t = Tmux(tmp_path, command, home)
    try:
        t.wait_prompt()
        t.keys("Up")
        t.wait_for("> getServer(0)\n")  # the previous session's last command
        t.keys("Up")
        t.wait_for("> getServer(0):getWeight()")
        t.keys("Up")
        t.wait_for("> showVersion()")
    finally:
        t.close()


# ---- configuration errors ----------------------------------------------------

@pytest.mark.parametrize("line, reason", [
    ('setKey("c2hvcnQ=")', "32 bytes in base64"),
    ('controlSocket("not an address")', "controlSocket"),
    ("setConsoleMaximumConcurrentConnections(-1)", "whole number"),
], ids=["short-key", "bad-address", "negative-limit"])
def test_bad_console_configuration_names_file_and_line(tmp_path, line, reason):
    conf = tmp_path / "bad.conf"
    conf.write_text(f'setLocal("127.0.0.1:5300")\n{line}\n')
    res = harness.run_binary(["-C", str(conf), "--check-config"])
    assert res.returncode == 1
    assert f"{conf}:2:" in res.stderr and reason in res.stderr, res.stderr
