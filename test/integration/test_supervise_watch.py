# SPDX-License-Identifier: GPL-2.0-only
"""The resolver supervisor through the real binary, with the test-only fault hook
(newResolver{testFaults=...}): an instance made to hang is marked down within a second,
its questions go to its sibling, and it is replaced; one made to throw is restarted, with
a doubling back-off; with every instance hung, cached names are answered stale and others
SERVFAIL; SIGTERM still exits 0 with a stuck thread."""

import signal
import socket
import threading
import time

import dns.message
import dns.rcode

import harness


def resolver_lua(be, instances=2, faults="", extra="", supervision=""):
    lua = (f'newResolver{{name="rec", instances={instances}, outgoingTimeout=1500, dnssec="off", '
           f'forwardZones={{["."]={{"{be.address}"}}}}'
           f'{", testFaults={" + faults + "}" if faults else ""}}}\n')
    if supervision:
        lua += f"setResolverSupervision{{{supervision}}}\n"
    return lua + extra


def query(b, name, timeout=3.0):
    """(response or None, seconds taken); also returns any second response (must be none)."""
    q = dns.message.make_query(name, "A")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        t0 = time.monotonic()
        s.sendto(q.to_wire(), b.listen[0])
        try:
            r = dns.message.from_wire(s.recvfrom(65535)[0])
        except socket.timeout:
            return None, time.monotonic() - t0
        return r, time.monotonic() - t0
    finally:
        s.close()


def instance_rows(b):
    """The latest showResolvers() instance rows, by instance name: the columns
    Instance State Uptime Restarts Queries InFlight Cache% MemoryKB Reason."""
    b.run_lua('showResolvers() return "done"')
    rows = {}
    for line in b.stdout().splitlines():
        f = line.split()
        if len(f) >= 9 and f[0].startswith("rec@"):
            rows[f[0]] = {"state": f[1], "restarts": int(f[3]), "memory_kb": int(f[7]),
                          "reason": " ".join(f[8:])}
    return rows


def wait_rows(b, predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    rows = {}
    while time.monotonic() < deadline:
        rows = instance_rows(b)
        if predicate(rows):
            return rows
    raise AssertionError(f"{what} not reached: {rows}{b.diagnostics()}")


class Load:
    """One client asking distinct names one after the other until stopped; every answer
    must be NOERROR."""

    def __init__(self, b):
        self.b = b
        self.rcodes = {}
        self.lost = []
        self.stopping = False
        self.thread = threading.Thread(target=self.run)

    def run(self):
        i = 0
        while not self.stopping:
            r, _ = query(self.b, f"load{i}.test.")
            i += 1
            if r is None:
                self.lost.append(i)
            else:
                self.rcodes[r.rcode()] = self.rcodes.get(r.rcode(), 0) + 1

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        self.thread.join(10)


def sigterm_exit_code(b):
    b.expect_exit = True
    b.proc.send_signal(signal.SIGTERM)
    return b.proc.wait(15)


def test_hung_instance_is_marked_down_replaced_and_its_sibling_answers(start_ballast,
                                                                       backends):
    be = backends()
    # The hang lasts 3 s: the thread wakes up after it was replaced, and must answer nothing.
    b = start_ballast(lua=resolver_lua(be, faults='hang={"hang.test."}, hangMs=3000',
                                       supervision="minBackoff=1500"))
    load = Load(b).start()
    time.sleep(0.3)
    r, took = query(b, "hang.test.")
    # The question it hung on is not handed to the sibling (it would hang it too).
    assert r is not None and r.rcode() == dns.rcode.SERVFAIL, b.diagnostics()
    assert took < 1.0, f"hung instance noticed after {took:.2f} s{b.diagnostics()}"
    rows = instance_rows(b)
    hung = [n for n, row in rows.items() if row["reason"] == "hung"]
    assert len(hung) == 1, rows
    # Down until its back-off of 1.5 s has passed, then a new instance in its place.
    rows = wait_rows(b, lambda rows: rows[hung[0]]["restarts"] == 1
                     and rows[hung[0]]["state"] == "up", what="hung instance replaced")
    time.sleep(3.0)  # the old thread wakes up meanwhile
    load.stop()
    assert not load.lost, f"{len(load.lost)} lost{b.diagnostics()}"
    assert set(load.rcodes) == {dns.rcode.NOERROR}, load.rcodes
    assert sum(load.rcodes.values()) > 20
    err = b.stderr()
    assert f"resolver {hung[0]}: hung: no heartbeat for" in err, b.diagnostics()
    assert f"resolver {hung[0]}: restarted (hung)" in err
    r, _ = query(b, "after.test.")
    assert r.rcode() == dns.rcode.NOERROR
    assert instance_rows(b)[hung[0]]["restarts"] == 1


def test_questions_queued_behind_a_hang_go_to_an_up_sibling(start_ballast, backends):
    be = backends()
    # firstAvailable: rec@1 takes every question while it is up, so the second question
    # waits in its inbox behind the hung one.
    b = start_ballast(lua=resolver_lua(be, faults='hang={"hang.test."}',
                                       extra="setServerPolicy(firstAvailable)\n"))
    results = {}

    def ask(name):
        results[name] = query(b, name)

    def hang_then(name):
        t = threading.Thread(target=ask, args=("hang.test.",))
        t.start()
        time.sleep(0.1)
        ask(name)
        t.join()
        assert results["hang.test."][0].rcode() == dns.rcode.SERVFAIL, b.diagnostics()
        return results[name]

    # No sibling up (rec@2 set down): the queued question is answered SERVFAIL (nothing
    # cached), quickly and once.
    b.run_lua('getServer(1):setDown() return "done"')
    r, took = hang_then("behind.test.")
    assert r is not None and r.rcode() == dns.rcode.SERVFAIL and took < 1.0, (r, took)
    wait_rows(b, lambda rows: rows["rec@1"]["restarts"] == 1 and rows["rec@1"]["state"] == "up",
              what="rec@1 replaced")
    # With rec@2 up, the question queued behind the hang is resolved there.
    b.run_lua('getServer(1):setAuto() return "done"')
    r, took = hang_then("behind2.test.")
    assert r is not None and r.rcode() == dns.rcode.NOERROR and took < 1.0, (r, took)
    assert "1 questions handed to siblings" in b.stderr(), b.diagnostics()
    # Two threads asleep for an hour in their hang: SIGTERM neither joins them nor fails.
    assert sigterm_exit_code(b) == 0, b.diagnostics()


def test_thrown_instance_restarts_with_doubling_back_off(start_ballast, backends):
    be = backends()
    b = start_ballast(lua=resolver_lua(be, instances=1, faults='throw={"throw.test."}'))
    for n in (1, 2, 3):
        r, took = query(b, "throw.test.")
        assert r is not None and r.rcode() == dns.rcode.SERVFAIL and took < 1.0, b.diagnostics()
        rows = wait_rows(b, lambda rows: rows["rec@1"]["restarts"] == n
                         and rows["rec@1"]["state"] == "up", what=f"restart {n}")
        assert rows["rec@1"]["reason"] == "threw: test fault on throw.test."
        r, _ = query(b, f"after{n}.test.")
        assert r.rcode() == dns.rcode.NOERROR, b.diagnostics()
    err = b.stderr()
    for delay in (100, 200, 400):
        assert f"restart in {delay} ms" in err, b.diagnostics()
    assert err.count("resolver rec@1: restarted (threw: test fault on throw.test.)") == 3


def test_every_instance_hung_serves_cached_names_stale(start_ballast, backends):
    be = backends(ttl=1)
    cache = ('pc = newPacketCache(1000)\ngetPool(""):setCache(pc)\n'
             'setStaleCacheEntriesTTL(60)\nsetServFailWhenNoServer(true)\n')
    b = start_ballast(lua=resolver_lua(be, faults='hang={"hang.test."}, hangMs=60000',
                                       supervision="minBackoff=6000", extra=cache))
    r, _ = query(b, "cached.test.")
    assert r.rcode() == dns.rcode.NOERROR and r.answer, b.diagnostics()
    # leastOutstanding: the second question goes to the instance the first left idle.
    threads = [threading.Thread(target=query, args=(b, "hang.test.")) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join()
    rows = wait_rows(b, lambda rows: all(row["state"] == "down" for row in rows.values()),
                     what="every instance down")
    time.sleep(1.2)  # the cached entry's TTL of 1 s is over
    r, _ = query(b, "cached.test.")
    assert r is not None and r.rcode() == dns.rcode.NOERROR and r.answer, b.diagnostics()
    r, _ = query(b, "never-seen.test.")
    assert r is not None and r.rcode() == dns.rcode.SERVFAIL
    # The supervisor keeps trying: after the back-off, new instances answer.
    wait_rows(b, lambda rows: all(row["state"] == "up" and row["restarts"] == 1
                                  for row in rows.values()), timeout=12, what="both restarted")
    r, _ = query(b, "fresh.test.")
    assert r.rcode() == dns.rcode.NOERROR
    # Two threads still asleep in their hang: shutdown neither waits for them nor fails.
    t0 = time.monotonic()
    assert sigterm_exit_code(b) == 0, b.diagnostics()
    assert time.monotonic() - t0 < 10


def test_instance_over_its_memory_bound_is_restarted(start_ballast, backends):
    be = backends()
    # While both are down, SERVFAIL rather than dropping (dnsdist's default).
    b = start_ballast(lua=resolver_lua(be, instances=2, extra="setServFailWhenNoServer(true)\n",
                                       supervision="minBackoff=100")
                      .replace("outgoingTimeout=1500", "outgoingTimeout=1500, maxMemory=65536"))
    results = []
    lock = threading.Lock()

    def ask(i):
        r, _ = query(b, f"delay-1200x{i}.test.", timeout=5.0)
        with lock:
            results.append(r.rcode() if r is not None else None)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # About 11 KB a resolution: both instances go over 64 KB. Every question is answered
    # once: SERVFAIL when the instance it was handed to fails too.
    assert None not in results, results
    assert len(results) == 40
    err = b.stderr()
    assert "over its memory bound" in err, b.diagnostics()
    handed = harness.first_line_matching(err, r"questions handed to siblings")
    assert handed and not handed.split(": ")[1].startswith("0 "), b.diagnostics()
    rows = wait_rows(b, lambda rows: all(row["state"] == "up" for row in rows.values()),
                     what="instances back up")
    assert any(row["reason"] == "memory" and row["restarts"] >= 1 for row in rows.values()), rows
    r, _ = query(b, "small.test.")
    assert r.rcode() == dns.rcode.NOERROR


def test_fault_options_are_checked(tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text('newResolver{name="rec", testFaults={hang={"ok."}, crash={"x."}}}\n')
    p = harness.run_binary(["-C", str(bad), "--check-config"])
    assert p.returncode != 0 and "crash" in p.stderr, p
    bad.write_text('setResolverSupervision{minBackoff=500, maxBackoff=100}\n')
    p = harness.run_binary(["-C", str(bad), "--check-config"])
    assert p.returncode != 0 and "maxBackoff" in p.stderr, p
