# SPDX-License-Identifier: GPL-2.0-only
"""PROXY protocol v2: headers from clients in setProxyProtocolACL (UDP, TCP), the header
sent to newServer{useProxyProtocol=true} backends (UDP, TCP, health checks), the rules and
dq methods on its values, and malformed headers dropped and counted."""

import base64
import ipaddress
import socket
import ssl
import struct
import subprocess

import dns.message
import h2.config
import h2.connection
import h2.events
import pytest

import harness
from fakedns import PROXY_SIGNATURE, Client, a_addresses, make_query, split_proxy, wait_until
from tcpdns import StreamClient, frame


def proxy_header(src, dst, stream=False, tlvs=(), command=1):
    """A PROXY v2 header for (host, port) pairs of one family, with (type, bytes) TLVs."""
    if command == 0:
        return PROXY_SIGNATURE + bytes([0x20, 0x00, 0, 0])
    s, d = ipaddress.ip_address(src[0]), ipaddress.ip_address(dst[0])
    family = 0x10 if s.version == 4 else 0x20
    body = s.packed + d.packed + struct.pack("!HH", src[1], dst[1])
    for t, v in tlvs:
        body += bytes([t]) + struct.pack("!H", len(v)) + v
    return (PROXY_SIGNATURE + bytes([0x21, family | (1 if stream else 2)])
            + struct.pack("!H", len(body)) + body)


def raw_udp(source, dest, payload, timeout=2.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(payload, dest)
        try:
            wire, _ = s.recvfrom(65535)
        except socket.timeout:
            return None
        return dns.message.from_wire(wire)


# ---- from clients ---------------------------------------------------------------------

def test_udp_proxied_address_is_what_rules_acl_and_rings_see(start_ballast, backends, new_addr):
    be = backends()
    proxy = new_addr()
    b = start_ballast([be], lua=f'''
setProxyProtocolACL({{"{proxy}/32"}})
addAction(NetmaskGroupRule({{"192.0.2.0/24"}}), SpoofAction("198.51.100.9"))
''')
    base = b.fresh_counters()
    listen = b.listen[0]
    q = make_query("proxied.test.", qid=7)
    # The header's source is inside the rule's netmask: the spoofed answer comes back to
    # the proxy's own socket.
    r = raw_udp(proxy, listen, proxy_header(("192.0.2.55", 4321), listen) + q.to_wire())
    assert r is not None and r.id == 7
    assert a_addresses(r) == ["198.51.100.9"]
    # Another proxied source: not matched, forwarded.
    r = raw_udp(proxy, listen, proxy_header(("203.0.113.5", 4321), listen)
                + make_query("forwarded.test.", qid=8).to_wire())
    assert r is not None and a_addresses(r) == [be.answer]
    assert be.count == 1
    b.run_lua('print("RING-BEGIN")\ntopClients(10)\nprint("RING-END")\n')
    assert wait_until(lambda: "RING-END" in b.stdout(), timeout=3)
    out = b.stdout().split("RING-BEGIN")[-1].split("RING-END")[0]
    assert "203.0.113.5" in out and "192.0.2.55" in out, out
    assert proxy not in out, out
    b.wait_deltas(base, {"proxy-protocol-invalid": 0}, exact=True)


def test_udp_malformed_or_missing_header_dropped_and_counted(start_ballast, backends,
                                                            new_addr):
    be = backends()
    proxy = new_addr()
    b = start_ballast([be], lua=f'setProxyProtocolACL({{"{proxy}/32"}})\n')
    base = b.fresh_counters()
    listen = b.listen[0]
    q = make_query("bad.test.", qid=9).to_wire()
    good = proxy_header(("192.0.2.1", 1000), listen)
    bad_tlv = proxy_header(("192.0.2.1", 1000), listen, tlvs=[(0x42, b"abc")])
    bad_tlv = bad_tlv[:-4] + b"\x00\x09" + bad_tlv[-2:]  # the TLV claims 9 bytes, has 3
    version1 = good[:12] + b"\x11" + good[13:]
    too_large = proxy_header(("192.0.2.1", 1000), listen, tlvs=[(0xE0, b"x" * 600)])
    for payload in (q, bad_tlv + q, version1 + q, good[:20], too_large + q):
        assert raw_udp(proxy, listen, payload, timeout=0.3) is None
    b.wait_deltas(base, {"proxy-protocol-invalid": 5, "queries": 0})
    assert be.count == 0
    # A client outside the ACL is served as before, and its header-less query is fine.
    with Client(new_addr()) as c:
        r = c.ask(make_query("plain.test.", qid=10), listen)
        assert r is not None and a_addresses(r) == [be.answer]
    # dumpStats lists it with the others.
    b.run_lua('print("STATS-BEGIN")\ndumpStats()\nprint("STATS-END")\n')
    assert wait_until(lambda: "STATS-END" in b.stdout(), timeout=3)
    out = b.stdout().split("STATS-BEGIN")[-1].split("STATS-END")[0]
    assert "proxy-protocol-invalid" in out, out


def test_udp_local_header_keeps_the_real_address(start_ballast, backends, new_addr):
    """A LOCAL header (the proxy speaking for itself) is accepted; the address stays the
    proxy's own."""
    be = backends()
    proxy = new_addr()
    b = start_ballast([be], lua=f'''
setProxyProtocolACL({{"{proxy}/32"}})
addAction(NetmaskGroupRule({{"{proxy}/32"}}), SpoofAction("198.51.100.30"))
''')
    listen = b.listen[0]
    r = raw_udp(proxy, listen, proxy_header(None, None, command=0)
                + make_query("local.test.", qid=4).to_wire())
    assert r is not None and a_addresses(r) == ["198.51.100.30"]


def test_udp_maximum_payload_size(start_ballast, backends, new_addr):
    be = backends()
    proxy = new_addr()
    b = start_ballast([be], lua=f'setProxyProtocolACL({{"{proxy}/32"}})\n'
                                 'setProxyProtocolMaximumPayloadSize(1000)\n')
    listen = b.listen[0]
    big = proxy_header(("192.0.2.1", 1000), listen, tlvs=[(0xE0, b"x" * 600)])
    r = raw_udp(proxy, listen, big + make_query("large-header.test.", qid=3).to_wire())
    assert r is not None and a_addresses(r) == [be.answer]


def test_proxy_protocol_apply_acl(start_ballast, backends, new_addr):
    be = backends()
    proxy = new_addr()
    b = start_ballast([be], lua=f'''
setACL({{"{proxy}/32", "127.0.0.1/32", "192.0.2.0/24"}})
setProxyProtocolACL({{"{proxy}/32"}})
setProxyProtocolApplyACL(true)
''')
    base = b.fresh_counters()
    listen = b.listen[0]
    inside = proxy_header(("192.0.2.1", 1), listen)
    outside = proxy_header(("203.0.113.1", 1), listen)
    r = raw_udp(proxy, listen, inside + make_query("in.test.", qid=1).to_wire())
    assert r is not None
    assert raw_udp(proxy, listen, outside + make_query("out.test.", qid=2).to_wire(),
                   timeout=0.3) is None
    b.wait_deltas(base, {"acl-drops": 1}, exact=False)
    # Without it, the ACL is the proxy's alone: the same header passes.
    b.run_lua("setProxyProtocolApplyACLToProxiedClients(false)")  # the other spelling
    r = raw_udp(proxy, listen, outside + make_query("out2.test.", qid=3).to_wire())
    assert r is not None


def test_tcp_header_at_connection_start(start_ballast, tcp_backend, new_addr):
    be = tcp_backend()
    proxy = new_addr()
    b = start_ballast([be], lua=f'''
setProxyProtocolACL({{"{proxy}/32"}})
addAction(AndRule({{TCPRule(true), NetmaskGroupRule({{"192.0.2.0/24"}})}}),
          SpoofAction("198.51.100.10"))
''')
    base = b.fresh_counters()
    host, port = b.listen[0]
    c = StreamClient(host, port, source=proxy)
    # Header and the first query in one write, then a second query on the same connection.
    c.sock.sendall(proxy_header(("192.0.2.77", 5555), (host, port), stream=True)
                   + frame(make_query("t1.test.", qid=21)))
    r = c.recv_one()
    assert r.id == 21 and a_addresses(r) == ["198.51.100.10"]
    c.send(make_query("t2.test.", qid=22))
    r = c.recv_one()
    assert r.id == 22 and a_addresses(r) == ["198.51.100.10"]
    c.sock.close()
    # A header sent in pieces is waited for.
    c = StreamClient(host, port, source=proxy)
    h = proxy_header(("203.0.113.3", 1), (host, port), stream=True)
    c.sock.sendall(h[:7])
    c.sock.sendall(h[7:20])
    c.sock.sendall(h[20:] + frame(make_query("t3.test.", qid=23)))
    r = c.recv_one()
    assert r.id == 23 and a_addresses(r) == [be.answer]
    c.sock.close()
    # No header: the connection is closed, counted.
    c = StreamClient(host, port, source=proxy)
    c.send(make_query("t4.test.", qid=24))
    c.sock.settimeout(2)
    try:
        assert c.sock.recv(100) == b""
    except ConnectionResetError:
        pass  # closed with the query unread: a reset
    c.sock.close()
    b.wait_deltas(base, {"proxy-protocol-invalid": 1})


# ---- to backends ----------------------------------------------------------------------

def test_udp_header_to_backend_exact_bytes(start_ballast, backends, new_addr):
    be = backends(proxy=True)
    b = start_ballast([be], server_opts=[{"useProxyProtocol": True}], lua='''
addAction(QNameRule("tlv.test."), SetProxyProtocolValuesAction({[0xE0]="abc", [2]="x"}))
addAction(QNameRule("tlv.test."), SetAdditionalProxyProtocolValueAction(2, "y"))
''')
    listen = b.listen[0]
    src = new_addr()
    with Client(src) as c:
        r = c.ask(make_query("plain.test.", qid=1), listen)
        assert r is not None and a_addresses(r) == [be.answer]
        r = c.ask(make_query("tlv.test.", qid=2), listen)
        assert r is not None and a_addresses(r) == [be.answer]
        port = c.sock.getsockname()[1]
    assert be.proxy_missing == 0
    got = be.queries
    assert got[0].proxy == proxy_header((src, port), listen)
    assert got[1].proxy == proxy_header((src, port), listen,
                                        tlvs=[(2, b"x"), (0xE0, b"abc"), (2, b"y")])
    # Health checks carry a LOCAL header, as dnsdist sends them.
    local = proxy_header(None, None, command=0)
    assert wait_until(lambda: local in be.other_proxy, timeout=5), be.other_proxy


def test_proxied_client_passed_on_with_its_values(start_ballast, backends, new_addr):
    """A client's header (address and TLVs) is what the backend's header says."""
    be = backends(proxy=True)
    proxy = new_addr()
    b = start_ballast([be], server_opts=[{"useProxyProtocol": True}],
                      lua=f'setProxyProtocolACL({{"{proxy}/32"}})\n')
    listen = b.listen[0]
    incoming = proxy_header(("192.0.2.200", 999), ("10.1.1.1", 53), tlvs=[(0x42, b"hello")])
    r = raw_udp(proxy, listen, incoming + make_query("chain.test.", qid=5).to_wire())
    assert r is not None and a_addresses(r) == [be.answer]
    assert be.queries[0].proxy == proxy_header(("192.0.2.200", 999), ("10.1.1.1", 53),
                                               tlvs=[(0x42, b"hello")])


def test_tcp_header_to_backend_once_per_connection(start_ballast, tcp_backend, new_addr):
    be = tcp_backend(proxy=True)
    b = start_ballast([be], server_opts=[{"useProxyProtocol": True}])
    host, port = b.listen[0]
    src = new_addr()
    c1 = StreamClient(host, port, source=src)
    c1.send(make_query("s1.test.", qid=31))
    assert c1.recv_one().id == 31
    c1.send(make_query("s2.test.", qid=32))
    assert c1.recv_one().id == 32
    c2 = StreamClient(host, port, source=src)
    c2.send(make_query("s3.test.", qid=33))
    assert c2.recv_one().id == 33
    p1, p2 = c1.sock.getsockname()[1], c2.sock.getsockname()[1]
    c1.sock.close()
    c2.sock.close()
    got = be.tcp.queries
    assert len(got) == 3 and be.proxy_missing == 0
    assert got[0].proxy == proxy_header((src, p1), (host, port), stream=True)
    assert got[1].proxy == got[0].proxy
    assert got[2].proxy == proxy_header((src, p2), (host, port), stream=True)
    # Each client connection has a backend connection of its own.
    assert be.tcp.connections == 2


def test_tcp_connection_limit_with_headers(start_ballast, tcp_backend, new_addr):
    """With maxConcurrentTCPConnections=1, a second client's query does not wait behind the
    first client's idle backend connection: that one is closed to make room."""
    be = tcp_backend(proxy=True)
    b = start_ballast([be], server_opts=[{"useProxyProtocol": True,
                                          "maxConcurrentTCPConnections": 1}])
    host, port = b.listen[0]
    src = new_addr()
    clients = [StreamClient(host, port, source=src) for _ in range(2)]
    for i, c in enumerate(clients):
        c.send(make_query(f"lim{i}.test.", qid=50 + i))
        assert c.recv_one(timeout=2).id == 50 + i
    ports = [c.sock.getsockname()[1] for c in clients]
    for c in clients:
        c.sock.close()
    assert be.tcp.connections == 2
    assert [q.proxy for q in be.tcp.queries] == [
        proxy_header((src, p), (host, port), stream=True) for p in ports]


# ---- rules and dq methods -------------------------------------------------------------

def test_value_rule_and_dq_methods(start_ballast, backends, new_addr):
    be = backends(proxy=True)
    proxy = new_addr()
    b = start_ballast([be], server_opts=[{"useProxyProtocol": True}], lua=f'''
setProxyProtocolACL({{"{proxy}/32"}})
addAction(ProxyProtocolValueRule(0x42, "spoof"), SpoofAction("198.51.100.1"))
addAction(AndRule({{QNameRule("any.test."), ProxyProtocolValueRule(0x43)}}),
          SpoofAction("198.51.100.2"))
function rewrite(dq)
  local v = dq:getProxyProtocolValues()
  if v[0x44] == "lua" then
    dq:setProxyProtocolValues({{[0x50] = "replaced"}})
    dq:addProxyProtocolValue(0x51, "added")
  end
  return DNSAction.None, ""
end
addAction(AllRule(), LuaAction(rewrite))
''')
    listen = b.listen[0]

    def ask(name, tlvs, qid):
        h = proxy_header(("192.0.2.9", 9), listen, tlvs=tlvs)
        return raw_udp(proxy, listen, h + make_query(name, qid=qid).to_wire())

    assert a_addresses(ask("x.test.", [(0x42, b"spoof")], 1)) == ["198.51.100.1"]
    assert a_addresses(ask("y.test.", [(0x42, b"other")], 2)) == [be.answer]
    assert a_addresses(ask("any.test.", [(0x43, b"")], 3)) == ["198.51.100.2"]
    assert a_addresses(ask("lua.test.", [(0x44, b"lua")], 4)) == [be.answer]
    got = {q.msg.question[0].name.to_text(): q.proxy for q in be.queries}
    assert got["y.test."] == proxy_header(("192.0.2.9", 9), listen, tlvs=[(0x42, b"other")])
    assert got["lua.test."] == proxy_header(("192.0.2.9", 9), listen,
                                            tlvs=[(0x50, b"replaced"), (0x51, b"added")])


def test_bad_configuration_is_refused(start_ballast, tmp_path):
    for line, msg in (('setProxyProtocolACL({"not-a-netmask"})', "not-a-netmask"),
                      ('SetProxyProtocolValuesAction({[300]="x"})', "0 to 255"),
                      ('ProxyProtocolValueRule(256)', "0 to 255")):
        conf = tmp_path / "bad.conf"
        conf.write_text(line + "\n")
        r = harness.run_binary(["--check-config", "-C", str(conf)])
        assert r.returncode != 0
        assert "bad.conf:1" in r.stdout + r.stderr and msg in r.stdout + r.stderr, \
            r.stdout + r.stderr


# ---- DoT and DoH: the header comes before TLS -----------------------------------------

def tls_client(proxy, dest, header, alpn):
    """A TLS socket from `proxy` to `dest` whose plain first bytes are `header`."""
    raw = socket.create_connection(dest, timeout=3, source_address=(proxy, 0))
    raw.sendall(header)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols([alpn])
    return ctx.wrap_socket(raw, server_hostname="proxy.test")


def make_cert(directory):
    cert, key = directory / "proxy.crt", directory / "proxy.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=proxy.test"],
                   check=True, capture_output=True)
    return cert, key


SPOOF_PROXIED = 'addAction(NetmaskGroupRule({"192.0.2.0/24"}), SpoofAction("198.51.100.20"))\n'


def test_dot_header_before_tls(start_ballast, tcp_backend, new_addr, tmp_path):
    be = tcp_backend()
    proxy = new_addr()
    cert, key = make_cert(tmp_path)
    host = new_addr()
    port = harness.free_port(host)
    b = start_ballast([be], lua=f'addTLSLocal("{host}:{port}", "{cert}", "{key}")\n'
                                f'setProxyProtocolACL({{"{proxy}/32"}})\n' + SPOOF_PROXIED)
    base = b.fresh_counters()
    s = tls_client(proxy, (host, port), proxy_header(("192.0.2.8", 8), (host, port), True), "dot")
    s.sendall(frame(make_query("dot.test.", qid=41)))
    (n,) = struct.unpack("!H", s.recv(2))
    r = dns.message.from_wire(s.recv(n))
    assert r.id == 41 and a_addresses(r) == ["198.51.100.20"]
    s.close()
    # TLS straight away, no header: closed and counted.
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        tls_client(proxy, (host, port), b"", "dot").sendall(frame(make_query("x.test.")))
    b.wait_deltas(base, {"proxy-protocol-invalid": 1})


def test_doh_header_before_tls(start_ballast, tcp_backend, new_addr, tmp_path):
    be = tcp_backend()
    proxy = new_addr()
    cert, key = make_cert(tmp_path)
    host = new_addr()
    port = harness.free_port(host)
    b = start_ballast([be], lua=f'addDOHLocal("{host}:{port}", "{cert}", "{key}")\n'
                                f'setProxyProtocolACL({{"{proxy}/32"}})\n' + SPOOF_PROXIED)
    s = tls_client(proxy, (host, port), proxy_header(("192.0.2.9", 9), (host, port), True), "h2")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    wire = make_query("doh.test.", qid=0).to_wire()
    conn.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":authority", "proxy.test"),
                          (":path", "/dns-query?dns=" + base64.urlsafe_b64encode(wire)
                           .rstrip(b"=").decode())], end_stream=True)
    s.sendall(conn.data_to_send())
    body, ended = b"", False
    while not ended:
        data = s.recv(65536)
        assert data, "connection closed before the answer"
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.DataReceived):
                body += ev.data
            elif isinstance(ev, h2.events.StreamEnded):
                ended = True
        s.sendall(conn.data_to_send())
    s.close()
    assert a_addresses(dns.message.from_wire(body)) == ["198.51.100.20"]
