# SPDX-License-Identifier: GPL-2.0-only
"""Encrypted backends (newServer{tls=...}) and tcpOnly, through the real binary.

The backends are real servers on loopback: unbound (Debian's package) serving DNS over
TLS and DNS over HTTPS from local data, and a second ballast serving DoT or DoH in front
of a fake backend where its own counters are needed. A test CA and certificates are made
with the openssl command at test time."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

import harness
from fakedns import a_addresses, make_query, wait_until


UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
ANSWER = "192.0.2.53"


# ---- certificates ------------------------------------------------------------

def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(directory, name):
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
             "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(directory, ca, name, dns_name, ip):
    ca_cert, ca_key = ca
    key, csr, cert = (directory / f"{name}.key", directory / f"{name}.csr",
                      directory / f"{name}.crt")
    ext = directory / f"{name}.ext"
    ext.write_text(f"subjectAltName=DNS:{dns_name},IP:{ip}\n"
                   "extendedKeyUsage=serverAuth\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={dns_name}")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
             "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return cert, key


class Pki:
    """A test CA with a certificate for dns.test and `ip`, and a second CA nobody trusts
    with a certificate for the same name."""

    def __init__(self, directory, ip):
        self.ca = make_ca(directory, "test-ca")
        self.cert, self.key = make_server_cert(directory, self.ca, "server", "dns.test", ip)
        self.other_ca = make_ca(directory, "other-ca")
        self.other_cert, self.other_key = make_server_cert(directory, self.other_ca, "other",
                                                           "dns.test", ip)


# ---- unbound serving DoT and DoH from local data -------------------------------

def _port_accepts(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class UnboundTls:
    """unbound answering every name from local data (A 192.0.2.53 under test.,
    NXDOMAIN elsewhere), over DoT on `dot_port` and DoH on `doh_port`."""

    def __init__(self, workdir, host, cert, key):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.dot_port = harness.free_port(host)
        self.doh_port = harness.free_port(host)
        conf = ["server:", f"  interface: {host}@{self.dot_port}",
                f"  interface: {host}@{self.doh_port}", f"  tls-port: {self.dot_port}",
                f"  https-port: {self.doh_port}", '  http-endpoint: "/dns-query"',
                f'  tls-service-key: "{key}"', f'  tls-service-pem: "{cert}"',
                '  username: ""', '  chroot: ""', f'  directory: "{self.workdir}"',
                '  pidfile: ""', "  use-syslog: no", f'  logfile: "{self.workdir}/log"',
                "  access-control: 127.0.0.0/8 allow", "  num-threads: 1", "  do-ip6: no",
                "  verbosity: 1", '  local-zone: "." static',
                '  local-zone: "test." redirect', f'  local-data: "test. A {ANSWER}"',
                "remote-control:", "  control-enable: no"]
        self.conf = self.workdir / "unbound.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", str(self.conf)],
                                     stdout=open(self.workdir / "stdout", "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while not (_port_accepts(host, self.dot_port) and _port_accepts(host, self.doh_port)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("unbound did not start: "
                                   + (self.workdir / "stdout").read_text(errors="replace")
                                   + (self.workdir / "log").read_text(errors="replace")
                                   if (self.workdir / "log").exists() else "")
            time.sleep(0.05)

    def dot(self):
        return f"{self.host}:{self.dot_port}"

    def doh(self):
        return f"{self.host}:{self.doh_port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def tls_world(tmp_path):
    """(pki, unbound) on a fresh loopback address; unbound presents the test CA's
    certificate for dns.test and that address."""
    if not Path(UNBOUND).exists():
        pytest.fail("unbound is not installed (dist/install-deps.sh installs it)")
    host = harness.ADDRESSES.next()
    pki = Pki(tmp_path, host)
    ub = UnboundTls(tmp_path / "unbound", host, pki.cert, pki.key)
    yield pki, ub
    ub.stop()


def ask(b, name, qid=7, timeout=3.0, tcp=False):
    host, port = b.listen[0]
    q = make_query(name, qid=qid)
    if tcp:
        return dns.query.tcp(q, host, port=port, timeout=timeout)
    return dns.query.udp(q, host, port=port, timeout=timeout)


def wait_state(b, want, name="b1", timeout=8.0):
    b.wait_servers(lambda rows: name in rows and rows[name]["State"] == want, timeout=timeout,
                   what=f"{name} {want}")


def tls_server(ub, pki, **extra):
    opts = {"tls": "openssl", "subjectName": "dns.test", "caStore": str(pki.ca[0]),
            "checkName": "check.test.", "checkInterval": 1}
    opts.update(extra)
    return opts


# ---- DNS over TLS to unbound ------------------------------------------------------

def test_dot_backend_with_a_good_certificate_answers(start_ballast, tls_world):
    pki, ub = tls_world
    b = start_ballast([ub.dot()], server_opts=[tls_server(ub, pki)])
    r = ask(b, "www.test.", qid=11)
    assert r.id == 11 and a_addresses(r) == [ANSWER], r
    r = ask(b, "tcp.test.", qid=12, tcp=True)
    assert r.id == 12 and a_addresses(r) == [ANSWER], r
    wait_state(b, "up")


def test_dot_backend_checked_by_address_too(start_ballast, tls_world):
    pki, ub = tls_world
    b = start_ballast([ub.dot()], server_opts=[tls_server(ub, pki, subjectAddr=ub.host)])
    assert a_addresses(ask(b, "addr.test.")) == [ANSWER]


@pytest.mark.parametrize("case,opts,reason", [
    ("wrong name", {"subjectName": "not-dns.test"}, "hostname mismatch"),
    ("wrong address", {"subjectAddr": "127.0.0.254"}, "IP address mismatch"),
    ("unknown CA", {"caStore": "OTHER"}, "unable to get local issuer certificate"),
])
def test_dot_backend_with_a_bad_certificate_is_refused(start_ballast, tls_world, case, opts,
                                                       reason):
    pki, ub = tls_world
    if opts.get("caStore") == "OTHER":
        opts = dict(opts, caStore=str(pki.other_ca[0]))
    b = start_ballast([ub.dot()], server_opts=[tls_server(ub, pki, **opts)])
    wait_state(b, "down")
    try:
        r = ask(b, "refused.test.", timeout=1.5)
        assert r.rcode() == dns.rcode.SERVFAIL and not a_addresses(r), f"{case}: {r}"
    except dns.exception.Timeout:
        pass  # no server up: dropped, as dnsdist does unless setServFailWhenNoServer
    assert wait_until(lambda: "TLS handshake with backend b1" in b.stderr()
                      and reason in b.stderr(), 3), b.stderr()


def test_validate_certificates_false_accepts_an_unknown_ca(start_ballast, tls_world):
    pki, ub = tls_world
    opts = tls_server(ub, pki, caStore=str(pki.other_ca[0]), validateCertificates=False,
                      subjectName="whatever.example")
    b = start_ballast([ub.dot()], server_opts=[opts])
    assert a_addresses(ask(b, "novalidate.test.")) == [ANSWER]
    wait_state(b, "up")


def test_health_checks_over_tls_mark_a_dead_backend_down(start_ballast, tls_world):
    pki, ub = tls_world
    b = start_ballast([ub.dot()], server_opts=[tls_server(ub, pki, checkTimeout=500)])
    wait_state(b, "up")
    ub.stop()
    wait_state(b, "down")


def test_a_tls_server_on_a_plain_tcp_port_is_down(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], server_opts=[{"tls": "openssl", "validateCertificates": False,
                                          "checkName": "check.test.", "checkInterval": 1}])
    wait_state(b, "down")
    assert be.count == 0, "nothing went over UDP"


# ---- DNS over HTTPS ------------------------------------------------------------------

def test_doh_backend_answers(start_ballast, tls_world):
    pki, ub = tls_world
    b = start_ballast([ub.doh()], server_opts=[tls_server(ub, pki, dohPath="/dns-query")])
    for i in range(3):
        r = ask(b, f"doh{i}.test.", qid=20 + i)
        assert r.id == 20 + i and a_addresses(r) == [ANSWER], r
    r = ask(b, "doh-tcp.test.", qid=30, tcp=True)
    assert a_addresses(r) == [ANSWER]
    wait_state(b, "up")


def test_doh_backend_with_a_wrong_path_fails_its_queries(start_ballast, tls_world):
    pki, ub = tls_world
    b = start_ballast([ub.doh()], server_opts=[tls_server(ub, pki, dohPath="/nope",
                                                          healthCheckMode="up")])
    r = ask(b, "wrongpath.test.")
    assert r.rcode() == dns.rcode.SERVFAIL


def start_doh_ballast(start_ballast, be, pki, lua=""):
    """A second ballast serving DoH (with the test CA's certificate) in front of `be`."""
    host = pki.host
    port = harness.free_port(host)
    b = start_ballast([be], lua=f'addDOHLocal("{host}:{port}", "{pki.cert}", "{pki.key}", '
                                f'"/dns-query", {{keepIncomingHeaders=true}})\n' + lua)
    return b, f"{host}:{port}"


def test_doh_backend_gets_x_forwarded_headers(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()  # the DoH backend forwards its DoH clients' queries over TCP
    host = harness.ADDRESSES.next()
    pki = Pki(tmp_path, host)
    pki.host = host
    # The DoH backend answers 192.0.2.77 only when it saw our client's address.
    rule = ('addAction(AndRule({HTTPHeaderRule("x-forwarded-for", "^127\\\\.0\\\\.0\\\\.1$"), '
            'HTTPHeaderRule("x-forwarded-port", "^[0-9]+$")}), SpoofAction("192.0.2.77"))')
    _, doh = start_doh_ballast(start_ballast, be, pki, lua=rule)
    front = start_ballast([doh], server_opts=[{
        "tls": "openssl", "dohPath": "/dns-query", "subjectName": "dns.test",
        "caStore": str(pki.ca[0]), "addXForwardedHeaders": True, "checkName": "check.test."}])
    assert a_addresses(ask(front, "xff.test.")) == ["192.0.2.77"]
    plain = start_ballast([doh], server_opts=[{
        "tls": "openssl", "dohPath": "/dns-query", "subjectName": "dns.test",
        "caStore": str(pki.ca[0]), "checkName": "check.test."}])
    assert a_addresses(ask(plain, "noxff.test.")) == [be.host], "no headers unless asked"


def tcp_stats_row(b, name="b1"):
    """The server's line of showTCPStats()'s second table, keyed by column."""
    b.run_lua("showTCPStats()")
    lines = b.stdout().splitlines()
    header = max(i for i, line in enumerate(lines) if line.split()[:4] == ["#", "Name",
                                                                          "Address", "Transport"])
    titles = lines[header].split()
    for line in lines[header + 1:]:
        cells = line.split()
        if len(cells) == len(titles) and cells[1] == name:
            return {t: (int(c) if c.isdigit() else c) for t, c in zip(titles, cells)}
    raise AssertionError(f"no showTCPStats line for {name}: {lines[header:]}")


# ---- connection reuse and session resumption, seen by a ballast DoT backend ------------

def test_dot_connection_reused_and_session_resumed(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    host = harness.ADDRESSES.next()
    pki = Pki(tmp_path, host)
    port = harness.free_port(host)
    # The DoT backend closes a connection idle for a second, so the next one resumes.
    back = start_ballast([be], lua=f'addTLSLocal("{host}:{port}", "{pki.cert}", "{pki.key}")\n'
                                   "setTCPRecvTimeout(1)\n")
    base = back.fresh_counters()
    front = start_ballast([f"{host}:{port}"], server_opts=[{
        "tls": "openssl", "subjectName": "dns.test", "caStore": str(pki.ca[0]),
        "healthCheckMode": "up"}])
    # The harness's readiness probe made the first connection, a full handshake; the
    # backend closes it once idle for a second.
    back.wait_deltas(base, {"tls-new-sessions": 1, "tls-resumptions": 0})
    assert int(front.run_lua("return getOutgoingTLSSessionCacheSize()")) >= 1
    time.sleep(1.5)
    base = back.fresh_counters()
    for i in range(5):
        assert a_addresses(ask(front, f"reuse{i}.test.", qid=i)) == [be.host]
    assert be.tcp.count == 5 and be.count == 0
    # Five queries, one connection, whose handshake resumed the first one's session.
    back.wait_deltas(base, {"tls-new-sessions": 0, "tls-resumptions": 1, "tcp-queries": 5})
    row = tcp_stats_row(front)
    assert row["Transport"] == "dot" and row["Connections"] == 2, row
    assert row["Reused"] >= 4 and row["TLSResumed"] == 1 and row["TLSFailed"] == 0, row
    # A ticket is used once: the next connection resumes only if the server gave another.
    time.sleep(1.5)
    assert a_addresses(ask(front, "again.test.", qid=9)) == [be.host]
    _, d = back.wait_deltas(base, {"tcp-queries": 6}, exact=False)
    snap = back.counters()
    assert (snap["tls-new-sessions"] + snap["tls-resumptions"]
            - base["tls-new-sessions"] - base["tls-resumptions"]) == 2, "one handshake more"


# ---- tcpOnly -----------------------------------------------------------------------

def test_tcp_only_sends_everything_over_tcp(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], server_opts=[{"tcpOnly": True, "checkName": "hc.test.",
                                          "checkInterval": 1}])
    for i in range(3):
        r = ask(b, f"tcponly{i}.test.", qid=40 + i)
        assert r.id == 40 + i and a_addresses(r) == [be.host]
    assert wait_until(lambda: sum(1 for q in be.tcp.queries
                                  if str(q.msg.question[0].name) == "hc.test.") >= 1, 4), \
        "health checks go over TCP too"
    assert be.count == 0, "the backend saw no UDP"
    assert be.tcp.connections == 1, "one connection carried queries and checks"
    assert tcp_stats_row(b)["Transport"] == "tcp"


# ---- configuration errors ------------------------------------------------------------

@pytest.mark.parametrize("opts,message", [
    ({"tls": "gnutls"}, 'tls="gnutls" is not available'),
    ({"tls": "openssl", "caStore": "/nonexistent/ca.pem"}, "caStore '/nonexistent/ca.pem'"),
    ({"dohPath": "/dns-query"}, "dohPath needs tls"),
    ({"tls": "openssl", "ciphers": "NO-SUCH"}, "invalid ciphers 'NO-SUCH'"),
])
def test_bad_tls_options_stop_start_up(start_ballast, opts, message):
    b = start_ballast(["127.0.0.1:53"], server_opts=[opts], wait=False)
    assert b.wait_exit() not in (None, 0)
    err = b.stderr()
    assert message in err and "ballast.conf:" in err, err


def test_check_tcp_sends_health_checks_over_tcp(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], server_opts=[{"checkTCP": True, "checkName": "hc.test.",
                                          "checkInterval": 1}])
    assert wait_until(lambda: any(str(q.msg.question[0].name) == "hc.test."
                                  for q in be.tcp.queries), 4), "checks over TCP"
    r = ask(b, "udp.test.", qid=3)
    assert a_addresses(r) == [be.host]
    assert be.count == 1, "client queries from UDP still go over UDP"
    assert not any(str(q.msg.question[0].name) == "hc.test." for q in be.queries)


def test_tls_options_reach_openssl(start_ballast, tls_world):
    pki, ub = tls_world
    opts = tls_server(ub, pki, ciphers="ECDHE-ECDSA-AES128-GCM-SHA256",
                      ciphersTLS13="TLS_AES_128_GCM_SHA256", releaseBuffers=False,
                      enableRenegotiation=True)
    b = start_ballast([ub.dot()], server_opts=[opts])
    assert a_addresses(ask(b, "opts.test.")) == [ANSWER]


def test_tls_and_doh_servers_default_to_ports_853_and_443(start_ballast):
    b = start_ballast(["127.0.0.1"], server_opts=[{
        "tls": "openssl", "validateCertificates": False, "healthCheckMode": "down"}])
    b2 = start_ballast(["127.0.0.1"], server_opts=[{
        "tls": "openssl", "dohPath": "/q", "validateCertificates": False,
        "healthCheckMode": "down"}])
    assert b.servers()["b1"]["Address"] == "127.0.0.1:853"
    assert b2.servers()["b1"]["Address"] == "127.0.0.1:443"


def test_no_kept_sessions_means_no_resumption(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    host = harness.ADDRESSES.next()
    pki = Pki(tmp_path, host)
    port = harness.free_port(host)
    back = start_ballast([be], lua=f'addTLSLocal("{host}:{port}", "{pki.cert}", "{pki.key}")\n'
                                   "setTCPRecvTimeout(1)\n")
    base = back.fresh_counters()
    front = start_ballast([f"{host}:{port}"], lua="setOutgoingTLSSessionsCacheMaxTicketsPerBackend(0)",
                          server_opts=[{"tls": "openssl", "subjectName": "dns.test",
                                        "caStore": str(pki.ca[0]), "healthCheckMode": "up"}])
    time.sleep(1.5)
    assert a_addresses(ask(front, "fresh.test.")) == [be.host]
    back.wait_deltas(base, {"tls-new-sessions": 2, "tls-resumptions": 0})
    assert front.run_lua("return getOutgoingTLSSessionCacheSize()") == "0"


def test_tcp_only_answer_too_large_for_the_udp_client_is_truncated(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], server_opts=[{"tcpOnly": True, "healthCheckMode": "up"}])
    host, port = b.listen[0]
    # 100 A records: about 1.6 kB, more than a client without EDNS (512) can take.
    r = dns.query.udp(make_query("big-100.trunc.test.", qid=5), host, port=port, timeout=3)
    assert r.flags & dns.flags.TC and not r.answer and r.id == 5
    q = make_query("big-100.fits.test.", qid=6, payload=4096)
    r = dns.query.udp(q, host, port=port, timeout=3)
    assert not r.flags & dns.flags.TC and len(a_addresses(r)) == 100
    r = dns.query.tcp(make_query("big-100.tcp.test.", qid=7), host, port=port, timeout=3)
    assert not r.flags & dns.flags.TC and len(a_addresses(r)) == 100
    assert be.count == 0


def test_tcp_only_queries_in_flight_are_outstanding(start_ballast, tcp_backend, client):
    be = tcp_backend()
    b = start_ballast([be], lua="setUDPTimeout(5)",
                      server_opts=[{"tcpOnly": True, "healthCheckMode": "up"}])
    host, port = b.listen[0]
    c = client("127.0.0.1")
    c.send(make_query("delay-2500.slow.test.", qid=8), (host, port))
    assert b.run_lua("return getServer(0):getOutstanding()") == "1", "policies see it"
    assert c.recv(4.0) is not None
    assert wait_until(lambda: b.run_lua("return getServer(0):getOutstanding()") == "0", 4)


@pytest.mark.parametrize("kind", ["dot", "doh"])
def test_many_queries_at_once_over_tls(start_ballast, tls_world, client, kind):
    pki, ub = tls_world
    # Unbound answers out of order: maxInFlight lets DoT pipeline (HTTP/2 streams always do).
    extra = {"dohPath": "/dns-query"} if kind == "doh" else {"maxInFlight": 100}
    b = start_ballast([ub.doh() if kind == "doh" else ub.dot()],
                      server_opts=[tls_server(ub, pki, **extra)])
    host, port = b.listen[0]
    c = client("127.0.0.1")
    n = 150  # more than one connection's 100 queries in flight
    for i in range(n):
        c.send(make_query(f"many{i}.test.", qid=i), (host, port))
    got = c.recv_all(n, 10.0)
    answers = [dns.message.from_wire(w[0] if isinstance(w, tuple) else w) for w in got]
    assert sorted(r.id for r in answers) == list(range(n))
    assert all(a_addresses(r) == [ANSWER] for r in answers)
    row = tcp_stats_row(b)
    assert row["Transport"] == kind and row["Connections"] >= 1 and row["TLSFailed"] == 0
