# SPDX-License-Identifier: GPL-2.0-only
"""DNS over HTTPS (RFC 8484) with curl, kdig, h2load and python3-h2 against a certificate
made at test time: GET and POST, Cache-Control, the error statuses, many streams on one
connection, garbage and a client that stops reading, plain HTTP/2 mode, stats."""

import base64
import os
import socket
import ssl
import subprocess
import time

import dns.message
import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest

import harness
from fakedns import Client, a_addresses, make_query


CURL_TIMEOUT = 5


def make_cert(directory, cn="doh.test"):
    cert, key = directory / f"{cn}.crt", directory / f"{cn}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", f"/CN={cn}", "-addext",
                    f"subjectAltName=DNS:{cn}"],
                   check=True, capture_output=True)
    return cert, key


def start_doh(start_ballast, servers, cert=None, key=None, options="", urls=None, lua=""):
    """ballast with a UDP/TCP local (the harness probes it) and a DoH bind; TLS with `cert`,
    plain HTTP/2 without. Returns (ballast, (host, port))."""
    host = harness.ADDRESSES.next()
    port = harness.free_port(host)
    certs = f'"{cert}", "{key}"' if cert else "nil, nil"
    url_arg = "{" + ", ".join(f'"{u}"' for u in urls) + "}" if urls else "nil"
    opts = f", {{{options}}}" if options else ""
    b = start_ballast(servers,
                      lua=f'addDOHLocal("{host}:{port}", {certs}, {url_arg}{opts})\n' + lua)
    return b, (host, port)


def b64(wire):
    return base64.urlsafe_b64encode(wire).rstrip(b"=").decode()


class Curl:
    """curl --http2 against one DoH bind; returns (status, headers dict, body bytes)."""

    def __init__(self, host, port, cert, tmp_path):
        self.host, self.port, self.cert, self.tmp = host, port, cert, tmp_path
        self.n = 0

    def base(self):
        if self.cert:
            return f"https://doh.test:{self.port}"
        return f"http://{self.host}:{self.port}"

    def __call__(self, path, method="GET", data=None, ctype="application/dns-message",
                 headers=()):
        self.n += 1
        body, hdrs = self.tmp / f"body{self.n}", self.tmp / f"hdrs{self.n}"
        cmd = ["curl", "-s", "-o", str(body), "-D", str(hdrs), "-w", "%{http_code}",
               "--max-time", str(CURL_TIMEOUT), "-X", method]
        if self.cert:
            cmd += ["--http2", "--cacert", str(self.cert), "--resolve",
                    f"doh.test:{self.port}:{self.host}"]
        else:
            cmd += ["--http2-prior-knowledge"]
        for h in headers:
            cmd += ["-H", h]
        if data is not None:
            dfile = self.tmp / f"data{self.n}"
            dfile.write_bytes(data)
            cmd += ["--data-binary", f"@{dfile}", "-H", f"content-type: {ctype}"]
        out = subprocess.run(cmd + [self.base() + path], capture_output=True, text=True,
                             timeout=CURL_TIMEOUT + 5)
        got = {}
        for line in hdrs.read_text().splitlines() if hdrs.exists() else []:
            if ":" in line:
                k, _, v = line.partition(":")
                got[k.strip().lower()] = v.strip()
        return int(out.stdout or 0), got, body.read_bytes() if body.exists() else b""


def doh_stats(b):
    text = b.run_lua("local s = getDOHFrontend(0):getStats() local o = {} "
                     "for k, v in pairs(s) do o[#o + 1] = k .. '=' .. v end "
                     "return table.concat(o, ' ')")
    return {k: int(float(v)) for k, v in (kv.split("=") for kv in text.split())}


def wait_stats(b, expected, timeout=4.0):
    deadline = time.monotonic() + timeout
    while True:
        s = doh_stats(b)
        if all(s.get(k, 0) >= v for k, v in expected.items()) or time.monotonic() > deadline:
            return s
        time.sleep(0.05)


def test_get_and_post_give_the_same_answer(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key)
    curl = Curl(host, port, cert, tmp_path)
    q = make_query("doh-get.test.", qid=0)
    status, headers, body = curl("/dns-query?dns=" + b64(q.to_wire()))
    assert status == 200, (status, headers)
    assert headers["content-type"] == "application/dns-message"
    get_answer = dns.message.from_wire(body)
    assert get_answer.id == 0 and a_addresses(get_answer) == [be.host]
    assert headers["cache-control"] == "max-age=60"  # the fake backend's TTL
    q2 = make_query("doh-get.test.", qid=4321)
    status, headers, body = curl("/dns-query", "POST", q2.to_wire())
    assert status == 200
    post_answer = dns.message.from_wire(body)
    assert post_answer.id == 4321, "the client's ID comes back"
    assert post_answer.answer == get_answer.answer
    s = wait_stats(b, {"200": 2})
    assert s["get-queries"] == 1 and s["post-queries"] == 1 and s["valid-responses"] == 2


def test_kdig_over_https(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key)
    out = subprocess.run(["kdig", f"@{host}", "-p", str(port), "+https", f"+tls-ca={cert}",
                          "+tls-hostname=doh.test", "+time=3", "+retry=0", "doh-kdig.test", "A"],
                         capture_output=True, text=True, timeout=10)
    assert "status: NOERROR" in out.stdout, out.stdout + out.stderr
    assert be.host in out.stdout


def test_bad_requests_get_their_status(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key)
    curl = Curl(host, port, cert, tmp_path)
    wire = make_query("doh-bad.test.").to_wire()
    assert curl("/dns-query?dns=!!notbase64")[0] == 400
    assert curl("/dns-query?dns=" + b64(b"\x01\x02\x03\x04\x05"))[0] == 400  # not DNS
    assert curl("/dns-query")[0] == 400  # no dns= parameter
    assert curl("/elsewhere?dns=" + b64(wire))[0] == 404
    assert curl("/dns-query", "PUT", wire)[0] == 405
    assert curl("/dns-query", "POST", wire + b"\0" * 70000)[0] == 413
    assert curl("/dns-query", "POST", wire, ctype="text/plain")[0] == 415
    assert curl("/dns-query?dns=" + b64(wire))[0] == 200, "the connection pool still works"
    s = wait_stats(b, {"400": 3, "404": 1, "405": 1, "413": 1, "415": 1, "200": 1})
    assert (s["400"], s["404"], s["405"], s["413"], s["415"]) == (3, 1, 1, 1, 1)
    assert s["bad-requests"] == 7
    assert be.tcp.count == 1, "no bad request reached a backend"
    shown = b.run_lua("showDOHResponseCodes() showDOHFrontends() return 'ok'")
    assert shown == "ok"


def test_custom_urls_headers_and_options(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(
        start_ballast, [be], cert, key, urls=["/q"],
        options='customResponseHeaders={["X-Test"]="yes"}, serverTokens="tok", '
                'sendCacheControlHeaders=false, exactPathMatching=false, idleTimeout=5')
    curl = Curl(host, port, cert, tmp_path)
    wire = make_query("doh-opts.test.").to_wire()
    status, headers, _ = curl("/q/sub?dns=" + b64(wire))
    assert status == 200
    assert headers["x-test"] == "yes" and headers["server"] == "tok"
    assert "cache-control" not in headers
    assert curl("/dns-query?dns=" + b64(wire))[0] == 404


@pytest.mark.parametrize("option", ["bogusOption=1"])
def test_options_we_cannot_honour_fail_start(ballast_binary, tmp_path, option):
    cfg = tmp_path / "doh.conf"
    cfg.write_text(f'addDOHLocal("127.0.0.1:1", nil, nil, nil, {{{option}}})\n')
    out = harness.run_binary(["-C", str(cfg), "--check-config"])
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert f"{cfg}:1" in text and option.split("=")[0] in text


def test_plain_http2_mode(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    b, (host, port) = start_doh(start_ballast, [be])
    curl = Curl(host, port, None, tmp_path)
    q = make_query("doh-plain.test.", qid=77)
    status, headers, body = curl("/dns-query", "POST", q.to_wire())
    assert status == 200
    r = dns.message.from_wire(body)
    assert r.id == 77 and a_addresses(r) == [be.host]


def test_hundred_streams_on_one_connection(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend("delayed", delay=0.3)
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key)
    urls = tmp_path / "urls"
    urls.write_text("".join(
        f"https://doh.test:{port}/dns-query?dns={b64(make_query(f'm{i}.test.', qid=0).to_wire())}\n"
        for i in range(100)))
    start = time.monotonic()
    out = subprocess.run(["h2load", "-n100", "-c1", "-m100", "-i", str(urls),
                          f"--connect-to={host}:{port}"],
                         capture_output=True, text=True, timeout=20)
    elapsed = time.monotonic() - start
    assert "100 succeeded" in out.stdout and "100 2xx" in out.stdout, out.stdout + out.stderr
    assert be.tcp.count == 100
    # All 100 were at the backend together: not one after the other (100 x 0.3 s).
    assert elapsed < 5, elapsed


class H2Client:
    """A raw HTTP/2 client (python3-h2) for what curl cannot do."""

    def __init__(self, host, port, cert=None, window=None):
        sock = socket.create_connection((host, port), timeout=3)
        if cert:
            ctx = ssl.create_default_context(cafile=str(cert))
            ctx.check_hostname = False
            ctx.set_alpn_protocols(["h2"])
            sock = ctx.wrap_socket(sock, server_hostname="doh.test")
        self.sock = sock
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        if window is not None:
            self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.sock.sendall(self.conn.data_to_send())

    def get(self, wire):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                                     (":authority", "doh.test"),
                                     (":path", "/dns-query?dns=" + b64(wire))], end_stream=True)
        self.sock.sendall(self.conn.data_to_send())
        return sid

    def responses(self, n, timeout=3.0):
        """{stream id: (status, body)} of the next n complete responses."""
        done, status, bodies = {}, {}, {}
        deadline = time.monotonic() + timeout
        while len(done) < n and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                break
            for ev in self.conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    status[ev.stream_id] = dict(ev.headers)[b":status"]
                elif isinstance(ev, h2.events.DataReceived):
                    bodies.setdefault(ev.stream_id, b"")
                    bodies[ev.stream_id] += ev.data
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    done[ev.stream_id] = (status.get(ev.stream_id), bodies.get(ev.stream_id, b""))
            self.sock.sendall(self.conn.data_to_send())
        return done

    def close(self):
        self.sock.close()


def test_streams_open_across_the_trim_are_kept(start_ballast, tcp_backend, tmp_path):
    """The idle trim also gives back nghttp2's all-zero pages (its stream map once no stream
    is open): POSTs whose bodies come after an idle spell are still known and answered,
    between GETs answered before it."""
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key)
    c = H2Client(host, port, cert)
    posts, gets = [], []
    for i in range(4):
        gets.append(c.get(make_query(f"before{i}.test.", qid=0).to_wire()))
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, [(":method", "POST"), (":scheme", "https"),
                                  (":authority", "doh.test"), (":path", "/dns-query"),
                                  ("content-type", "application/dns-message")])
        posts.append(sid)
    c.sock.sendall(c.conn.data_to_send())
    got = c.responses(4)
    assert sorted(got) == gets, got
    time.sleep(1.5)  # idle past the trim with four streams open
    for i, sid in enumerate(posts):
        c.conn.send_data(sid, make_query(f"after{i}.test.", qid=0).to_wire(), end_stream=True)
    c.sock.sendall(c.conn.data_to_send())
    got = c.responses(4)
    assert sorted(got) == posts, got
    for status, body in got.values():
        assert status == b"200" and a_addresses(dns.message.from_wire(body)) == [be.host]
    c.close()
    assert be.tcp.count == 8


def test_streams_answered_as_their_answers_come(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend("delayed", delay=0.0)
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key)
    c = H2Client(host, port, cert)
    be.delay = 1.0
    slow = c.get(make_query("slow.test.", qid=0).to_wire())
    time.sleep(0.05)
    be.delay = 0.0
    fast = c.get(make_query("fast.test.", qid=0).to_wire())
    first = c.responses(1)
    assert list(first) == [fast], "the fast answer is not held behind the slow one"
    second = c.responses(1)
    assert list(second) == [slow]
    assert dns.message.from_wire(second[slow][1]).question[0].name.to_text() == "slow.test."
    c.close()


def test_garbage_and_a_stalled_reader_do_not_disturb_others(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    b, (host, port) = start_doh(start_ballast, [be], cert, key)
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.check_hostname = False
    ctx.set_alpn_protocols(["h2"])
    garbage = ctx.wrap_socket(socket.create_connection((host, port), timeout=3),
                              server_hostname="doh.test")
    assert garbage.selected_alpn_protocol() == "h2"
    garbage.sendall(os.urandom(2000))
    # A client that opens a window of 0 bytes, sends many requests and never reads: the
    # server must keep their answers without stalling anyone else.
    stalled = H2Client(host, port, cert, window=0)
    for i in range(90):
        stalled.get(make_query(f"stall{i}-" + "x" * 40 + ".test.", qid=0).to_wire())
    good = H2Client(host, port, cert)
    for i in range(5):
        sid = good.get(make_query(f"good{i}.test.", qid=0).to_wire())
        got = good.responses(1)
        assert got[sid][0] == b"200"
    s = wait_stats(b, {"protocol-errors": 1})
    assert s["protocol-errors"] >= 1
    deadline = time.monotonic() + 3
    closed = False
    while time.monotonic() < deadline and not closed:
        try:
            closed = garbage.recv(4096) == b""
        except (ConnectionResetError, ssl.SSLError):
            closed = True
        except socket.timeout:
            break
    assert closed, "the garbage connection was closed"
    good.close()
    stalled.close()
    garbage.close()


def test_backend_without_answer_gets_502_and_the_connection_stays(start_ballast, tcp_backend,
                                                                   tmp_path):
    be = tcp_backend("silent")
    b, (host, port) = start_doh(start_ballast, [be],
                                lua="setUDPTimeout(1)\nsetTCPRecvTimeout(1)\n")
    c = H2Client(host, port)
    sid = c.get(make_query("doh-silent.test.", qid=0).to_wire())
    got = c.responses(1, timeout=6)
    assert got[sid][0] == b"502"
    # The same connection still serves: a request to an unknown path is answered at once.
    sid2 = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid2, [(":method", "GET"), (":scheme", "http"), (":authority", "x"),
                               (":path", "/nowhere")], end_stream=True)
    c.sock.sendall(c.conn.data_to_send())
    assert c.responses(1)[sid2][0] == b"404"
    s = wait_stats(b, {"502": 1})
    assert s["error-responses"] == 1
    c.close()


def test_connection_idle_past_the_trim_keeps_working(start_ballast, tcp_backend, tmp_path):
    """An idle connection gives back nghttp2's frame buffer after a second: the answers after
    each idle spell, small and spanning pages, come whole on the same connection."""
    be = tcp_backend()
    cert, key = make_cert(tmp_path)
    big = "".join(chr(ord("a") + i % 26) for i in range(12000))
    b, (host, port) = start_doh(
        start_ballast, [be], cert, key, options="exactPathMatching=false",
        lua=f'getDOHFrontend(0):setResponsesMap({{newDOHResponseMapEntry("^/dns-query/big$", '
            f'200, "{big}")}})')
    c = H2Client(host, port, cert)
    for spell in range(3):
        ids = [c.get(make_query(f"idle{spell}-{i}.test.", qid=0).to_wire()) for i in range(5)]
        sid = c.conn.get_next_available_stream_id()
        c.conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                                  (":authority", "doh.test"), (":path", "/dns-query/big")],
                            end_stream=True)
        c.sock.sendall(c.conn.data_to_send())
        got = c.responses(6)
        assert sorted(got) == sorted(ids + [sid]), got
        assert got[sid] == (b"200", big.encode())
        for i in ids:
            status, body = got[i]
            assert status == b"200" and a_addresses(dns.message.from_wire(body)) == [be.host]
        time.sleep(1.3)
    c.close()
    assert be.tcp.count == 15


def test_no_certificate_message_at_check_config(ballast_binary, tmp_path):
    cfg = tmp_path / "doh.conf"
    cfg.write_text('addDOHLocal("127.0.0.1:8053")\n')
    out = harness.run_binary(["-C", str(cfg), "--check-config"])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No certificate provided for DoH endpoint 127.0.0.1:8053" in out.stderr


def test_edns_added_for_the_backend_and_removed_for_the_client(start_ballast, tcp_backend,
                                                              tmp_path):
    """As dnsdist: a DoH query without EDNS reaches the backend with an OPT of payload
    4096; the client's answer has none. Its answer then serves a UDP client with the same
    EDNS from the cache (DoH and UDP share entries)."""
    be = tcp_backend()
    b, (host, port) = start_doh(start_ballast, [be],
                                lua='pc = newPacketCache(100)\ngetPool(""):setCache(pc)\n')
    curl = Curl(host, port, None, tmp_path)
    q = dns.message.make_query("doh-edns.test.", "A", use_edns=False)
    status, _, body = curl("/dns-query", "POST", q.to_wire())
    assert status == 200
    r = dns.message.from_wire(body)
    assert r.edns < 0 and a_addresses(r) == [be.answer]
    seen = [x for x in be.queries + be.tcp.queries if str(x.msg.question[0].name) == "doh-edns.test."]
    assert len(seen) == 1 and seen[0].msg.edns == 0 and seen[0].msg.payload == 4096
    # A UDP client asking with the same OPT is answered from the entry the DoH query made.
    udp = dns.message.make_query("doh-edns.test.", "A", use_edns=0, payload=4096)
    c = Client()
    got = c.ask(udp, b.listen[0])
    assert got is not None and a_addresses(got) == [be.answer]
    assert len([x for x in be.queries + be.tcp.queries
                if str(x.msg.question[0].name) == "doh-edns.test."]) == 1


def test_trust_forwarded_for_header(start_ballast, tcp_backend, tmp_path):
    """The right-most X-Forwarded-For address is the client's, for the ACL and the rules: here
    it is refused by a rule on that network, which the connection's own address would not
    match."""
    be = tcp_backend()
    rule = 'addACL("192.0.2.0/24")\naddACL("198.51.100.0/24")\naddAction(NetmaskGroupRule("192.0.2.0/24"), RCodeAction(DNSRCode.REFUSED))\n'
    b, (host, port) = start_doh(start_ballast, [be], options="trustForwardedForHeader=true",
                                lua=rule)
    curl = Curl(host, port, None, tmp_path)
    q = make_query("xff.test.")
    hdr = ["X-Forwarded-For: 198.51.100.1, 192.0.2.77"]
    status, _, body = curl("/dns-query", "POST", q.to_wire(), headers=hdr)
    assert status == 200 and dns.message.from_wire(body).rcode() == dns.rcode.REFUSED
    status, _, body = curl("/dns-query", "POST", q.to_wire(),
                           headers=["X-Forwarded-For: 192.0.2.77, 198.51.100.1"])
    assert status == 200 and dns.message.from_wire(body).rcode() == dns.rcode.NOERROR
    # The ACL sees it too (dnsdist's documentation says so): 203.0.113.0/24 is not allowed.
    status, _, _ = curl("/dns-query", "POST", q.to_wire(),
                        headers=["X-Forwarded-For: 203.0.113.5"])
    assert status == 403
    # Without the option the header is not believed.
    b2, (host2, port2) = start_doh(start_ballast, [be], lua=rule)
    status, _, body = Curl(host2, port2, None, tmp_path)("/dns-query", "POST", q.to_wire(),
                                                         headers=hdr)
    assert status == 200 and dns.message.from_wire(body).rcode() == dns.rcode.NOERROR
