# SPDX-License-Identifier: GPL-2.0-only
"""Rolling restarts of embedded resolver instances (restartResolver, restartResolvers)
through the real binary: every instance restarts while clients keep asking, and no query
is lost or answered SERVFAIL; the record cache survives; showResolvers() counts them."""

import socket
import threading
import time

import dns.message
import dns.rcode

import harness


def resolver_lua(be, instances=2):
    return (f'newResolver{{name="rec", instances={instances}, outgoingTimeout=1500, dnssec="off", '
            f'forwardZones={{["."]={{"{be.address}"}}}}}}\n')


def ask(b, name, timeout=3.0):
    q = dns.message.make_query(name, "A")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q.to_wire(), b.listen[0])
        wire, _ = s.recvfrom(65535)
        return dns.message.from_wire(wire)
    finally:
        s.close()


class Load:
    """`threads` clients, each asking `per_thread` distinct names one after the other (each a
    cache miss held `delay_ms` at the backend, so queries are in flight all along)."""

    def __init__(self, b, threads=8, per_thread=250, delay_ms=8):
        self.b = b
        self.rcodes = {}
        self.lost = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(t, per_thread, delay_ms))
                        for t in range(threads)]

    def run(self, t, n, delay_ms):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3.0)
        try:
            for i in range(n):
                q = dns.message.make_query(f"delay-{delay_ms}x{t}x{i}.test.", "A")
                s.sendto(q.to_wire(), self.b.listen[0])
                try:
                    while True:
                        r = dns.message.from_wire(s.recvfrom(65535)[0])
                        if r.id == q.id:
                            break
                    with self.lock:
                        self.rcodes[r.rcode()] = self.rcodes.get(r.rcode(), 0) + 1
                except socket.timeout:
                    with self.lock:
                        self.lost.append(q.question[0].name.to_text())
        finally:
            s.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def join(self):
        for t in self.threads:
            t.join(30)

    def answered(self):
        with self.lock:
            return sum(self.rcodes.values())


def test_rolling_restart_under_load_loses_no_query(start_ballast, backends):
    be = backends()
    b = start_ballast(lua=resolver_lua(be))
    assert ask(b, "cached.test.").rcode() == dns.rcode.NOERROR
    load = Load(b).start()
    deadline = time.monotonic() + 5
    while load.answered() < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    b.run_lua('restartResolvers("rec") return "done"', timeout=15.0)
    during = load.answered()
    load.join()
    total = 8 * 250
    assert not load.lost, f"{len(load.lost)} lost, e.g. {load.lost[:5]}{b.diagnostics()}"
    assert load.rcodes == {dns.rcode.NOERROR: total}, load.rcodes
    assert during < total, "the restart did not happen while the load ran"
    err = b.stderr()
    for i in (1, 2):
        assert f"resolver rec@{i}: restarted (restartResolvers)" in err, b.diagnostics()
    # The record cache is the resolver's: it survived both restarts.
    before = be.count
    assert ask(b, "cached.test.").rcode() == dns.rcode.NOERROR
    assert be.count == before


def test_restart_one_instance_is_counted_and_shown(start_ballast, backends):
    be = backends()
    b = start_ballast(lua=resolver_lua(be, instances=3))
    b.run_lua('restartResolver("rec@2") return "done"')
    b.run_lua('restartResolver("rec@2") showResolvers() return "done"')
    rows = {}
    for line in b.stdout().splitlines():
        fields = line.split()
        if fields and fields[0].startswith("rec@"):
            rows[fields[0]] = fields
    assert set(rows) == {"rec@1", "rec@2", "rec@3"}, b.stdout()[-2000:]
    # Instance State Uptime Restarts Queries InFlight Cache% MemoryKB Last-restart-reason
    assert rows["rec@2"][1] == "up" and rows["rec@2"][3] == "2"
    assert rows["rec@2"][8] == "restartResolver"
    assert rows["rec@1"][3] == "0" and rows["rec@1"][8] == "-"
    assert ask(b, "after.test.").rcode() == dns.rcode.NOERROR


def test_restart_of_an_unknown_instance_is_an_error(start_ballast, backends, tmp_path):
    be = backends()
    b = start_ballast(lua=resolver_lua(be))
    out = b.run_lua('local ok, err = pcall(restartResolver, "rec@9") return tostring(err)')
    assert "no resolver instance named 'rec@9'" in out
    out = b.run_lua('local ok, err = pcall(restartResolvers, "nope") return tostring(err)')
    assert "no resolver named 'nope'" in out
    conf = tmp_path / "bad.conf"
    conf.write_text(resolver_lua(be) + 'restartResolver("rec@1")\n')
    res = harness.run_binary(["-C", str(conf), "--check-config"])
    assert res.returncode != 0 and "only once running" in res.stderr, res.stderr
