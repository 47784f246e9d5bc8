# SPDX-License-Identifier: GPL-2.0-only
"""Remote logging as dnsdist 1.7 does it, through the real binary: protobuf messages
(newRemoteLogger, RemoteLogAction, RemoteLogResponseAction, DNSDistProtoBufMessage) read by a
TCP receiver, and dnstap (newFrameStreamUnixLogger, newFrameStreamTcpLogger, DnstapLogAction,
DnstapLogResponseAction, DnstapMessage) read by Frame Streams receivers that do the
bidirectional handshake. The protobuf wire format is decoded by hand here, from the
published field numbers of dnsmessage.proto and dnstap.proto."""

import socket
import struct
import threading
import time

import dns.message

import harness
from fakedns import make_query, wait_until


# ---- protobuf wire format ------------------------------------------------------------------

def varint(data, i):
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def pb_fields(data):
    """field number -> list of values (ints for varint/fixed32, bytes for the rest)."""
    out, i = {}, 0
    while i < len(data):
        key, i = varint(data, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(data, i)
        elif wt == 2:
            n, i = varint(data, i)
            v, i = data[i:i + n], i + n
        elif wt == 5:
            v, i = struct.unpack_from("<I", data, i)[0], i + 4
        elif wt == 1:
            v, i = struct.unpack_from("<Q", data, i)[0], i + 8
        else:
            raise AssertionError(f"wire type {wt}")
        out.setdefault(field, []).append(v)
    return out


def one(fields, n):
    assert len(fields.get(n, [])) == 1, (n, fields)
    return fields[n][0]


class PBMessage:
    """The fields of a PBDNSMessage ballast sets."""

    def __init__(self, data):
        f = pb_fields(data)
        self.type = one(f, 1)
        self.message_id = one(f, 2)
        self.server_identity = f.get(3, [None])[0]
        self.family = one(f, 4)
        self.protocol = one(f, 5)
        self.from_addr = one(f, 6)
        self.to_addr = one(f, 7)
        self.in_bytes = one(f, 8)
        self.time_sec = one(f, 9)
        self.time_usec = one(f, 10)
        self.subnet = f.get(14, [None])[0]
        self.to_port = one(f, 21)
        self.id = one(f, 11)
        q = pb_fields(one(f, 12))
        self.qname = one(q, 1).decode()
        self.qtype = one(q, 2)
        self.qclass = one(q, 3)
        self.from_port = one(f, 20)
        r = pb_fields(one(f, 13))
        self.rcode = r.get(1, [None])[0]
        self.rrs = []
        for rr in r.get(2, []):
            g = pb_fields(rr)
            self.rrs.append((one(g, 1).decode(), one(g, 2), one(g, 4), one(g, 5)))
        self.tags = [t.decode() for t in r.get(4, [])]
        self.query_time = (one(r, 5), one(r, 6))


# ---- receivers ------------------------------------------------------------------------------

def recv_exactly(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


class Receiver:
    """Accepts connections on `sock` and hands each to `serve` on a thread."""

    def __init__(self, sock):
        self.sock = sock
        self.messages = []
        self.conns = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(30)
            self.conns.append(conn)
            threading.Thread(target=self._serve_safely, args=(conn,), daemon=True).start()

    def _serve_safely(self, conn):
        try:
            self.serve(conn)
        except (EOFError, OSError):
            pass

    def close(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()


class ProtobufReceiver(Receiver):
    """What newRemoteLogger sends: PBDNSMessages each after a 2-byte length."""

    def __init__(self, host, port=0):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(4)
        self.address = f"{host}:{s.getsockname()[1]}"
        super().__init__(s)

    def serve(self, conn):
        while True:
            (n,) = struct.unpack("!H", recv_exactly(conn, 2))
            self.messages.append(PBMessage(recv_exactly(conn, n)))


CONTENT_TYPE = b"protobuf:dnstap.Dnstap"
ACCEPT, START, STOP, READY, FINISH = 1, 2, 3, 4, 5


def read_control(conn):
    """One control frame (after its zero escape): (type, [content types])."""
    assert recv_exactly(conn, 4) == b"\0\0\0\0", "a control frame starts with an escape"
    (length,) = struct.unpack("!I", recv_exactly(conn, 4))
    body = recv_exactly(conn, length)
    (ctype,) = struct.unpack_from("!I", body)
    fields, i = [], 4
    while i < len(body):
        ftype, flen = struct.unpack_from("!II", body, i)
        assert ftype == 1, "content type is the only control field"
        fields.append(body[i + 8:i + 8 + flen])
        i += 8 + flen
    return ctype, fields


def control_frame(ctype, content_types=()):
    body = struct.pack("!I", ctype)
    for c in content_types:
        body += struct.pack("!II", 1, len(c)) + c
    return b"\0\0\0\0" + struct.pack("!I", len(body)) + body


class FrameStreamReceiver(Receiver):
    """A bidirectional Frame Streams reader: READY -> ACCEPT, START, data frames, STOP ->
    FINISH. `messages` gets the decoded Dnstap frames."""

    def __init__(self, sock):
        self.handshakes = []
        super().__init__(sock)

    def serve(self, conn):
        ctype, types = read_control(conn)
        assert ctype == READY and CONTENT_TYPE in types, (ctype, types)
        conn.sendall(control_frame(ACCEPT, [CONTENT_TYPE]))
        ctype, types = read_control(conn)
        assert ctype == START and types == [CONTENT_TYPE], (ctype, types)
        self.handshakes.append("READY ACCEPT START")
        while True:
            (n,) = struct.unpack("!I", recv_exactly(conn, 4))
            if n == 0:
                (length,) = struct.unpack("!I", recv_exactly(conn, 4))
                (ctype,) = struct.unpack_from("!I", recv_exactly(conn, length))
                assert ctype == STOP
                conn.sendall(control_frame(FINISH))
                self.handshakes.append("STOP FINISH")
                return
            self.messages.append(dnstap_message(recv_exactly(conn, n)))


def dnstap_message(data):
    d = pb_fields(data)
    assert one(d, 15) == 1  # Dnstap.Type MESSAGE
    m = pb_fields(one(d, 14))
    packet = m.get(10, m.get(14, [None]))[0]
    return {
        "identity": one(d, 1).decode(),
        "version": one(d, 2).decode(),
        "extra": d.get(3, [b""])[0].decode(),
        "type": one(m, 1), "family": one(m, 2), "protocol": one(m, 3),
        "query_address": one(m, 4), "query_port": one(m, 6), "response_port": one(m, 7),
        "query_time": one(m, 8), "response_time": m.get(12, [None])[0],
        "has_query_message": 10 in m, "has_response_message": 14 in m,
        "message": dns.message.from_wire(packet),
    }


# ---- tests ----------------------------------------------------------------------------------

def ask_all(c, b, names):
    answers = []
    for name in names:
        a = c.ask(make_query(name), b.listen[0])
        assert a is not None, b.diagnostics()
        answers.append(a)
    return answers


def test_protobuf_query_and_response_fields_and_alter_function(start_ballast, backends, client):
    be = backends()
    rx = ProtobufReceiver(harness.ADDRESSES.next())
    lua = (f'rl = newRemoteLogger("{rx.address}")\n'
           'addAction(AllRule(), RemoteLogAction(rl, function(dq, pbm)\n'
           '  pbm:setTag("qtype-" .. dq.qtype)\n'
           '  pbm:setTagArray({"x", "y"})\n'
           'end, {serverID="edge-7"}))\n'
           'rla = RemoteLogResponseAction(rl, nil, true)\n'
           'addResponseAction(AllRule(), rla)\n')
    b = start_ballast(servers=[be], lua=lua)
    try:
        c = client("127.0.0.1")
        ask_all(c, b, ["logged.test.", "nxdomain-logged.test."])
        assert wait_until(lambda: len([m for m in rx.messages if m.qname.endswith("test.")]) >= 4), \
            [m.qname for m in rx.messages]
        msgs = [m for m in rx.messages if m.qname.endswith("test.")]
        queries = [m for m in msgs if m.type == 1]
        responses = [m for m in msgs if m.type == 2]
        q = [m for m in queries if m.qname == "logged.test."][0]
        assert q.qtype == 1 and q.family == 1 and q.protocol == 1
        assert q.from_addr == socket.inet_aton("127.0.0.1") and q.from_port == c.sock.getsockname()[1]
        assert q.to_addr == socket.inet_aton(b.listen[0][0])
        assert q.server_identity == b"edge-7"
        assert q.tags == ["qtype-1", "x", "y"]
        assert len(q.message_id) == 16 and q.in_bytes > 12 and q.rcode is None
        assert abs(q.time_sec - time.time()) < 60
        r = [m for m in responses if m.qname == "logged.test."][0]
        assert r.rcode == 0 and r.server_identity is None and r.tags == []
        assert r.rrs == [("logged.test.", 1, r.rrs[0][2], socket.inet_aton(be.host))]
        nx = [m for m in responses if m.qname == "nxdomain-logged.test."][0]
        assert nx.rcode == 3 and nx.rrs == []
        assert q.id != 0 and {m.id for m in msgs if m.qname == "logged.test."} == {q.id}
        assert wait_until(lambda: "0 dropped" in b.run_lua("return rl:toString()"))
        shown = b.run_lua("return tostring(rl)")
        assert shown.startswith(rx.address + " (") and "processed, 0 dropped" in shown, shown
        # The action describes itself with the logger's live counters, as dnsdist does.
        described = b.run_lua("return tostring(rla)")
        assert described == "remote log response to " + b.run_lua("return tostring(rl)"), described
        assert not described.endswith("(0 processed, 0 dropped)"), described
    finally:
        rx.close()


def test_protobuf_message_methods_change_what_is_sent(start_ballast, backends, client):
    be = backends()
    rx = ProtobufReceiver(harness.ADDRESSES.next())
    lua = (f'rl = newRemoteLogger("{rx.address}")\n'
           'addAction(QNameRule("altered.test."), RemoteLogAction(rl, function(dq, m)\n'
           '  m:setQuestion(newDNSName("other.example."), 28, 3)\n'
           '  m:setResponseCode(5)\n'
           '  m:setRequestor(newCA("192.0.2.44"), 1234)\n'
           '  m:setResponderFromString("2001:db8::53", 5353)\n'
           '  m:setServerIdentity("ident")\n'
           '  m:setTime(1600000000, 42)\n'
           '  m:setBytes(999)\n'
           '  m:setEDNSSubnet(newNetmask("198.51.100.77/24"))\n'
           '  m:addResponseRR("rr.example.", 1, 1, 77, "\\10\\0\\0\\9")\n'
           '  m:setProtobufResponseType(1600000001, 7)\n'
           '  debugText = m:toDebugString()\n'
           '  kept = m\n'
           'end))\n')
    b = start_ballast(servers=[be], lua=lua)
    try:
        ask_all(client("127.0.0.1"), b, ["altered.test."])
        assert wait_until(lambda: any(m.qname == "other.example." for m in rx.messages))
        m = [m for m in rx.messages if m.qname == "other.example."][0]
        assert (m.type, m.qtype, m.qclass, m.rcode) == (2, 28, 3, 5)
        assert m.from_addr == socket.inet_aton("192.0.2.44") and m.from_port == 1234
        assert m.to_addr == socket.inet_pton(socket.AF_INET6, "2001:db8::53") and m.to_port == 5353
        assert m.server_identity == b"ident" and m.in_bytes == 999
        assert (m.time_sec, m.time_usec) == (1600000000, 42)
        assert m.query_time == (1600000001, 7)
        assert m.subnet == socket.inet_aton("198.51.100.0")
        assert m.rrs == [("rr.example.", 1, 77, bytes([10, 0, 0, 9]))]
        assert "other.example." in b.run_lua("return debugText")
        # A message kept past its alterFunction is not usable any more.
        err = b.run_lua("local ok, e = pcall(function() kept:setTag('x') end) return tostring(e)")
        assert "only be used inside its alterFunction" in err, err
    finally:
        rx.close()


def test_protobuf_ip_encrypt_key_hides_the_requestor(start_ballast, backends, client):
    be = backends()
    rx = ProtobufReceiver(harness.ADDRESSES.next())
    lua = (f'rl = newRemoteLogger("{rx.address}", 2, 100, 1)\n'
           'addAction(AllRule(), RemoteLogAction(rl, nil, '
           '{ipEncryptKey=makeIPCipherKey("some passphrase")}))\n')
    b = start_ballast(servers=[be], lua=lua)
    try:
        ask_all(client("127.0.0.1"), b, ["hidden.test."])
        assert wait_until(lambda: any(m.qname == "hidden.test." for m in rx.messages))
        m = [m for m in rx.messages if m.qname == "hidden.test."][0]
        expected = b.run_lua('return newCA("127.0.0.1"):ipencrypt('
                             'makeIPCipherKey("some passphrase")):toString()')
        assert m.from_addr == socket.inet_aton(expected) != socket.inet_aton("127.0.0.1")
    finally:
        rx.close()


def test_protobuf_logger_down_drops_without_blocking_then_recovers(start_ballast, backends,
                                                                   client):
    be = backends()
    host = harness.ADDRESSES.next()
    port = harness.free_port(host)
    # A 100-byte queue (maxQueuedEntries=1): one message fills it (the harness's readiness
    # probe, which goes through the rules too).
    lua = (f'rl = newRemoteLogger("{host}:{port}", 1, 1, 1)\n'
           'addAction(AllRule(), RemoteLogAction(rl))\n')
    b = start_ballast(servers=[be], lua=lua)
    c = client("127.0.0.1")
    answers = ask_all(c, b, [f"down{i}.test." for i in range(10)])
    assert all(a.rcode() == 0 for a in answers)
    shown = b.run_lua("return tostring(rl)")
    processed, dropped = (int(part.split()[0]) for part in shown.split("(")[1].split(", "))
    assert dropped >= 9 and processed + dropped >= 11, shown
    rx = ProtobufReceiver(host, port)
    try:
        # What was queued goes out on reconnection, and new messages follow.
        assert wait_until(lambda: len(rx.messages) >= processed, timeout=8), \
            b.run_lua("return tostring(rl)")
        ask_all(c, b, ["back.test."])
        assert wait_until(lambda: any(m.qname == "back.test." for m in rx.messages))
        # The receiver goes away again: queries are still answered.
        rx.close()
        answers = ask_all(c, b, [f"again{i}.test." for i in range(5)])
        assert all(a.rcode() == 0 for a in answers)
    finally:
        rx.close()


def unix_listener(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(4)
    return s


def test_dnstap_over_unix_socket(start_ballast, backends, client, tmp_path):
    be = backends()
    path = tmp_path / "dnstap.sock"
    rx = FrameStreamReceiver(unix_listener(path))
    lua = (f'fl = newFrameStreamUnixLogger("{path}", {{flushTimeout=1, bufferHint=1024}})\n'
           'addAction(AllRule(), DnstapLogAction("ballast-id", fl, function(dq, dm)\n'
           '  dm:setExtra("extra-" .. dq.qtype)\n'
           'end))\n'
           'addResponseAction(AllRule(), DnstapLogResponseAction("ballast-id", fl))\n')
    b = start_ballast(servers=[be], lua=lua)
    try:
        c = client("127.0.0.1")
        ask_all(c, b, ["tapped.test."])

        def tapped():
            return [m for m in rx.messages if m["message"].question
                    and m["message"].question[0].name.to_text() == "tapped.test."]
        assert wait_until(lambda: len(tapped()) >= 2, timeout=8), rx.messages
        assert rx.handshakes == ["READY ACCEPT START"]
        q = [m for m in tapped() if m["type"] == 5][0]
        r = [m for m in tapped() if m["type"] == 6][0]
        assert q["identity"] == "ballast-id" and q["version"].startswith("ballast")
        assert q["extra"] == "extra-1" and r["extra"] == ""
        assert q["has_query_message"] and not q["has_response_message"]
        assert r["has_response_message"] and not r["has_query_message"]
        assert q["family"] == 1 and q["protocol"] == 1
        assert q["query_address"] == socket.inet_aton("127.0.0.1")
        assert q["query_port"] == c.sock.getsockname()[1] and q["response_port"] == b.listen[0][1]
        assert r["response_time"] is not None and abs(q["query_time"] - time.time()) < 60
        assert r["message"].rcode() == 0 and r["message"].answer
        assert "frames sent, 0 dropped, 0 permanent failures" in b.run_lua("return fl:toString()")
        # On shutdown the stream ends with STOP, answered by FINISH.
        b.expect_exit = True
        b.stop()
        assert wait_until(lambda: "STOP FINISH" in rx.handshakes), rx.handshakes
    finally:
        rx.close()


def test_dnstap_over_tcp(start_ballast, backends, client):
    be = backends()
    host = harness.ADDRESSES.next()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen(4)
    rx = FrameStreamReceiver(s)
    lua = (f'fl = newFrameStreamTcpLogger("{host}:{s.getsockname()[1]}", {{flushTimeout=1}})\n'
           'addAction(AllRule(), DnstapLogAction("tcp-id", fl))\n')
    b = start_ballast(servers=[be], lua=lua)
    try:
        ask_all(client("127.0.0.1"), b, ["tcptap.test."])
        assert wait_until(lambda: any(
            m["message"].question and m["message"].question[0].name.to_text() == "tcptap.test."
            for m in rx.messages), timeout=8), rx.messages
        assert rx.handshakes == ["READY ACCEPT START"]
        assert all(m["identity"] == "tcp-id" and m["type"] == 5 for m in rx.messages)
    finally:
        rx.close()


def test_dnstap_receiver_absent_drops_and_counts(start_ballast, backends, client, tmp_path):
    be = backends()
    path = tmp_path / "nobody.sock"
    lua = (f'fl = newFrameStreamUnixLogger("{path}", {{inputQueueSize=2, reopenInterval=1}})\n'
           'addAction(AllRule(), DnstapLogAction("id", fl))\n')
    b = start_ballast(servers=[be], lua=lua)
    answers = ask_all(client("127.0.0.1"), b, [f"nobody{i}.test." for i in range(10)])
    assert all(a.rcode() == 0 for a in answers)
    shown = b.run_lua("return fl:toString()")
    assert shown.startswith(f"FrameStreamLogger to {path} ("), shown
    sent, dropped = (int(x.split()[0]) for x in shown.split("(")[1].split(", ")[:2])
    assert dropped >= 8 and sent + dropped >= 11, shown
    # The receiver appears: the logger reopens the socket and frames flow again.
    rx = FrameStreamReceiver(unix_listener(path))
    try:
        c = client("127.0.0.1")

        def arrived():
            ask_all(c, b, ["late.test."])
            return any(m["message"].question[0].name.to_text() == "late.test."
                       for m in rx.messages if m["message"].question)
        assert wait_until(arrived, timeout=10, interval=0.5), b.run_lua("return fl:toString()")
    finally:
        rx.close()


BAD = [
    ('newRemoteLogger("127.0.0.1")', "newRemoteLogger: '127.0.0.1' has no port"),
    ('RemoteLogAction(newFrameStreamUnixLogger("/nonexistent/x.sock"))',
     "RemoteLogAction only takes a newRemoteLogger"),
    ('DnstapLogAction("id", "not a logger")', "DnstapLogAction: expects a logger"),
    ('newFrameStreamUnixLogger("/tmp/x.sock", {noSuchOption=1})', "noSuchOption"),
    ('newFrameStreamUnixLogger("/tmp/x.sock", {bufferHint=10})', "bufferHint=10 is out of the range"),
    ('RemoteLogAction(newRemoteLogger("127.0.0.1:9"), nil, {ipEncryptKey="short"})',
     "ipEncryptKey"),
    ('RemoteLogAction(newRemoteLogger("127.0.0.1:9"), nil, {serverId="x"})', "serverId"),
]


def test_bad_remote_logging_configuration_names_file_and_line(ballast_binary, tmp_path):
    for call, words in BAD:
        path = tmp_path / "bad.conf"
        path.write_text(f'setLocal("127.0.0.1:5300")\n\n{call}\n')
        res = harness.run_binary(["-C", str(path), "--check-config"])
        out = res.stdout + res.stderr
        assert res.returncode == 1, (call, out)
        assert f"{path}:3:" in out and words in out, (call, out)
