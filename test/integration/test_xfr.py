# SPDX-License-Identifier: GPL-2.0-only
"""Zone transfers (AXFR, IXFR) through ballast over TCP and DoT: every message of the
transfer relayed in order from a fake authoritative server, the client connection usable
afterwards, the backend connection closed after it, nothing cached, a client that leaves
mid-transfer and a server that breaks off mid-transfer."""

import socket
import struct
import threading
import time

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

import harness
from fakedns import a_addresses, make_query
from tcpdns import StreamClient
from test_dot import client_context, make_cert, start_dot

ZONE = dns.name.from_text("xfr.test.")
SERIAL = 2026
OLD_SERIAL = 2025
RECORDS = 3000          # the zone's A records besides its SOA
PER_MESSAGE = 400       # records per message: about 8 kB each
IXFR_CHANGED = 1200     # records deleted and added between OLD_SERIAL and SERIAL


def soa(serial):
    return dns.rrset.from_text(ZONE, 3600, "IN", "SOA",
                               f"ns.xfr.test. admin.xfr.test. {serial} 3600 600 86400 60")


def a_records(count, start=0, net=10):
    return [dns.rrset.from_text(f"h{i}.xfr.test.", 300, "IN", "A",
                                f"{net}.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
            for i in range(start, start + count)]


def axfr_stream(records=RECORDS):
    ns = dns.rrset.from_text(ZONE, 3600, "IN", "NS", "ns.xfr.test.")
    return [soa(SERIAL), ns] + a_records(records) + [soa(SERIAL)]


def ixfr_stream():
    """RFC 1995: new SOA, old SOA, deletions, new SOA, additions, new SOA."""
    return ([soa(SERIAL), soa(OLD_SERIAL)] + a_records(IXFR_CHANGED)
            + [soa(SERIAL)] + a_records(IXFR_CHANGED, net=11) + [soa(SERIAL)])


def split(records):
    return [records[i:i + PER_MESSAGE] for i in range(0, len(records), PER_MESSAGE)]


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


class XfrServer:
    """A fake authoritative server over TCP on a FakeBackend's address and port: AXFR and
    IXFR of xfr.test. in several messages (the question only in the first), A queries
    answered 192.0.2.1. `gap` waits between messages; `cut_after` closes the connection
    after that many messages of a transfer."""

    def __init__(self, backend, gap=0.0, cut_after=None, raw_records=0):
        self.axfr_chunks = split(axfr_stream())
        # A large AXFR made of raw wire messages (dnspython takes seconds for 60000 records).
        self.raw_bodies = raw_a_bodies(raw_records) if raw_records else None
        self.gap = gap
        self.cut_after = cut_after
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((backend.host, backend.port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.lock = threading.Lock()
        self.transfers = []      # (qtype, messages sent, finished, peer closed at the end)
        self.queries = []        # qtype of every query
        self.connections = 0
        self.closed_by_peer = 0  # connections ballast closed
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def released(self):
        """Connections ballast closed: seen at a read, or at a send mid-transfer."""
        with self.lock:
            return self.closed_by_peer + sum(1 for t in self.transfers if t[3])

    def stop(self):
        self.stop_event.set()
        for t in list(self.threads):
            t.join(timeout=2)
        self.sock.close()

    def _accept(self):
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _read(self, conn, n):
        data = b""
        while len(data) < n and not self.stop_event.is_set():
            try:
                chunk = conn.recv(n - len(data))
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data if len(data) == n else None

    def _serve(self, conn):
        conn.settimeout(0.1)
        try:
            while True:
                head = self._read(conn, 2)
                if head is None:
                    with self.lock:
                        self.closed_by_peer += 1
                    return
                wire = self._read(conn, struct.unpack("!H", head)[0])
                if wire is None:
                    return
                q = dns.message.from_wire(wire)
                qtype = q.question[0].rdtype
                with self.lock:
                    self.queries.append(qtype)
                if qtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
                    if not self._transfer(conn, q, qtype):
                        return
                else:
                    r = dns.message.make_response(q)
                    r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A",
                                                        "192.0.2.1"))
                    conn.sendall(frame(r.to_wire()))
        finally:
            conn.close()

    def _transfer(self, conn, q, qtype):
        if qtype == dns.rdatatype.AXFR and self.raw_bodies:
            return self._raw_transfer(conn, q)
        if qtype == dns.rdatatype.AXFR:
            chunks = self.axfr_chunks
        else:
            client_serial = q.authority[0][0].serial
            chunks = split([soa(SERIAL)] if client_serial >= SERIAL else ixfr_stream())
        entry = [qtype, 0, False, False]
        with self.lock:
            self.transfers.append(entry)
        for i, chunk in enumerate(chunks):
            if self.cut_after is not None and i == self.cut_after:
                return False  # closes the connection mid-transfer
            if i and self.gap:
                time.sleep(self.gap)
            r = dns.message.make_response(q)
            if i:
                r.question = []  # RFC 5936: only the first message needs the question
            r.answer = chunk
            wire = r.to_wire(max_size=65535)
            assert len(wire) < 16384
            try:
                conn.sendall(frame(wire))
            except OSError:
                with self.lock:
                    entry[3] = True
                return False
            with self.lock:
                entry[1] += 1
        with self.lock:
            entry[2] = True
        return True


    def _raw_transfer(self, conn, q):
        opening = dns.message.make_response(q)
        opening.answer = [soa(SERIAL)]
        closing = dns.message.make_response(q)
        closing.question = []
        closing.answer = [soa(SERIAL)]
        msgs = [opening.to_wire()]
        msgs += [struct.pack("!HHHHHH", q.id, 0x8400, 0, n, 0, 0) + body
                 for n, body in self.raw_bodies]
        msgs.append(closing.to_wire())
        entry = [dns.rdatatype.AXFR, 0, False, False]
        with self.lock:
            self.transfers.append(entry)
        try:
            conn.sendall(b"".join(frame(m) for m in msgs))
        except OSError:
            with self.lock:
                entry[3] = True
            return False
        with self.lock:
            entry[1:3] = [len(msgs), True]
        return True


def raw_a_bodies(count):
    """(record count, answer section bytes) of messages of PER_MESSAGE A records h<i>.xfr.test.
    10.x.y.z, names written whole."""
    bodies = []
    for start in range(0, count, PER_MESSAGE):
        n = min(PER_MESSAGE, count - start)
        parts = []
        for i in range(start, start + n):
            label = f"h{i}".encode()
            parts.append(bytes([len(label)]) + label + b"\x03xfr\x04test\x00"
                         + struct.pack("!HHIH", 1, 1, 300, 4)
                         + bytes([10, i >> 16 & 255, i >> 8 & 255, i & 255]))
        bodies.append((n, b"".join(parts)))
    return bodies


def start_xfr(start_ballast, backends, lua="", **server_kw):
    be = backends()
    server = XfrServer(be, **server_kw)
    b = start_ballast([be], lua=lua)
    return b, be, server


def recv_message(c, timeout=3.0):
    """The next message on a StreamClient, one record per RRset (an IXFR repeats its SOA
    in one message, which dnspython would otherwise merge)."""
    deadline = time.monotonic() + timeout
    while True:
        if len(c.buf) >= 2:
            n = struct.unpack("!H", c.buf[:2])[0]
            if len(c.buf) >= 2 + n:
                wire, c.buf = c.buf[2:2 + n], c.buf[2 + n:]
                return dns.message.from_wire(wire, one_rr_per_rrset=True)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no message in time")
        c.sock.settimeout(left)
        data = c.sock.recv(65535)
        if not data:
            raise ConnectionError("closed by ballast")
        c.buf += data


def read_transfer(c, qid, count, timeout=5.0):
    msgs = []
    for _ in range(count):
        try:
            msgs.append(recv_message(c, timeout))
        except (ConnectionError, TimeoutError) as e:
            raise AssertionError(f"after {len(msgs)} of {count} messages: {e}") from None
    assert all(m.id == qid for m in msgs)
    return msgs


def records_of(msgs):
    return [rr for m in msgs for rr in m.answer]


def test_axfr_every_message_relayed_then_connection_reused(start_ballast, backends):
    b, be, server = start_xfr(start_ballast, backends, lua=(
        'pc = newPacketCache(1000)\ngetPool(""):setCache(pc)\n'))
    try:
        base = b.fresh_counters()
        host, port = b.listen[0]
        c = StreamClient(host, port)
        expected = split(axfr_stream())
        q = dns.message.make_query(ZONE, "AXFR")
        q.id = 4242
        c.send(q)
        msgs = read_transfer(c, 4242, len(expected))
        assert len(expected) > 5
        assert [list(m.answer) for m in msgs] == expected
        assert msgs[0].question[0].name == ZONE
        # The same client connection carries on after the transfer.
        r = c.ask(make_query("after.xfr.test.", qid=77))
        assert r.id == 77 and a_addresses(r) == ["192.0.2.1"]
        # Nothing more of the transfer came.
        c.sock.settimeout(0.3)
        try:
            extra = c.sock.recv(100)
        except socket.timeout:
            extra = b""
        assert extra == b"" and c.buf == b""
        # Not cached: a second transfer goes to the server again.
        q.id = 4243
        c.send(q)
        assert [list(m.answer) for m in read_transfer(c, 4243, len(expected))] == expected
        c.close()
        with server.lock:
            transfers = [t[:3] for t in server.transfers]
        assert transfers == [[dns.rdatatype.AXFR, len(expected), True]] * 2
        # Each transfer had a connection of its own, closed once done; the A query
        # went on a pooled connection.
        assert harness_wait(lambda: server.closed_by_peer >= 2)
        assert server.connections == 3
        b.wait_deltas(base, {"responses": 3, "cache-hits": 0, "tcp-queries": 3},
                      exact=False)
        snap = b.fresh_counters()
        assert snap["cache-hits"] == base["cache-hits"]
    finally:
        server.stop()


def harness_wait(pred, timeout=4.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def test_axfr_with_dnspython_xfr_builds_the_whole_zone(start_ballast, backends):
    b, be, server = start_xfr(start_ballast, backends)
    try:
        host, port = b.listen[0]
        zone = dns.zone.from_xfr(dns.query.xfr(host, ZONE, port=port, timeout=5,
                                               lifetime=10))
        assert zone.get_rdataset("@", "SOA")[0].serial == SERIAL
        names = [n for n in zone.nodes if n != dns.name.empty]
        assert len(names) == RECORDS
        assert zone.get_rdataset("h2999", "A")[0].address == "10.0.11.183"
    finally:
        server.stop()


def test_ixfr_incremental_over_several_messages(start_ballast, backends):
    b, be, server = start_xfr(start_ballast, backends)
    try:
        host, port = b.listen[0]
        c = StreamClient(host, port)
        q = dns.message.make_query(ZONE, "IXFR")
        q.authority.append(soa(OLD_SERIAL))
        q.id = 99
        c.send(q)
        expected = split(ixfr_stream())
        assert len(expected) > 5
        msgs = read_transfer(c, 99, len(expected))
        assert [list(m.answer) for m in msgs] == expected
        # Up to date: one message with the lone SOA, and the connection carries on.
        q2 = dns.message.make_query(ZONE, "IXFR")
        q2.authority.append(soa(SERIAL))
        q2.id = 100
        c.send(q2)
        r = recv_message(c)
        assert r.id == 100 and list(r.answer) == [soa(SERIAL)]
        r = c.ask(make_query("after-ixfr.xfr.test.", qid=101))
        assert r.id == 101 and a_addresses(r) == ["192.0.2.1"]
        c.close()
        with server.lock:
            transfers = [t[:3] for t in server.transfers]
        assert transfers == [[dns.rdatatype.IXFR, len(expected), True],
                             [dns.rdatatype.IXFR, 1, True]]
    finally:
        server.stop()


def test_client_leaving_mid_transfer_frees_the_backend_connection(start_ballast, backends):
    b, be, server = start_xfr(start_ballast, backends, gap=0.2)
    try:
        base = b.fresh_counters()
        host, port = b.listen[0]
        c = StreamClient(host, port)
        q = dns.message.make_query(ZONE, "AXFR")
        c.send(q)
        first = recv_message(c)
        assert list(first.answer) == split(axfr_stream())[0]
        c.close()
        # ballast notices at its next writes and lets the server's connection go well
        # before the transfer would have ended (8 messages, 0.2 s apart).
        assert harness_wait(lambda: server.released() >= 1, timeout=3.0)
        with server.lock:
            assert not server.transfers[0][2]
        # ballast answers on.
        c2 = StreamClient(host, port)
        r = c2.ask(make_query("still.xfr.test.", qid=8))
        assert r.id == 8 and a_addresses(r) == ["192.0.2.1"]
        c2.close()
        b.wait_counters(lambda s: s.get("tcp-queries", 0) - base.get("tcp-queries", 0) == 2,
                        what="two TCP queries counted")
        # The transfer no longer counts as outstanding at the server.
        assert harness_wait(lambda: b.run_lua("return getServer(0):getOutstanding()") == "0")
    finally:
        server.stop()


def test_backend_closing_mid_transfer_closes_the_client_connection(start_ballast, backends):
    b, be, server = start_xfr(start_ballast, backends, cut_after=2)
    try:
        host, port = b.listen[0]
        c = StreamClient(host, port)
        c.send(dns.message.make_query(ZONE, "AXFR"))
        msgs = [recv_message(c) for _ in range(2)]
        assert [list(m.answer) for m in msgs] == split(axfr_stream())[:2]
        assert c.closed_by_peer(3.0)
        assert c.buf == b""
        # Not retried: the server saw one transfer.
        time.sleep(0.3)
        with server.lock:
            assert len(server.transfers) == 1
        c2 = StreamClient(host, port)
        r = c2.ask(make_query("again.xfr.test.", qid=9))
        assert r.id == 9 and a_addresses(r) == ["192.0.2.1"]
        c2.close()
        assert b.run_lua("return getServer(0):getOutstanding()") == "0"
    finally:
        server.stop()


def test_axfr_over_dot(start_ballast, backends, tmp_path):
    be = backends()
    server = XfrServer(be)
    try:
        cert, key = make_cert(tmp_path, "dot.test")
        b, (host, port) = start_dot(start_ballast, [be], cert, key)
        c = StreamClient(host, port, tls_context=client_context(cert), server_hostname="dot.test")
        q = dns.message.make_query(ZONE, "AXFR")
        q.id = 555
        c.send(q)
        expected = split(axfr_stream())
        msgs = read_transfer(c, 555, len(expected))
        assert [list(m.answer) for m in msgs] == expected
        r = c.ask(make_query("dot-after.xfr.test.", qid=556))
        assert r.id == 556 and a_addresses(r) == ["192.0.2.1"]
        c.close()
    finally:
        server.stop()


def test_transfer_queries_over_udp_are_forwarded_and_never_cached(start_ballast, backends,
                                                                   client):
    # As dnsdist, an AXFR or IXFR over UDP is an ordinary UDP query; ballast keeps its
    # answers out of the cache (an IXFR answer depends on the serial the client sent).
    be = backends()
    b = start_ballast([be], lua='pc = newPacketCache(1000)\ngetPool(""):setCache(pc)\n')
    c = client()
    for qid, rdtype in ((1, "AXFR"), (2, "AXFR"), (3, "IXFR"), (4, "IXFR")):
        q = make_query("zone.test.", rdtype, qid=qid)
        if rdtype == "IXFR":
            q.authority.append(dns.rrset.from_text("zone.test.", 60, "IN", "SOA",
                                                   "ns.test. a.test. 1 1 1 1 1"))
        r = c.ask(q, b.listen[0])
        assert r is not None and r.id == qid
    assert be.count == 4
    # An ordinary query is cached as before.
    for qid in (5, 6):
        assert c.ask(make_query("cached.test.", qid=qid), b.listen[0]).id == qid
    assert be.count == 5


def test_axfr_over_doh_gets_the_first_message(start_ballast, backends, tmp_path):
    # One DoH reply per query: a DoH client's transfer gets the server's first message,
    # on a backend connection of its own, closed after it.
    from test_doh import Curl, start_doh
    from test_doh import make_cert as doh_cert
    be = backends()
    server = XfrServer(be)
    try:
        cert, key = doh_cert(tmp_path)
        b, (host, port) = start_doh(start_ballast, [be], cert, key)
        curl = Curl(host, port, cert, tmp_path)
        q = dns.message.make_query(ZONE, "AXFR")
        status, _, body = curl("/dns-query", "POST", q.to_wire())
        assert status == 200
        r = dns.message.from_wire(body, one_rr_per_rrset=True)
        assert list(r.answer) == split(axfr_stream())[0]
        assert harness_wait(lambda: server.released() >= 1)
        status, _, body = curl("/dns-query", "POST", make_query("doh.xfr.test.").to_wire())
        assert status == 200 and a_addresses(dns.message.from_wire(body)) == ["192.0.2.1"]
    finally:
        server.stop()


def test_large_axfr_through_a_dot_backend_comes_whole(start_ballast, backends, tmp_path):
    # Two ballasts: the front one's server is the back one's DoT bind, whose server is the
    # fake authority. About 1.9 MB: more than the front reads from its server in one round,
    # over TLS, where decrypted bytes left behind get no readiness event.
    from test_encrypted_backends import Pki
    big = 60000
    be = backends()
    server = XfrServer(be, raw_records=big)
    try:
        host = harness.ADDRESSES.next()
        pki = Pki(tmp_path, host)
        port = harness.free_port(host)
        start_ballast([be], lua=f'addTLSLocal("{host}:{port}", "{pki.cert}", "{pki.key}")\n')
        front = start_ballast([f"{host}:{port}"], server_opts=[{
            "tls": "openssl", "subjectName": "dns.test", "caStore": str(pki.ca[0]),
            "healthCheckMode": "up"}])
        c = StreamClient(*front.listen[0])
        q = dns.message.make_query(ZONE, "AXFR")
        q.id = 777
        c.send(q)
        count = len(server.raw_bodies) + 2
        deadline = time.monotonic() + 10
        wires = []
        while len(wires) < count:
            while len(c.buf) < 2 or len(c.buf) < 2 + struct.unpack("!H", c.buf[:2])[0]:
                c.sock.settimeout(max(0.01, deadline - time.monotonic()))
                data = c.sock.recv(1 << 20)
                assert data, f"closed after {len(wires)} of {count} messages"
                c.buf += data
            n = struct.unpack("!H", c.buf[:2])[0]
            wires.append(c.buf[2:2 + n])
            c.buf = c.buf[2 + n:]
        assert all(struct.unpack("!H", w[:2])[0] == 777 for w in wires)
        assert sum(struct.unpack("!H", w[6:8])[0] for w in wires) == big + 2
        bodies = [body for _, body in server.raw_bodies]
        assert [w[12:] for w in wires[1:-1]] == bodies, "relayed byte for byte"
        last = dns.message.from_wire(wires[-1])
        assert list(last.answer) == [soa(SERIAL)]
        r = c.ask(make_query("big-after.xfr.test.", qid=778))
        assert r.id == 778 and a_addresses(r) == ["192.0.2.1"]
        c.close()
    finally:
        server.stop()
