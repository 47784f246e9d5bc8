# SPDX-License-Identifier: GPL-2.0-only
"""TCP for the integration suite: the TCP side of a FakeBackend, and a framed client.

TcpSide listens on TCP at a FakeBackend's own address and port and answers every
query the way that backend would (the same first-label rules: delay-N, nxdomain,
...), each answer on its own timer, so pipelined queries are answered in the
order their delays say. A FakeBackend in mode "tc" truncates over UDP only: its
TCP side answers in full, as a real server does.
"""

import socket
import ssl
import struct
import threading
import time

import dns.message

from fakedns import Received, family_of, split_proxy


class TcpSide:
    def __init__(self, backend):
        self.be = backend
        self.sock = socket.socket(family_of(backend.host), socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((backend.host, backend.port))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self._lock = threading.Lock()
        self._queries = []
        self.connections = 0
        self._stop = threading.Event()
        self._conns = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def queries(self):
        with self._lock:
            return list(self._queries)

    @property
    def count(self):
        with self._lock:
            return len(self._queries)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
        for c in list(self._conns):
            try:
                c.close()
            except OSError:
                pass

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.connections += 1
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        write_lock = threading.Lock()
        conn.settimeout(0.2)
        buf = b""
        header = None  # the connection's PROXY header (proxy=True backends)
        while not self._stop.is_set():
            try:
                data = conn.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            buf += data
            if self.be.proxy and header is None:
                header, buf = split_proxy(buf)
                if header is None:
                    if len(buf) >= 16 + int.from_bytes(buf[14:16], "big") or \
                            not buf.startswith(b"\r\n\r\n\x00\r\nQUIT\n"[:len(buf)]):
                        self.be.proxy_missing += 1
                        conn.close()
                        return
                    continue
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                wire, buf = buf[2:2 + n], buf[2 + n:]
                self._answer(conn, write_lock, wire, header)

    def _answer(self, conn, write_lock, wire, header=None):
        try:
            msg = dns.message.from_wire(wire)
        except Exception:  # noqa: BLE001
            return
        if not msg.question:
            return
        qname = msg.question[0].name
        in_zone = qname.is_subdomain(self.be.zone)
        if in_zone:
            with self._lock:
                self._queries.append(Received(msg, wire, None, time.monotonic(), header))
        mode = self.be.mode if in_zone and self.be.mode not in ("tc",) else "normal"
        if mode == "silent":
            return
        out = self.be._build_response(msg, mode, in_zone).to_wire()
        delay = self.be._delay_for(qname) if in_zone else 0.0

        def send():
            with write_lock:
                try:
                    conn.sendall(struct.pack("!H", len(out)) + out)
                except OSError:
                    pass
        if delay > 0:
            threading.Timer(delay, send).start()
        else:
            send()


def frame(msg):
    wire = msg.to_wire() if hasattr(msg, "to_wire") else msg
    return struct.pack("!H", len(wire)) + wire


class StreamClient:
    """A DNS-over-TCP (or TLS) client that can pipeline and read answers as they come."""

    def __init__(self, host, port, source="127.0.0.1", tls_context=None, server_hostname=None,
                 session=None, timeout=3.0):
        raw = socket.socket(family_of(host), socket.SOCK_STREAM)
        raw.settimeout(timeout)
        raw.bind((source, 0))
        raw.connect((host, port))
        if tls_context is not None:
            raw = tls_context.wrap_socket(raw, server_hostname=server_hostname, session=session)
        self.sock = raw
        self.buf = b""

    def send(self, *msgs):
        self.sock.sendall(b"".join(frame(m) for m in msgs))

    def recv_one(self, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 2:
                n = struct.unpack("!H", self.buf[:2])[0]
                if len(self.buf) >= 2 + n:
                    wire, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
                    return dns.message.from_wire(wire)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer in time")
            self.sock.settimeout(left)
            data = self.sock.recv(65535)
            if not data:
                raise ConnectionError("closed by the server")
            self.buf += data

    def ask(self, msg, timeout=3.0):
        self.send(msg)
        return self.recv_one(timeout)

    def closed_by_peer(self, timeout=3.0):
        """True once the server closes (EOF or reset) within timeout; False if still open."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                return False
            except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
                return True
            if not data:
                return True
            self.buf += data
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
