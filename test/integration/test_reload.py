# SPDX-License-Identifier: GPL-2.0-only
"""Configuration reload (issue 11): SIGHUP and the console's reloadConfig() run the file
again; a broken file changes nothing, a changed one takes effect without losing a query."""

import re
import signal
import subprocess
import threading
import time

import harness
from fakedns import Client, a_addresses, make_query, wait_until
from test_console import ConsoleSetup, wait_console


class Reloadable:
    """A running ballast whose config file a test rewrites, then reloads."""

    def __init__(self, start_ballast, servers, lua="", console=None):
        self.console = console
        self.listen = harness.new_listener()
        b = start_ballast(servers=servers, lua=self.head() + lua, listen=[self.listen])
        self.b = b
        if console:
            wait_console(console)

    def head(self):
        return self.console.lua() if self.console else ""

    def write(self, body):
        """The whole file: the listener, the console, `body`, the harness's maintenance()."""
        host, port = self.listen
        text = (f'setLocal("{harness.hostport(host, port)}")\n' + self.head() + body + "\n" +
                harness.maintenance_lua(self.b.counters_path))
        self.b.config_path.write_text(text)

    def outcomes(self):
        err = self.b.stderr()
        return (len(re.findall(r"configuration reloaded from", err)),
                len(re.findall(r"configuration reload failed", err)))

    def sighup(self, expect_ok):
        """SIGHUP, then wait for the reload's outcome in the log; returns the stderr."""
        done, failed = self.outcomes()
        self.b.proc.send_signal(signal.SIGHUP)
        want = (done + 1, failed) if expect_ok else (done, failed + 1)
        assert wait_until(lambda: self.outcomes() == want, 10.0, 0.02), \
            f"no {'successful' if expect_ok else 'failed'} reload logged{self.b.diagnostics()}"
        assert self.b.alive(), self.b.diagnostics()
        return self.b.stderr()


def answered_by(c, b, name="x.test.", timeout=1.0):
    msg = c.ask(make_query(name), b.listen[0], timeout=timeout)
    return a_addresses(msg) if msg is not None else None


def rcode_of(c, b, name):
    msg = c.ask(make_query(name), b.listen[0], timeout=1.0)
    return None if msg is None else msg.rcode()


def new_server(be, name, **opts):
    return harness.lua_new_server(be, name=name, **opts)


# ---- a broken file changes nothing -------------------------------------------

def test_sighup_with_syntax_error_or_bad_option_changes_nothing(start_ballast, backends):
    first, other = backends(), backends()
    rule = 'addAction(QNameRule("refused.test."), RCodeAction(DNSRCode.REFUSED))\n'
    r = Reloadable(start_ballast, [], lua=new_server(first, "b1") + "\n" + rule)
    c = Client()
    assert answered_by(c, r.b) == [first.host]
    assert rcode_of(c, r.b, "refused.test.") == 5

    # A syntax error on line 3 of the body (after setLocal): nothing of it applies.
    r.write(new_server(other, "b2", order=0) + "\nsetServFailWhenNoServer(true\n")
    err = r.sighup(expect_ok=False)
    assert re.search(re.escape(str(r.b.config_path)) + r":\d+:", err), err[-2000:]
    # A bad option: the Lua runs up to it, yet nothing it did is kept.
    r.write(new_server(other, "b2", order=0) + "\nnewServer{address=\"" + other.address +
            "\", bogus=1}\n")
    err = r.sighup(expect_ok=False)
    assert "unknown option 'bogus'" in err
    # Line 1 is setLocal, 2 the first newServer, 3 the bad one.
    assert re.search(re.escape(str(r.b.config_path)) + r":3:.*unknown option 'bogus'", err), \
        err[-2000:]

    for i in range(10):
        assert answered_by(c, r.b, f"q{i}.test.") == [first.host]
    assert rcode_of(c, r.b, "refused.test.") == 5  # the rule is still there
    assert other.count == 0
    snap = r.b.wait_counters(lambda s: s.get("config-reload-failures", 0) >= 2, what="failures")
    assert snap.get("config-reloads", 0) == 0


# ---- a changed file takes effect ---------------------------------------------

def test_sighup_applies_rules_servers_and_settings(start_ballast, backends):
    keep, gone, added = backends(), backends(), backends()
    r = Reloadable(start_ballast, [], lua="\n".join([
        new_server(keep, "keep", pool="main"),
        new_server(gone, "gone", pool="main"),
        'addAction(AllRule(), PoolAction("main"))',
        "setServerPolicy(roundrobin)"]))
    c = Client()
    seen = {tuple(answered_by(c, r.b, f"a{i}.test.")) for i in range(6)}
    assert seen == {(keep.host,), (gone.host,)}
    keep_queries_before = keep.count

    r.write("\n".join([
        new_server(keep, "keep", pool="main"),
        new_server(added, "added", pool="main"),
        'addAction(QNameRule("blocked.test."), RCodeAction(DNSRCode.NXDOMAIN))',
        'addAction(QNameSuffixRule("empty.test."), PoolAction("nobody"))',
        'addAction(AllRule(), PoolAction("main"))',
        "setServerPolicy(roundrobin)",
        "setServFailWhenNoServer(true)"]))
    r.sighup(expect_ok=True)

    assert rcode_of(c, r.b, "blocked.test.") == 3           # the rule added
    assert rcode_of(c, r.b, "x.empty.test.") == 2            # the setting changed: SERVFAIL
    gone.reset()
    seen = {tuple(answered_by(c, r.b, f"b{i}.test.")) for i in range(6)}
    assert seen == {(keep.host,), (added.host,)}
    assert gone.count == 0
    assert server_names_from_stdout(r.b) == ["keep", "added"]
    # "keep" is the server that ran before: its query count went on, not from zero.
    rows = {row["Name"]: row for row in latest_servers(r.b)}
    assert int(rows["keep"]["Queries"]) >= keep_queries_before + 3
    snap = r.b.wait_counters(lambda s: s.get("config-reloads", 0) == 1, what="reloads")
    assert snap.get("config-reload-failures", 0) == 0


def latest_servers(b):
    """The server table maintenance() printed last (after the reload)."""
    def table():
        out = b.stdout()
        end = out.rfind(harness.SERVERS_END)
        begin = out.rfind(harness.SERVERS_BEGIN, 0, end)
        if begin < 0 or end < 0:
            return None
        lines = out[begin:end].splitlines()[1:]
        return harness.parse_server_table(lines)[1]
    time.sleep(1.2)  # one more maintenance() round, after the last queries
    rows = wait_until(table, 3.0, 0.05)
    assert rows, b.diagnostics()
    return rows


def server_names_from_stdout(b):
    return [row["Name"] for row in latest_servers(b)]


# ---- queries keep flowing while reloads run ----------------------------------

def test_queries_sent_during_reloads_are_all_answered(start_ballast, backends):
    a, b2, b3 = backends(), backends(), backends()
    r = Reloadable(start_ballast, [], lua=new_server(a, "a") + "\n" + new_server(b2, "b"))
    per_thread, threads = 150, 4
    results = [[] for _ in range(threads)]
    stop = threading.Event()

    def send(k):
        c = Client()
        try:
            for i in range(per_thread):
                # 20 ms at the backend: queries are in flight when a server leaves.
                msg = c.ask(make_query(f"delay-20-t{k}-{i}.test."), r.b.listen[0], timeout=3.0)
                results[k].append(msg is not None and msg.rcode() == 0)
        finally:
            c.close()

    senders = [threading.Thread(target=send, args=(k,)) for k in range(threads)]
    for t in senders:
        t.start()
    try:
        time.sleep(0.3)
        # b leaves and b3 comes; then b comes back and a leaves; then the same file again.
        r.write(new_server(a, "a") + "\n" + new_server(b3, "c"))
        r.sighup(expect_ok=True)
        r.write(new_server(b2, "b") + "\n" + new_server(b3, "c"))
        r.sighup(expect_ok=True)
        r.sighup(expect_ok=True)
    finally:
        for t in senders:
            t.join(60)
    total = sum(len(x) for x in results)
    answered = sum(sum(x) for x in results)
    assert total == per_thread * threads
    assert answered == total, f"{total - answered} of {total} queries unanswered"
    assert b3.count > 0 and a.count > 0


# ---- reloadConfig() from the console ----------------------------------------

def console_command(setup, command):
    """One command through `ballast -c ADDRESS -k KEY -e`, which does not read the
    (possibly broken) file; returns (exit status, output)."""
    cmd = [harness.ballast_bin(), "-C", "/nonexistent.conf", "-c", setup.address,
           "-k", setup.key, "-e", command]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def console_servers(setup):
    rc, out = console_command(setup, "showServers()")
    assert rc == 0, out
    return [row["Name"] for row in harness.parse_server_table(out.splitlines())[1]]


def test_console_reload_config_returns_the_error(start_ballast, backends):
    be = backends()
    setup = ConsoleSetup()
    r = Reloadable(start_ballast, [], lua=new_server(be, "b1"), console=setup)
    r.write(new_server(be, "b1") + "\nnewServer{address=\"" + be.address + "\", wieght=2}\n")
    rc, out = console_command(setup, "reloadConfig()")
    assert rc != 0
    assert "reload failed" in out
    assert re.search(re.escape(str(r.b.config_path)) + r":\d+:", out), out
    assert "wieght" in out
    assert console_servers(setup) == ["b1"]

    r.write(new_server(be, "b1") + "\n" + new_server(be, "b1-again"))
    rc, out = console_command(setup, "reloadConfig()")
    assert rc == 0, out
    assert "Configuration reloaded" in out
    assert console_servers(setup) == ["b1", "b1-again"]


# ---- a packet cache with the same options keeps its entries ------------------

def test_unchanged_packet_cache_keeps_its_entries(start_ballast, backends):
    be = backends()
    cache = 'pc = newPacketCache(1000, {maxTTL=600})\ngetPool(""):setCache(pc)\n'
    r = Reloadable(start_ballast, [], lua=new_server(be, "b1") + "\n" + cache)
    c = Client()
    assert answered_by(c, r.b, "cached.test.") == [be.host]
    assert answered_by(c, r.b, "cached.test.") == [be.host]
    asked = len([q for q in be.queries if str(q.msg.question[0].name) == "cached.test."])
    assert asked == 1

    # Another rule, the same cache: the entry is still there.
    r.write(new_server(be, "b1") + "\n" + cache +
            'addAction(QNameRule("other.test."), DropAction())\n')
    r.sighup(expect_ok=True)
    assert answered_by(c, r.b, "cached.test.") == [be.host]
    asked = len([q for q in be.queries if str(q.msg.question[0].name) == "cached.test."])
    assert asked == 1, "the reload emptied a cache whose options did not change"

    # Other options: a new, empty cache.
    r.write(new_server(be, "b1") + "\n" + cache.replace("1000", "2000"))
    r.sighup(expect_ok=True)
    assert answered_by(c, r.b, "cached.test.") == [be.host]
    asked = len([q for q in be.queries if str(q.msg.question[0].name) == "cached.test."])
    assert asked == 2
