# SPDX-License-Identifier: GPL-2.0-only
"""Queries to a backend over TCP: one at a time per connection by default (dnsdist's
maxInFlight=0), pipelined with newServer's maxInFlight and matched by ID and question
whatever order the backend answers them in."""

import socket
import struct
import threading
import time

import dns.message
import dns.rrset

from fakedns import a_addresses, make_query
from test_tcp import client_for, start_with_local


class BatchTcpBackend:
    """TCP beside a FakeBackend (same address and port, so its UDP health checks pass).

    Each connection's queries are gathered until `batch` are there (or 0.6 s pass with no
    new one), then answered in reverse order of arrival. With `decoy`, each batch first
    gets an answer carrying the ID of one of its queries for another name, which the
    balancer must not take for that query's answer. Records the most queries a connection
    had waiting unanswered at once."""

    def __init__(self, be, batch, decoy=False):
        self.batch = batch
        self.decoy = decoy
        self.lock = threading.Lock()
        self.most_waiting = 0
        self.connections = 0
        self.answered = 0
        self.stop_ev = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((be.host, be.port))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def close(self):
        self.stop_ev.set()
        self.thread.join(timeout=2)
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass

    def _accept(self):
        while not self.stop_ev.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with self.lock:
                self.connections += 1
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _answer(self, q, name=None):
        r = dns.message.make_response(q)
        qname = q.question[0].name if name is None else dns.name.from_text(name)
        if name is not None:
            r.question = [dns.rrset.RRset(qname, q.question[0].rdclass, q.question[0].rdtype)]
        # The answer names its query: n<i> answers 10.0.0.<i>.
        label = qname.labels[0].decode()
        last = int(label[1:]) if label.startswith("n") and label[1:].isdigit() else 99
        r.answer.append(dns.rrset.from_text(qname, 60, "IN", "A", f"10.0.0.{last}"))
        return r.to_wire()

    def _serve(self, conn):
        conn.settimeout(0.05)
        buf = b""
        waiting = []
        last_in = time.monotonic()
        while not self.stop_ev.is_set():
            try:
                data = conn.recv(65535)
                if not data:
                    return
                buf += data
                last_in = time.monotonic()
            except socket.timeout:
                pass
            except OSError:
                return
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                waiting.append(dns.message.from_wire(buf[2:2 + n]))
                buf = buf[2 + n:]
            with self.lock:
                self.most_waiting = max(self.most_waiting, len(waiting))
            if waiting and (len(waiting) >= self.batch or time.monotonic() - last_in > 0.6):
                out = b""
                if self.decoy:
                    wrong = self._answer(waiting[0], "decoy.order.test.")
                    out += struct.pack("!H", len(wrong)) + wrong
                for q in reversed(waiting):
                    w = self._answer(q)
                    out += struct.pack("!H", len(w)) + w
                try:
                    conn.sendall(out)
                except OSError:
                    return
                with self.lock:
                    self.answered += len(waiting)
                waiting = []


def test_pipelined_answers_in_reverse_order_reach_the_right_queries(start_ballast, backends):
    be = backends()
    side = BatchTcpBackend(be, batch=8, decoy=True)
    try:
        b = start_with_local(start_ballast, [], "{maxInFlight=16}",
                             lua=f'newServer{{address="{be.address}", name="ooo", '
                                 f'maxInFlight=16}}\n')
        c = client_for(b)
        qs = [make_query(f"n{i}.order.test.", qid=3000 + i * 7) for i in range(1, 9)]
        c.send(*qs)
        got = {}
        for _ in qs:
            r = c.recv_one(timeout=5.0)
            got[r.id] = r
        for i, q in enumerate(qs, start=1):
            r = got[q.id]
            assert r.question[0].name == q.question[0].name
            assert a_addresses(r) == [f"10.0.0.{i}"], f"query {i} got another query's answer"
        c.close()
        # All eight were on the backend's one connection at once, answered in reverse.
        assert side.most_waiting == 8
        assert side.connections == 1
    finally:
        side.close()


def test_without_max_in_flight_one_query_at_a_time_per_connection(start_ballast, backends):
    be = backends()
    side = BatchTcpBackend(be, batch=1)
    try:
        b = start_with_local(start_ballast, [], "{maxInFlight=16}",
                             lua=f'newServer{{address="{be.address}", name="serial"}}\n')
        c = client_for(b)
        qs = [make_query(f"n{i}.serial.test.", qid=4000 + i) for i in range(1, 7)]
        c.send(*qs)
        got = {}
        for _ in qs:
            r = c.recv_one(timeout=5.0)
            got[r.id] = r
        for i, q in enumerate(qs, start=1):
            assert a_addresses(got[q.id]) == [f"10.0.0.{i}"]
        c.close()
        # dnsdist's default: the server is not trusted to answer out of order, so no
        # connection ever carries two queries at once.
        assert side.most_waiting == 1
        assert side.connections >= 2, "queries at once take connections of their own"
    finally:
        side.close()
