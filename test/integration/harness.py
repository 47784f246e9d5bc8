# SPDX-License-Identifier: GPL-2.0-only
"""Start, watch and stop the real ballast binary for the integration suite.

Counters are read the way an operator's script would: the generated config
defines dnsdist's maintenance() hook, which ballast calls about once a second.
It writes getStatisticsCounters() to a file (tmp + os.rename, so a read never
sees half a file) and prints showServers() between marker lines on stdout,
which the harness captures to a file and parses.
"""

import itertools
import os
import re
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import dns.message

from fakedns import family_of, hostport

DEFAULT_BIN = "/work/main/build/daemon/ballast"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
SERVERS_BEGIN = "@@HARNESS-SERVERS-BEGIN"
SERVERS_END = "@@HARNESS-SERVERS-END"
SERVERS_ERROR = "@@HARNESS-SERVERS-ERROR"
SANITIZER_MARKERS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "WARNING: ThreadSanitizer")


def ballast_bin():
    return os.environ.get("BALLAST_BIN", DEFAULT_BIN)


# ---- addresses and ports ---------------------------------------------------

class AddressPool:
    """Hands out loopback addresses no other test (or other run) uses.

    127.A.B.C with A derived from the pid, so two suites running at once
    (two build dirs) rarely meet, and B.C counting up within a run.
    """

    def __init__(self):
        self.first_octet = 64 + os.getpid() % 180
        self._counter = itertools.count(1)

    def next(self):
        n = next(self._counter)
        return f"127.{self.first_octet}.{(n // 250) % 256}.{n % 250 + 1}"


ADDRESSES = AddressPool()


def free_port(host, tcp_too=True):
    """A port free for UDP (and TCP: dnsdist's addLocal binds both) on host."""
    fam = family_of(host)
    for _ in range(50):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            u.bind((host, 0))
            port = u.getsockname()[1]
            if tcp_too:
                t = socket.socket(fam, socket.SOCK_STREAM)
                try:
                    t.bind((host, port))
                except OSError:
                    continue
                finally:
                    t.close()
            return port
        finally:
            u.close()
    raise RuntimeError(f"no free port on {host}")


def new_listener(host=None):
    host = host or ADDRESSES.next()
    return (host, free_port(host))


def ipv6_loopback_usable():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def udp_port_closed(host, port, timeout=1.0):
    """True if nothing listens on host:port (the kernel answers port unreachable)."""
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    try:
        s.connect((host, port))
        q = dns.message.make_query("closed-check.harness.", "A")
        s.send(q.to_wire())
        ready, _, _ = select.select([s], [], [], timeout)
        if not ready:
            return False
        try:
            s.recv(65535)
            return False
        except ConnectionRefusedError:
            return True
    finally:
        s.close()


# ---- Lua generation ----------------------------------------------------------

def lua_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(lua_value(x) for x in v) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={lua_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no Lua form for {v!r}")


def lua_new_server(backend, **opts):
    """newServer{address=..., ...} for a FakeBackend (or an address string)."""
    address = backend if isinstance(backend, str) else backend.address
    table = {"address": address}
    table.update(opts)
    return f"newServer({lua_value(table)})"


def maintenance_lua(counters_path, show_servers=True):
    tmp = str(counters_path) + ".tmp"
    servers = f"""
  io.stdout:write("{SERVERS_BEGIN} ", tostring(__harness_seq), "\\n")
  local sok, out = pcall(showServers)
  if not sok then
    io.stdout:write("{SERVERS_ERROR} ", (tostring(out):gsub("\\n", " ")), "\\n")
  elseif type(out) == "string" then
    io.stdout:write(out)
  end
  io.stdout:flush()
  io.stdout:write("\\n{SERVERS_END} ", tostring(__harness_seq), "\\n")
  io.stdout:flush()""" if show_servers else ""
    run = str(counters_path) + ".run.lua"
    out = str(counters_path) + ".run.out"
    runner = f"""
  local rf = io.open({lua_value(run)}, "r")
  if rf ~= nil then
    local code = rf:read("*a")
    rf:close()
    os.remove({lua_value(run)})
    local fn, err = loadstring(code, "=run")
    local text
    if fn == nil then
      text = "error " .. tostring(err)
    else
      local ok, res = pcall(fn)
      text = (ok and "ok " or "error ") .. tostring(res)
    end
    local of = io.open({lua_value(out + ".tmp")}, "w")
    of:write(text)
    of:close()
    os.rename({lua_value(out + ".tmp")}, {lua_value(out)})
  end"""
    return f"""
-- integration harness: no security polling (it would query the system's
-- resolver, off this machine); a counters snapshot and the server table once
-- a second.
if setSecurityPollSuffix ~= nil then setSecurityPollSuffix("") end
__harness_seq = 0
function maintenance()
  __harness_seq = __harness_seq + 1
  local ok, counters = pcall(getStatisticsCounters)
  local f = io.open({lua_value(tmp)}, "w")
  if f ~= nil then
    f:write("__seq ", tostring(__harness_seq), "\\n")
    if ok and type(counters) == "table" then
      for k, v in pairs(counters) do
        f:write(tostring(k), " ", tostring(v), "\\n")
      end
    else
      f:write("__error ", (tostring(counters):gsub("\\n", " ")), "\\n")
    end
    f:close()
    os.rename({lua_value(tmp)}, {lua_value(str(counters_path))})
  end{servers}{runner}
end
"""


# ---- parsing ---------------------------------------------------------------

def parse_counters(text):
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if not key:
            continue
        if key == "__error":
            out[key] = value
            continue
        try:
            num = float(value)
            out[key] = int(num) if num.is_integer() else num
        except ValueError:
            out[key] = value
    return out


def parse_server_table(lines):
    """Rows of a dnsdist showServers() table as dicts keyed by column title.

    The header names the columns ("#   Name   Address   State ...  Pools");
    every cell but Pools is one token, so cells are matched by position.
    """
    header = None
    rows = []
    for line in lines:
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0] == "#" and "Name" in tokens and "Address" in tokens:
            header = tokens
            rows = []
            continue
        if header is None or not tokens[0].isdigit():
            continue
        row = {}
        for i, title in enumerate(header):
            if title == "Pools":
                row[title] = " ".join(tokens[i:])
                break
            row[title] = tokens[i] if i < len(tokens) else ""
        for title in ("Queries", "Drops", "Outstanding", "Ord", "Wt", "Qlim"):
            if title in row:
                try:
                    row[title] = int(row[title])
                except ValueError:
                    pass
        rows.append(row)
    return header, rows


# ---- the process -------------------------------------------------------------

class StartupError(AssertionError):
    pass


class Ballast:
    """One ballast process with a generated config in its own directory."""

    def __init__(self, workdir, config_body, listen, args=(), maintenance=True,
                 show_servers=True, supervised=True, config_name="ballast.conf"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.listen = list(listen)            # [(host, port)] probed for readiness
        self.counters_path = self.workdir / "counters.txt"
        self.stdout_path = self.workdir / "stdout.txt"
        self.stderr_path = self.workdir / "stderr.txt"
        self.config_path = self.workdir / config_name
        text = config_body.rstrip("\n") + "\n"
        if maintenance:
            text += maintenance_lua(self.counters_path, show_servers)
        self.config_path.write_text(text)
        self.args = list(args)
        self.supervised = supervised
        self.proc = None
        self.died_on_its_own = None
        self.expect_exit = False

    # ---- lifecycle --------------------------------------------------------
    def command(self):
        cmd = [ballast_bin(), "-C", str(self.config_path)]
        if self.supervised:
            cmd.append("--supervised")
        return cmd + self.args

    def start(self):
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err,
                                     cwd=self.workdir, start_new_session=True)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            if self.died_on_its_own is None:
                self.died_on_its_own = self.proc.returncode
        else:
            self.died_on_its_own = None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        for f in (self._out, self._err):
            f.close()

    def stdout(self):
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def diagnostics(self, tail=3000):
        rc = self.proc.poll() if self.proc else None
        return (f"\n--- ballast {' '.join(self.command())} (exit code {rc})"
                f"\n--- stderr (tail):\n{self.stderr()[-tail:]}"
                f"\n--- stdout (tail):\n{self.stdout()[-tail:]}")

    def sanitizer_report(self):
        err = self.stderr()
        for marker in SANITIZER_MARKERS:
            if marker in err:
                return err[err.index(marker) - 200 if err.index(marker) > 200 else 0:][:3000]
        return None

    def wait_ready(self, client_host="127.0.0.1", timeout=START_TIMEOUT):
        """Wait until every listener is bound and serving.

        A probe query outside test. is sent from client_host. "Port
        unreachable" (ECONNREFUSED on a connected socket) means not bound yet:
        probe again soon. Once bound, a probe is given a second to be answered
        (the listener thread may start a little after the bind), so that one
        probe, not several, is normally in flight at start-up. Two unanswered
        probes in a row mean bound but not answering (no server), ready too.
        """
        deadline = time.monotonic() + timeout
        for host, port in self.listen:
            self._wait_one(host, port, client_host if family_of(host) == socket.AF_INET
                           else "::1", deadline)
        return self

    def _wait_one(self, host, port, client_host, deadline):
        sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        try:
            sock.bind((client_host, 0))
            sock.connect((host, port))
            silent = 0
            while True:
                if not self.alive():
                    raise StartupError(f"ballast exited during start-up{self.diagnostics()}")
                if time.monotonic() > deadline:
                    raise StartupError(
                        f"ballast did not bind {hostport(host, port)} in time{self.diagnostics()}")
                probe = dns.message.make_query("ready.harness.", "A")
                probe.flags = 0
                try:
                    sock.send(probe.to_wire())
                    ready, _, _ = select.select([sock], [], [], 0.1)
                    if not ready:
                        # Nothing refused it within 0.1s: bound; give it a second.
                        ready, _, _ = select.select([sock], [], [], 1.0)
                    if ready:
                        sock.recv(65535)
                        return
                    silent += 1
                    if silent >= 2:
                        return
                except ConnectionRefusedError:
                    silent = 0
                    time.sleep(0.03)
        finally:
            sock.close()

    def wait_exit(self, timeout=START_TIMEOUT):
        """Wait for the process to exit on its own; returns its code or None."""
        self.expect_exit = True
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    # ---- counters ---------------------------------------------------------
    def run_lua(self, code, timeout=4.0):
        """Runs Lua in the live process from its next maintenance() (a test's console):
        returns what the chunk returned, as a string; a Lua error fails the test."""
        run = Path(str(self.counters_path) + ".run.lua")
        out = Path(str(self.counters_path) + ".run.out")
        out.unlink(missing_ok=True)
        tmp = run.with_suffix(".tmp")
        tmp.write_text(code)
        tmp.rename(run)
        deadline = time.monotonic() + timeout
        while not out.exists():
            if time.monotonic() > deadline or not self.alive():
                raise AssertionError(f"Lua not run within {timeout}s: {code!r}{self.diagnostics()}")
            time.sleep(0.05)
        status, _, value = out.read_text().partition(" ")
        out.unlink()
        assert status == "ok", f"Lua {code!r} failed: {value}"
        return value

    def counters(self):
        """The latest snapshot written by maintenance(), or None."""
        try:
            text = self.counters_path.read_text()
        except FileNotFoundError:
            return None
        return parse_counters(text)

    def _fail_no_counters(self, what):
        snap = self.counters()
        raise AssertionError(
            f"{what}; latest counters snapshot: {snap!r}{self.diagnostics()}")

    def fresh_counters(self, timeout=5.0):
        """A snapshot written after this call (waits for the next maintenance())."""
        snap = self.counters()
        seen = snap["__seq"] if snap else 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"ballast died{self.diagnostics()}")
            snap = self.counters()
            if snap and snap.get("__seq", 0) > seen:
                if "__error" in snap:
                    raise AssertionError(
                        f"getStatisticsCounters() failed in maintenance(): {snap['__error']}")
                return snap
            time.sleep(0.05)
        self._fail_no_counters(f"no new counters snapshot within {timeout}s "
                               "(is maintenance() called once a second?)")

    def wait_counters(self, predicate, timeout=4.0, what="condition"):
        """Poll snapshots until predicate(snapshot) is true; returns it."""
        deadline = time.monotonic() + timeout
        snap = None
        while time.monotonic() < deadline:
            snap = self.counters()
            if snap and "__error" in snap:
                raise AssertionError(
                    f"getStatisticsCounters() failed in maintenance(): {snap['__error']}")
            if snap and predicate(snap):
                return snap
            if not self.alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"counters never met {what} within {timeout}s; "
                             f"last snapshot: {snap!r}{self.diagnostics(1500)}")

    def wait_deltas(self, base, expected, timeout=4.0, exact=True):
        """Wait until counters[k] - base[k] >= v for all k, v in expected.

        With exact, the first snapshot reaching all of them must match exactly
        (an overshoot is a miscount, not a timing matter).
        Returns (snapshot, deltas).
        """
        def deltas(s):
            return {k: s.get(k, 0) - base.get(k, 0) for k in expected} if s else {}

        def reached(s):
            if any(k not in s for k in expected):
                return False
            d = deltas(s)
            return all(d[k] >= v for k, v in expected.items())

        missing = None
        try:
            snap = self.wait_counters(reached, timeout, what=f"deltas {expected}")
        except AssertionError:
            last = self.counters() or {}
            missing = [k for k in expected if k not in last]
            raise AssertionError(
                f"expected counter increases {expected}, got {deltas(last)}"
                + (f"; counters missing from getStatisticsCounters(): {missing}" if missing else "")
                + self.diagnostics(1500)) from None
        d = deltas(snap)
        if exact:
            assert d == expected, f"counter increases: expected {expected}, got {d}"
        return snap, d

    # ---- showServers ------------------------------------------------------
    def server_tables(self):
        """All complete showServers() tables printed by maintenance(), oldest first."""
        text = self.stdout()
        tables = []
        blocks = text.split(SERVERS_BEGIN)[1:]
        for block in blocks:
            if SERVERS_END not in block:
                continue
            body = block.split(SERVERS_END)[0]
            if SERVERS_ERROR in body:
                raise AssertionError("showServers() failed in maintenance(): "
                                     + body.split(SERVERS_ERROR)[1].strip().splitlines()[0])
            header, rows = parse_server_table(body.splitlines())
            if header is not None:
                tables.append(rows)
        return tables

    def servers(self, first_wait=3.0):
        """Latest showServers() rows keyed by Name, or None.

        maintenance() writes the counters before it prints the table, so right after
        start-up (fresh_counters) the first table may still be on its way: wait for it up
        to first_wait seconds while the process lives."""
        tables = self.server_tables()
        deadline = time.monotonic() + first_wait
        while not tables and time.monotonic() < deadline and self.alive():
            time.sleep(0.05)
            tables = self.server_tables()
        if not tables:
            return None
        return {row.get("Name"): row for row in tables[-1]}

    def wait_servers(self, predicate, timeout=6.0, what="condition"):
        deadline = time.monotonic() + timeout
        rows = None
        while time.monotonic() < deadline:
            rows = self.servers(first_wait=0)
            if rows is not None and predicate(rows):
                return rows
            if not self.alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"showServers() never met {what} within {timeout}s; "
                             f"last table: {rows!r}{self.diagnostics(2000)}")


def run_binary(args, timeout=15.0, cwd=None, env=None):
    """Run ballast to completion (--check-config, --version, ...)."""
    cmd = [ballast_bin()] + list(args)
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, cwd=cwd, env=env, text=True, errors="replace")
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{' '.join(cmd)} did not exit within {timeout}s; "
                             f"stdout={e.stdout!r} stderr={e.stderr!r}") from None


def first_line_matching(text, pattern):
    for line in text.splitlines():
        if re.search(pattern, line):
            return line
    return None
