# SPDX-License-Identifier: GPL-2.0-only
"""DNS over TLS: answers with ALPN "dot", ticket resumption and rotation, certificate
reload, TLS options, garbage on the TLS port. Certificates are made at test time."""

import os
import socket
import ssl
import subprocess
import time

import pytest

import harness
from fakedns import a_addresses, make_query
from tcpdns import StreamClient


def make_cert(directory, cn):
    cert, key = directory / f"{cn}.crt", directory / f"{cn}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", f"/CN={cn}"],
                   check=True, capture_output=True)
    return cert, key


def client_context(cafile, tls13=True):
    ctx = ssl.create_default_context(cafile=str(cafile))
    ctx.check_hostname = False
    ctx.set_alpn_protocols(["dot"])
    if not tls13:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def closed_soon(sock, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(4096):
                return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
    return False


def start_dot(start_ballast, servers, cert, key, options="", lua=""):
    """ballast with a UDP/TCP local (the harness probes it) and a DoT bind; returns
    (ballast, (host, port) of the DoT bind)."""
    host = harness.ADDRESSES.next()
    port = harness.free_port(host)
    opts = f", {{{options}}}" if options else ""
    b = start_ballast(servers, lua=f'addTLSLocal("{host}:{port}", "{cert}", "{key}"{opts})\n' + lua)
    return b, (host, port)


def test_dot_query_and_answer(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    b, (host, port) = start_dot(start_ballast, [be], cert, key)
    base = b.fresh_counters()
    c = StreamClient(host, port, tls_context=client_context(cert), server_hostname="dot.test")
    assert c.sock.selected_alpn_protocol() == "dot"
    r = c.ask(make_query("dot-one.test.", qid=5353))
    assert r.id == 5353 and a_addresses(r) == [be.host]
    assert be.tcp.count == 1
    # Pipelined over the same TLS session.
    c.send(*[make_query(f"dot-p{i}.test.", qid=i) for i in range(3)])
    assert sorted(c.recv_one().id for _ in range(3)) == [0, 1, 2]
    b.wait_deltas(base, {"tls-new-sessions": 1, "tcp-queries": 4})
    c.close()


def test_garbage_on_tls_port_does_not_disturb_others(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    b, (host, port) = start_dot(start_ballast, [be], cert, key)
    base = b.fresh_counters()
    good = StreamClient(host, port, tls_context=client_context(cert))
    bad = socket.create_connection((host, port), timeout=2)
    bad.sendall(os.urandom(700))
    # Plain DNS over TCP on the TLS port is garbage too.
    bad2 = socket.create_connection((host, port), timeout=2)
    bad2.sendall(b"\x00\x1d" + make_query("plain.test.").to_wire())
    assert good.ask(make_query("dot-ok.test.", qid=8)).id == 8
    for s in (bad, bad2):
        assert closed_soon(s), "a garbage connection is closed (after a TLS alert at most)"
    b.wait_deltas(base, {"tls-handshake-failures": 2})
    assert good.ask(make_query("dot-ok2.test.", qid=9)).id == 9
    for s in (good,):
        s.close()
    bad.close()
    bad2.close()


def test_session_resumption_and_ticket_rotation(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    trigger = tmp_path / "rotate"
    # A test hook: maintenance (via showServers) rotates the key when the file appears.
    lua = (f'local orig = showServers\n'
           f'showServers = function()\n'
           f'  local f = io.open("{trigger}")\n'
           f'  if f then f:close(); os.remove("{trigger}"); getTLSContext(0):rotateTicketsKey() end\n'
           f'  return orig()\nend\n')
    b, (host, port) = start_dot(start_ballast, [be], cert, key, "numberOfTicketsKeys=1", lua)
    ctx = client_context(cert, tls13=False)

    def session_of(session=None):
        c = StreamClient(host, port, tls_context=ctx, session=session)
        assert c.ask(make_query("resume.test.", qid=1)).id == 1
        reused, s = c.sock.session_reused, c.sock.session
        c.close()
        return reused, s

    reused, sess = session_of()
    assert not reused
    reused, _ = session_of(sess)
    assert reused, "the ticket resumes the session"
    trigger.write_text("")
    harness_deadline = time.monotonic() + 4
    while trigger.exists() and time.monotonic() < harness_deadline:
        time.sleep(0.05)
    assert not trigger.exists(), "rotation hook did not run"
    reused, _ = session_of(sess)
    assert not reused, "with one key kept, a ticket under the rotated key no longer resumes"


def test_reload_certificates(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "first.test")
    trigger = tmp_path / "reload"
    lua = (f'local orig = showServers\n'
           f'showServers = function()\n'
           f'  local f = io.open("{trigger}")\n'
           f'  if f then f:close(); os.remove("{trigger}"); reloadAllCertificates() end\n'
           f'  return orig()\nend\n')
    b, (host, port) = start_dot(start_ballast, [be], cert, key, lua=lua)

    def subject():
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection((host, port), timeout=3) as raw:
            with ctx.wrap_socket(raw) as s:
                der = s.getpeercert(binary_form=True)
        return ssl.DER_cert_to_PEM_cert(der)

    first = subject()
    assert first == ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(cert.read_text()))
    held = StreamClient(host, port, tls_context=client_context(cert))
    new_cert, new_key = make_cert(tmp_path, "second.test")
    os.replace(new_cert, cert)
    os.replace(new_key, key)
    trigger.write_text("")
    deadline = time.monotonic() + 4
    while trigger.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not trigger.exists()
    assert subject() != first, "new connections get the reloaded certificate"
    assert held.ask(make_query("held.test.", qid=3)).id == 3, "established sessions go on"
    held.close()


def test_tls_options_and_provider(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    lua = ('print("provider=" .. getBind(2):getEffectiveTLSProvider() .. " bind=" .. tostring(getBind(2))'
           ' .. " type=" .. getBind(2):getType())\n')
    b, (host, port) = start_dot(start_ballast, [be], cert, key,
                                'minTLSVersion="tls1.3", provider="openssl", sessionTickets=false', lua)
    assert f"provider=openssl bind={host}:{port} type=TCP (DNS over TLS)" in b.stdout()
    with pytest.raises(ssl.SSLError):
        StreamClient(host, port, tls_context=client_context(cert, tls13=False))
    c = StreamClient(host, port, tls_context=client_context(cert))
    assert c.sock.version() == "TLSv1.3"
    assert c.ask(make_query("tls13.test.", qid=2)).id == 2
    c.close()


@pytest.mark.parametrize("what", ["missing-cert", "missing-key", "mismatch", "provider", "version"])
def test_bad_tls_config_names_the_problem(ballast_binary, tmp_path, what):
    cert, key = make_cert(tmp_path, "a.test")
    cert2, key2 = make_cert(tmp_path, "b.test")
    args = {"missing-cert": (tmp_path / "nope.crt", key, "", "nope.crt"),
            "missing-key": (cert, tmp_path / "nope.key", "", "nope.key"),
            "mismatch": (cert, key2, "", "mismatch"),
            "provider": (cert, key, ', {provider="gnutls"}', "gnutls"),
            "version": (cert, key, ', {minTLSVersion="tls9"}', "tls9")}[what]
    conf = tmp_path / "bad.conf"
    conf.write_text('setLocal("127.0.0.1:5300")\n'
                    f'addTLSLocal("127.0.0.1:8853", "{args[0]}", "{args[1]}"{args[2]})\n')
    r = harness.run_binary(["--check-config", "-C", str(conf)])
    assert r.returncode != 0
    assert f"{conf}:2:" in r.stderr and args[3] in r.stderr, r.stderr


def test_pipelined_burst_larger_than_a_read(start_ballast, tcp_backend, tmp_path):
    """Thousands of pipelined queries sent at once (more than the worker reads at a time):
    what TLS already holds when the worker's buffer is full is read without a new readiness
    event, and the answers, written in batches, all arrive."""
    import threading
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    b, (host, port) = start_dot(start_ballast, [be], cert, key, options="maxInFlight=100",
                                lua='pc = newPacketCache(1000)\ngetPool(""):setCache(pc)\n')
    c = StreamClient(host, port, tls_context=client_context(cert), timeout=10)
    assert c.ask(make_query("burst.test.", qid=1)).id == 1  # now in the cache
    n = 4000
    sender = threading.Thread(
        target=c.send, args=[make_query("burst.test.", qid=i) for i in range(n)])
    sender.start()
    ids = set()
    for _ in range(n):
        r = c.recv_one(timeout=10)
        assert a_addresses(r) == [be.host]
        ids.add(r.id)
    sender.join()
    assert ids == set(range(n))
    # Just over one read's worth, then nothing more: the rest is in TLS's buffers, not
    # the socket's, and must be answered without the client sending again.
    q = make_query("burst.test.", qid=0)
    m = 65536 // (len(q.to_wire()) + 2) + 40
    c.send(*[make_query("burst.test.", qid=i) for i in range(m)])
    assert sorted(c.recv_one(timeout=5).id for _ in range(m)) == list(range(m))
    assert be.tcp.count == 1  # every other answer came from the cache
    c.close()


def test_sni_rule_matches_the_dot_server_name(start_ballast, tcp_backend, tmp_path):
    """SNIRule sees the server name a DoT client sent (as over DoH); another name or none
    does not match."""
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    lua = 'addAction(SNIRule("DoT.test"), SpoofAction("192.0.2.77"))\n'
    b, (host, port) = start_dot(start_ballast, [be], cert, key, lua=lua)
    c = StreamClient(host, port, tls_context=client_context(cert), server_hostname="dot.test")
    assert a_addresses(c.ask(make_query("sni-match.test.", qid=1))) == ["192.0.2.77"]
    c.close()
    c = StreamClient(host, port, tls_context=client_context(cert), server_hostname="other.test")
    assert a_addresses(c.ask(make_query("sni-other.test.", qid=2))) == [be.host]
    c.close()
