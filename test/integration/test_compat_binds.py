# SPDX-License-Identifier: GPL-2.0-only
"""dnsdist 1.7's listening-socket and TLS frontend options (issue 20), through the binary:
addLocal's interface, cpus, tcpListenQueueSize and tcpFastOpenQueueSize, and addTLSLocal's
sessionTimeout, numberOfStoredSessions, preferServerCiphers, keyLogFile and
ticketsKeysRotationDelay."""

import os
import re
import ssl
import subprocess
import time

import harness
from fakedns import a_addresses, make_query
from tcpdns import StreamClient
from test_dot import client_context, make_cert, start_dot


def threads_pinned_to(pid, cpu_list):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except FileNotFoundError:
            continue
        m = re.search(r"^Cpus_allowed_list:\s*(\S+)", status, re.M)
        if m and m.group(1) == cpu_list:
            out.append(tid)
    return out


def test_add_local_socket_options(start_ballast, backends, client):
    be = backends()
    host = harness.ADDRESSES.next()
    port = harness.free_port(host)
    b = start_ballast([be], listen=[(host, port)], locals_in_config=False,
                      lua=f'setLocal("{host}:{port}", {{interface="lo", cpus={{0}}, '
                          f'tcpListenQueueSize=37, tcpFastOpenQueueSize=16}})\n')
    r = client().ask(make_query("bind-opts.test."), (host, port))
    assert a_addresses(r) == [be.host]
    # The listen() backlog is what ss shows as Send-Q of a listening socket.
    ss = subprocess.run(["ss", "-ltnH", f"src {host}:{port}"], capture_output=True,
                        text=True, check=True).stdout
    assert ss.split()[2] == "37", ss
    if os.cpu_count() > 1:
        # The UDP listener's and the TCP acceptor's threads.
        assert len(threads_pinned_to(b.proc.pid, "0")) >= 2


def test_add_local_unknown_interface_stops_start_up(start_ballast):
    host = harness.ADDRESSES.next()
    port = harness.free_port(host)
    b = start_ballast(listen=[(host, port)], locals_in_config=False, wait=False,
                      lua=f'setLocal("{host}:{port}", {{interface="nosuchif0"}})\n')
    assert b.wait_exit() not in (None, 0)
    assert "nosuchif0" in b.stderr() + b.stdout()


def resumed(host, port, ctx, session=None):
    c = StreamClient(host, port, tls_context=ctx, session=session)
    assert c.ask(make_query("resume.test.", qid=1)).id == 1
    out = c.sock.session_reused, c.sock.session
    # A clean close (close_notify): OpenSSL forgets the session of a peer that just vanished.
    try:
        c.sock.unwrap().close()
    except (OSError, ssl.SSLError):
        c.close()
    return out


def test_tls_session_cache_and_timeout(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    b, (host, port) = start_dot(start_ballast, [be], cert, key, "sessionTimeout=321")
    ctx = client_context(cert, tls13=False)
    reused, sess = resumed(host, port, ctx)
    assert not reused and sess.has_ticket and sess.ticket_lifetime_hint == 321
    b2, (host2, port2) = start_dot(start_ballast, [be], cert, key, "sessionTickets=false")
    reused, sess = resumed(host2, port2, ctx)
    assert not reused and not sess.has_ticket
    assert resumed(host2, port2, ctx, sess)[0], "the stored session resumes without tickets"


def test_tls_no_stored_sessions(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    b, (host, port) = start_dot(start_ballast, [be], cert, key,
                                "sessionTickets=false, numberOfStoredSessions=0")
    ctx = client_context(cert, tls13=False)
    _, sess = resumed(host, port, ctx)
    assert not resumed(host, port, ctx, sess)[0]


def test_tls_tickets_key_rotation_delay(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    b, (host, port) = start_dot(start_ballast, [be], cert, key,
                                "numberOfTicketsKeys=1, numberOfStoredSessions=0, "
                                "ticketsKeysRotationDelay=2")
    ctx = client_context(cert, tls13=False)
    _, sess = resumed(host, port, ctx)
    assert resumed(host, port, ctx, sess)[0]
    time.sleep(2.5)
    assert not resumed(host, port, ctx, sess)[0], "the key was rotated after the delay"


def negotiated_cipher(host, port, cert, order):
    ctx = client_context(cert, tls13=False)
    ctx.set_ciphers(order)
    c = StreamClient(host, port, tls_context=ctx)
    name = c.sock.cipher()[0]
    c.close()
    return name


def test_tls_prefer_server_ciphers_and_key_log(start_ballast, tcp_backend, tmp_path):
    be = tcp_backend()
    cert, key = make_cert(tmp_path, "dot.test")
    log = tmp_path / "keys.log"
    server = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"
    client = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
    b, (host, port) = start_dot(start_ballast, [be], cert, key,
                                f'ciphers="{server}", keyLogFile="{log}"')
    assert negotiated_cipher(host, port, cert, client) == "ECDHE-ECDSA-AES256-GCM-SHA384"
    assert "CLIENT_RANDOM " in log.read_text(), "TLS 1.2 secrets are logged"
    b2, (host2, port2) = start_dot(start_ballast, [be], cert, key,
                                   f'ciphers="{server}", preferServerCiphers=false')
    assert negotiated_cipher(host2, port2, cert, client) == "ECDHE-ECDSA-AES128-GCM-SHA256"
