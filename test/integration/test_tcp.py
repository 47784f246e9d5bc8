# SPDX-License-Identifier: GPL-2.0-only
"""DNS over TCP: answers, pipelining, truncation retry, limits and timeouts."""

import socket
import time

import dns.flags
import dns.query

import harness

from fakedns import a_addresses, make_query
from tcpdns import StreamClient


def start_with_local(start_ballast, servers, options, lua="", **kw):
    """ballast on a fresh address whose setLocal carries `options` (a Lua table)."""
    host = harness.ADDRESSES.next()
    port = harness.free_port(host)
    return start_ballast(servers, listen=[(host, port)], locals_in_config=False,
                         lua=f'setLocal("{host}:{port}", {options})\n' + lua, **kw)


def client_for(b, source="127.0.0.1", **kw):
    host, port = b.listen[0]
    return StreamClient(host, port, source=source, **kw)


def test_tcp_query_goes_to_backend_over_tcp(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be])
    base = b.fresh_counters()
    host, port = b.listen[0]
    q = make_query("tcp-one.test.", qid=4242)
    r = dns.query.tcp(q, host, port=port, timeout=3)
    assert r.id == 4242
    assert a_addresses(r) == [be.host]
    assert be.tcp.count == 1 and be.count == 0, "a TCP client's query goes over TCP"
    b.wait_deltas(base, {"queries": 1, "responses": 1, "tcp-queries": 1, "tcp-connections": 1})


def test_ten_pipelined_queries_answered_out_of_order(start_ballast, tcp_backend):
    be = tcp_backend()
    # maxInFlight lets ballast work on several queries of one connection at once (dnsdist).
    b = start_with_local(start_ballast, [be], "{maxInFlight=16}")
    c = client_for(b)
    # The first query is answered last, the last first.
    qs = [make_query(f"delay-{(10 - i) * 40}.pipe{i}.test.", qid=100 + i) for i in range(10)]
    c.send(*qs)
    ids = [c.recv_one().id for _ in range(10)]
    assert sorted(ids) == list(range(100, 110))
    assert ids == list(range(109, 99, -1)), f"answers not in the backend's order: {ids}"
    assert be.tcp.connections <= 10
    c.close()


def test_without_max_in_flight_queries_are_answered_one_at_a_time(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be])
    c = client_for(b)
    qs = [make_query(f"delay-{(3 - i) * 40}.serial{i}.test.", qid=200 + i) for i in range(3)]
    c.send(*qs)
    ids = [c.recv_one().id for _ in range(3)]
    assert ids == [200, 201, 202], "dnsdist's default (maxInFlight=0): in order"
    c.close()


def test_truncated_udp_answer_then_tcp_retry(start_ballast, tcp_backend, client):
    be = tcp_backend("tc")
    b = start_ballast([be])
    host, port = b.listen[0]
    q = make_query("truncated.test.", qid=77)
    r = client("127.0.0.1").ask(q, (host, port))
    assert r.flags & dns.flags.TC, "the truncated UDP answer reaches the client"
    assert be.count == 1
    r2 = dns.query.tcp(make_query("truncated.test.", qid=78), host, port=port, timeout=3)
    assert not r2.flags & dns.flags.TC
    assert r2.id == 78 and a_addresses(r2) == [be.host]
    assert be.tcp.count == 1, "the retry reached the backend over TCP"


def test_backend_tcp_connection_reused(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], server_opts=[{"maxConcurrentTCPConnections": 1}])
    for i in range(3):
        c = client_for(b)
        assert c.ask(make_query(f"reuse{i}.test.", qid=i)).id == i
        c.close()
    assert be.tcp.count == 3
    assert be.tcp.connections == 1, "one backend connection carried every query"


def test_max_connections_per_client(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], lua="setMaxTCPConnectionsPerClient(2)")
    base = b.fresh_counters()
    c1, c2 = client_for(b), client_for(b)
    assert c1.ask(make_query("pc1.test.", qid=1)).id == 1
    assert c2.ask(make_query("pc2.test.", qid=2)).id == 2
    c3 = client_for(b)
    assert c3.closed_by_peer(2.0), "a third connection from the same client is refused"
    other = client_for(b, source="127.0.0.2")
    assert other.ask(make_query("pc4.test.", qid=4)).id == 4, "other clients are not limited"
    b.wait_deltas(base, {"tcp-too-many-connections-per-client": 1})
    c1.close()
    # The count follows closes: room for one more once c1 is gone.
    deadline = time.monotonic() + 3
    while True:
        c5 = client_for(b)
        try:
            if c5.ask(make_query("pc5.test.", qid=5), timeout=1).id == 5:
                break
        except (ConnectionError, TimeoutError, OSError):
            pass
        c5.close()
        assert time.monotonic() < deadline, "the closed connection was not given back"
        time.sleep(0.05)
    for c in (c2, c3, other, c5):
        c.close()


def test_max_concurrent_connections_of_a_bind(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_with_local(start_ballast, [be], "{maxConcurrentTCPConnections=1}")
    host, port = b.listen[0]
    base = b.fresh_counters()
    c1 = StreamClient(host, port)
    assert c1.ask(make_query("mc1.test.", qid=1)).id == 1
    c2 = StreamClient(host, port, source="127.0.0.3")
    assert c2.closed_by_peer(2.0)
    b.wait_deltas(base, {"tcp-too-many-concurrent-connections": 1, "tcp-current-connections": 1})
    c1.close()
    c2.close()


def test_max_queries_per_connection(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], lua="setMaxTCPQueriesPerConnection(3)")
    base = b.fresh_counters()
    c = client_for(b)
    for i in range(3):
        assert c.ask(make_query(f"mq{i}.test.", qid=i)).id == i
    assert c.closed_by_peer(2.0), "closed after its third query"
    b.wait_deltas(base, {"tcp-too-many-queries-per-connection": 1, "tcp-queries": 3})
    c.close()


def test_half_length_prefix_then_stall_is_closed(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], lua="setTCPRecvTimeout(1)")
    base = b.fresh_counters()
    slow = client_for(b)
    slow.sock.sendall(b"\x00")  # half a length prefix, then nothing
    t0 = time.monotonic()
    other = client_for(b, source="127.0.0.4")
    assert other.ask(make_query("meanwhile.test.", qid=9)).id == 9, "others are served meanwhile"
    assert slow.closed_by_peer(3.0)
    assert 0.8 <= time.monotonic() - t0 <= 2.5
    b.wait_deltas(base, {"tcp-client-timeouts": 1}, exact=False)
    slow.close()
    other.close()


def test_idle_connection_closed_after_recv_timeout(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], lua="setTCPRecvTimeout(1)")
    c = client_for(b)
    assert c.ask(make_query("idle.test.", qid=3)).id == 3
    t0 = time.monotonic()
    assert c.closed_by_peer(3.0)
    assert time.monotonic() - t0 >= 0.8
    c.close()


def test_max_connection_duration(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be], lua="setMaxTCPConnectionDuration(1)\nsetTCPRecvTimeout(5)")
    base = b.fresh_counters()
    c = client_for(b)
    t0 = time.monotonic()
    # Kept busy, it still does not outlive the limit.
    closed = False
    for i in range(40):
        try:
            c.ask(make_query(f"dur{i}.test.", qid=i), timeout=1)
        except (ConnectionError, TimeoutError, OSError):
            closed = True
            break
        time.sleep(0.05)
    assert closed and time.monotonic() - t0 < 2.5
    b.wait_deltas(base, {"tcp-max-duration-exceeded": 1})
    c.close()


def test_garbage_length_frames_counted_connection_kept(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be])
    base = b.fresh_counters()
    c = client_for(b)
    c.send(b"\x01\x02\x03")  # a 3-byte "query"
    assert c.ask(make_query("after-garbage.test.", qid=11)).id == 11
    b.wait_deltas(base, {"noncompliant-queries": 1, "tcp-queries": 2})
    c.close()


def test_backend_tcp_refused_counts_as_drop(start_ballast, backends):
    be = backends()  # UDP only: TCP connections to it are refused
    b = start_ballast([be])
    base = b.fresh_counters()
    c = client_for(b)
    c.send(make_query("no-tcp.test.", qid=1))
    b.wait_deltas(base, {"downstream-timeouts": 1})
    rows = b.wait_servers(lambda r: r["b1"]["Drops"] >= 1, what="a drop for b1")
    assert rows["b1"]["Drops"] == 1
    c.close()


def test_show_tcp_stats(start_ballast, tcp_backend):
    be = tcp_backend()
    # showTCPStats is printed next to the harness's showServers once a second.
    lua = ("local orig = showServers\n"
           "showServers = function() showTCPStats() return orig() end\n"
           "setMaxTCPClientThreads(3)")
    b = start_ballast([be], lua=lua)
    c = client_for(b)
    assert c.ask(make_query("stats.test.", qid=1)).id == 1
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        out = b.stdout()
        lines = [l for l in out.splitlines() if l.startswith("Connections per thread:")]
        if lines and sum(int(x) for x in lines[-1].split(":")[1].split()) == 1:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no showTCPStats output with one connection:\n{b.stdout()[-2000:]}")
    assert len(lines[-1].split(":")[1].split()) == 3, "one figure per worker thread"
    assert "DiedRead" in out
    server_rows = [l.split() for l in out.splitlines()
                   if l.split()[:2] == ["0", "b1"] and l.split()[3:4] == ["udp"]]
    assert server_rows and server_rows[-1][4] == "1", "one TCP connection to b1"
    c.close()


def test_bad_tcp_settings_rejected(ballast_binary, tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text('setLocal("127.0.0.1:5300")\nsetMaxTCPClientThreads(0)\n')
    r = harness.run_binary(["--check-config", "-C", str(path)])
    assert r.returncode != 0
    assert f"{path}:2:" in r.stderr and "setMaxTCPClientThreads" in r.stderr


def test_queries_before_half_close_are_all_answered(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be])
    base = b.fresh_counters()
    c = client_for(b)
    c.send(*[make_query(f"delay-30.half{i}.test.", qid=300 + i) for i in range(3)])
    c.sock.shutdown(socket.SHUT_WR)  # one at a time (maxInFlight 0), the rest waiting
    assert [c.recv_one().id for _ in range(3)] == [300, 301, 302]
    assert c.closed_by_peer(2.0)
    b.wait_deltas(base, {"tcp-queries": 3, "tcp-died-reading-query": 0})
    c.close()


def test_closed_in_the_middle_of_a_query_counts_died_reading(start_ballast, tcp_backend):
    be = tcp_backend()
    b = start_ballast([be])
    base = b.fresh_counters()
    c = client_for(b)
    c.sock.sendall(b"\x00\x30" + b"\x12" * 10)  # 48 bytes announced, 10 sent
    c.close()
    b.wait_deltas(base, {"tcp-died-reading-query": 1})
