# SPDX-License-Identifier: GPL-2.0-only
"""Fake DNS backends and a small UDP client for the integration suite.

A FakeBackend answers on one UDP socket bound to a loopback address. Only
queries under TEST_ZONE ("test.") are counted and subject to the backend's
mode; anything else (ballast's health checks, the harness's readiness probe)
is always answered normally and never counted, so a "silent" backend still
passes health checks and stays up while it swallows the test's queries.

Per-query behaviour is chosen by the first label of the qname:
  nxdomain*   answer NXDOMAIN
  servfail*   answer SERVFAIL
  refused*    answer REFUSED (also formerr*, notimp*)
  delay-N*    answer after N milliseconds (e.g. delay-60.test.)
  big-N*      answer with N A records (192.0.2.0 upwards), for large responses
Everything else under test. gets NOERROR with one A record (the backend's
``answer`` address, by default its own listening address, so a test can tell
which backend answered).

Modes (for names under test. only): normal; silent (never answers); delayed
(answers after ``delay`` seconds); wrong-question (answers with another
qname); lowercase (answers with the qname lowercased); duplicate (answers
twice); short-response (answers with 5 bytes); wrong-qtype, wrong-qclass
(the question's type or class changed); qr-clear (QR bit cleared);
empty-response (header only, qdcount=0, rcode from the first label); tc (TC bit
set, answer records kept); servfail (SERVFAIL to everything in the zone).
Negative answers (NXDOMAIN, or NOERROR without an A record) whose first label
contains "-soa" carry the zone's SOA (TTL 300, minimum 30), so they can be cached. The wire
of every response sent is kept in ``sent``.

With ``proxy=True`` every datagram (and every TCP connection, tcpdns.TcpSide) must start
with a PROXY protocol v2 header, as newServer{useProxyProtocol=true} sends: it is cut
off and kept, raw, in ``Received.proxy`` (in ``other_proxy`` for out-of-zone queries such
as health checks); a datagram without one is counted in ``proxy_missing`` and ignored.
"""

import heapq
import itertools
import select
import socket
import threading
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TEST_ZONE = dns.name.from_text("test.")
WRONG_QNAME = dns.name.from_text("wrong-question.invalid.")

MODES = ("normal", "silent", "wrong-question", "wrong-qtype", "wrong-qclass", "delayed",
         "lowercase", "duplicate", "short-response", "qr-clear", "empty-response", "tc",
         "servfail")


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def hostport(host, port):
    """dnsdist's address syntax: 127.0.0.1:53, [::1]:53."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


PROXY_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def split_proxy(data):
    """(header, rest) when data starts with a whole PROXY v2 header, else (None, data)."""
    if len(data) < 16 or not data.startswith(PROXY_SIGNATURE):
        return None, data
    size = 16 + int.from_bytes(data[14:16], "big")
    if len(data) < size:
        return None, data
    return data[:size], data[size:]


class Received:
    """One query as the backend saw it."""

    def __init__(self, msg, wire, src, when, proxy=None):
        self.msg = msg
        self.wire = wire
        self.src = src
        self.when = when
        self.proxy = proxy  # the raw PROXY header before it (proxy=True backends)

    @property
    def qname_wire_labels(self):
        """The qname's labels exactly as sent (case preserved)."""
        return tuple(self.msg.question[0].name.labels)


class FakeBackend:
    """A threaded UDP DNS responder on (host, port)."""

    def __init__(self, host, port=0, mode="normal", answer=None, delay=0.0,
                 zone=TEST_ZONE, ttl=60, proxy=False):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.proxy = proxy
        self.proxy_missing = 0
        self.other_proxy = []       # PROXY headers of out-of-zone queries (health checks)
        self.delay = delay
        self.zone = zone
        self.ttl = ttl
        self.sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.host, self.port = self.sock.getsockname()[:2]
        if answer is None:
            answer = self.host if family_of(self.host) == socket.AF_INET else "192.0.2.1"
        self.answer = answer
        self.ecs_scope = None       # set: responses echo the query's ECS with this scope
        self._lock = threading.Lock()
        self._queries = []
        self.other_queries = 0      # out-of-zone queries (health checks, probes)
        self.unparsable = 0         # packets ballast sent that dnspython rejected
        self.sent = []              # wire of each in-zone response sent
        self._stop = threading.Event()
        self._heap = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._threads = [
            threading.Thread(target=self._recv_loop, daemon=True,
                             name=f"fake-{self.address}-recv"),
            threading.Thread(target=self._send_loop, daemon=True,
                             name=f"fake-{self.address}-send"),
        ]
        for t in self._threads:
            t.start()

    # ---- public API -------------------------------------------------------
    @property
    def address(self):
        return hostport(self.host, self.port)

    @property
    def queries(self):
        """In-zone queries received so far (list of Received)."""
        with self._lock:
            return list(self._queries)

    @property
    def count(self):
        with self._lock:
            return len(self._queries)

    def reset(self):
        with self._lock:
            self._queries.clear()
            self.sent.clear()
            self.other_queries = 0
            self.unparsable = 0

    def wait_count(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count >= n:
                return True
            time.sleep(0.01)
        return self.count >= n

    def stop(self):
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        try:  # wake the receive loop now rather than at its next select timeout
            with socket.socket(family_of(self.host), socket.SOCK_DGRAM) as s:
                s.sendto(b"", (self.host, self.port))
        except OSError:
            pass
        for t in self._threads:
            t.join(timeout=2)
        self.sock.close()

    def __repr__(self):
        return f"FakeBackend({self.address}, mode={self.mode})"

    # ---- internals --------------------------------------------------------
    def _recv_loop(self):
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.1)
                if not ready:
                    continue
                wire, src = self.sock.recvfrom(65535)
            except OSError:
                if self._stop.is_set():
                    return
                continue
            if self._stop.is_set():
                return
            header = None
            if self.proxy:
                header, wire = split_proxy(wire)
                if header is None:
                    with self._lock:
                        self.proxy_missing += 1
                    continue
            try:
                msg = dns.message.from_wire(wire)
            except Exception:  # noqa: BLE001 - any parse failure is just counted
                with self._lock:
                    self.unparsable += 1
                continue
            self._handle(msg, wire, src, header)

    def _handle(self, msg, wire, src, header=None):
        if not msg.question:
            return
        qname = msg.question[0].name
        in_zone = qname.is_subdomain(self.zone)
        with self._lock:
            if in_zone:
                self._queries.append(Received(msg, wire, src, time.monotonic(), header))
            else:
                self.other_queries += 1
                if header is not None:
                    self.other_proxy.append(header)
        mode = self.mode if in_zone else "normal"
        if mode == "silent":
            return
        if mode == "short-response":
            wire = msg.id.to_bytes(2, "big") + b"\x81\x80\x00"
        elif mode == "empty-response":
            rcode = self._rcode_for(qname)
            flags = 0x8080 | (msg.flags & 0x0100) | rcode  # QR, RA, the query's RD
            wire = msg.id.to_bytes(2, "big") + flags.to_bytes(2, "big") + bytes(8)
        else:
            wire = self._build_response(msg, mode, in_zone).to_wire()
            if mode == "qr-clear":
                wire = wire[:2] + bytes([wire[2] & 0x7F]) + wire[3:]
            elif mode == "tc":
                wire = wire[:2] + bytes([wire[2] | 0x02]) + wire[3:]
        delay = self._delay_for(qname) if in_zone else 0.0
        copies = 2 if mode == "duplicate" else 1
        if in_zone:
            with self._lock:
                self.sent.extend([wire] * copies)
        for _ in range(copies):
            self._schedule(delay, wire, src)

    def _delay_for(self, qname):
        first = qname.labels[0].decode("ascii", "replace").lower() if qname.labels else ""
        if first.startswith("delay-"):
            digits = "".join(itertools.takewhile(str.isdigit, first[6:]))
            if digits:
                return int(digits) / 1000.0
        return self.delay

    @staticmethod
    def _rcode_for(qname):
        first = qname.labels[0].decode("ascii", "replace").lower() if qname.labels else ""
        for prefix, rcode in (("nxdomain", dns.rcode.NXDOMAIN), ("servfail", dns.rcode.SERVFAIL),
                              ("refused", dns.rcode.REFUSED), ("formerr", dns.rcode.FORMERR),
                              ("notimp", dns.rcode.NOTIMP)):
            if first.startswith(prefix):
                return rcode
        return dns.rcode.NOERROR

    def _build_response(self, query, mode, in_zone):
        response = dns.message.make_response(query, recursion_available=True)
        if self.ecs_scope is not None:
            # Echo the query's ECS option with this scope, as an ECS-aware server does.
            ecs = [o for o in query.options if o.otype == dns.edns.ECS]
            if ecs:
                response.use_edns(0, payload=1232, options=[dns.edns.ECSOption(
                    ecs[0].address, ecs[0].srclen, self.ecs_scope)])
        question = query.question[0]
        qname = question.name
        first = qname.labels[0].decode("ascii", "replace").lower() if qname.labels else ""
        rcode = self._rcode_for(qname) if in_zone else dns.rcode.NOERROR
        if mode == "servfail":
            rcode = dns.rcode.SERVFAIL
        response.set_rcode(rcode)
        rdclass, rdtype = question.rdclass, question.rdtype
        if mode == "wrong-question":
            qname = WRONG_QNAME
        elif mode == "lowercase":
            qname = dns.name.from_text(qname.to_text().lower())
        elif mode == "wrong-qtype":
            rdtype = dns.rdatatype.AAAA if rdtype == dns.rdatatype.A else dns.rdatatype.A
        elif mode == "wrong-qclass":
            rdclass = dns.rdataclass.CH
        if (qname, rdclass, rdtype) != (question.name, question.rdclass, question.rdtype) \
                or qname.labels != question.name.labels:
            response.question = [dns.rrset.RRset(qname, rdclass, rdtype)]
        if (rcode == dns.rcode.NOERROR and question.rdtype == dns.rdatatype.A
                and question.rdclass == dns.rdataclass.IN):
            if in_zone and first.startswith("big-"):
                n = int("".join(itertools.takewhile(str.isdigit, first[4:])) or "1")
                addrs = [f"192.0.{2 + i // 256}.{i % 256}" for i in range(n)]
                rrset = dns.rrset.from_text_list(qname, self.ttl, "IN", "A", addrs)
            else:
                rrset = dns.rrset.from_text(qname, self.ttl, "IN", "A", self.answer)
            response.answer.append(rrset)
        if in_zone and "-soa" in first and rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) \
                and not response.answer:
            response.authority.append(dns.rrset.from_text(
                self.zone, 300, "IN", "SOA", f"ns.{self.zone} admin.{self.zone} 1 3600 600 86400 30"))
        return response

    def _schedule(self, delay, wire, dest):
        if delay <= 0:
            self._send(wire, dest)
            return
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), wire, dest))
            self._cv.notify()

    def _send(self, wire, dest):
        try:
            self.sock.sendto(wire, dest)
        except OSError:
            pass

    def _send_loop(self):
        while not self._stop.is_set():
            with self._cv:
                while not self._stop.is_set():
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        _, _, wire, dest = heapq.heappop(self._heap)
                        break
                    timeout = (self._heap[0][0] - now) if self._heap else 0.2
                    self._cv.wait(timeout)
                else:
                    return
            self._send(wire, dest)


# ---- client side -----------------------------------------------------------

def make_query(name, rdtype="A", qid=None, rd=True, want_dnssec=False, payload=None):
    if payload is not None:
        q = dns.message.make_query(name, rdtype, use_edns=0, payload=payload,
                                   want_dnssec=want_dnssec)
    else:
        q = dns.message.make_query(name, rdtype, want_dnssec=want_dnssec)
    if qid is not None:
        q.id = qid
    if rd:
        q.flags |= dns.flags.RD
    else:
        q.flags &= ~dns.flags.RD
    return q


def to_wire(q):
    return q if isinstance(q, (bytes, bytearray)) else q.to_wire()


class Client:
    """A UDP client socket bound to a chosen loopback address."""

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()[:2]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, query, dest):
        self.sock.sendto(to_wire(query), tuple(dest))

    def recv(self, timeout):
        """One datagram as (wire, source address) or None after timeout."""
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not ready:
            return None
        wire, src = self.sock.recvfrom(65535)
        return wire, src[:2]

    def recv_all(self, count, timeout):
        """Up to count datagrams, waiting at most timeout seconds in total."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count:
            got = self.recv(deadline - time.monotonic())
            if got is None:
                break
            out.append(got)
        return out

    def drain(self):
        while self.recv(0) is not None:
            pass

    def ask_raw(self, query, dest, timeout=2.0):
        """Send, then return (wire, src) of the first datagram back, or None."""
        self.send(query, dest)
        return self.recv(timeout)

    def ask(self, query, dest, timeout=2.0):
        """Send a query; return the parsed answer (with .src set) or None.

        Datagrams whose ID differs from the query's are skipped (a late answer
        to an earlier query), all within the same timeout.
        """
        wire = to_wire(query)
        qid = int.from_bytes(wire[:2], "big")
        self.send(wire, dest)
        deadline = time.monotonic() + timeout
        while True:
            got = self.recv(deadline - time.monotonic())
            if got is None:
                return None
            rwire, src = got
            if int.from_bytes(rwire[:2], "big") != qid:
                continue
            msg = dns.message.from_wire(rwire)
            msg.src = src
            msg.raw = rwire
            return msg


def a_addresses(msg):
    """The A addresses in a response's answer section."""
    out = []
    for rrset in msg.answer:
        if rrset.rdtype == dns.rdatatype.A:
            out.extend(rd.address for rd in rrset)
    return out


def wait_until(predicate, timeout=5.0, interval=0.01):
    """Poll predicate until true or timeout; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
