# SPDX-License-Identifier: GPL-2.0-only
"""UDP forwarding: IDs, flags, qname case, load sharing, timeouts, reply source."""

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

import harness
from fakedns import a_addresses, make_query, wait_until


def test_answer_keeps_client_id(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be])
    c = client()
    for qid in (0, 1, 0x1234, 0xBEEF, 0xFFFF):
        name = f"id-{qid}.test."
        r = c.ask(make_query(name, qid=qid), b.listen[0])
        assert r is not None, f"no answer to query id {qid:#x}"
        assert r.id == qid
        assert r.flags & dns.flags.QR
        assert r.rcode() == dns.rcode.NOERROR
        assert r.question[0].name.to_text() == name
        assert a_addresses(r) == [be.answer]
    assert be.count == 5


def test_same_id_from_two_clients_both_answered(start_ballast, backends, client):
    """Two clients in flight with the same ID: ballast must keep them apart."""
    be = backends(mode="delayed", delay=0.2)
    b = start_ballast(servers=[be])
    c1, c2 = client("127.0.0.1"), client("127.0.0.3")
    c1.send(make_query("same-id-one.test.", qid=0x4242), b.listen[0])
    c2.send(make_query("same-id-two.test.", qid=0x4242), b.listen[0])
    for c, name in ((c1, "same-id-one.test."), (c2, "same-id-two.test.")):
        got = c.recv(3.0)
        assert got is not None, f"client {c.host} got no answer"
        r = dns.message.from_wire(got[0])
        assert r.id == 0x4242
        assert r.question[0].name.to_text() == name, \
            f"client {c.host} got the answer meant for the other client"
    assert be.count == 2


@pytest.mark.parametrize("rd", [True, False])
def test_rd_flag_preserved(start_ballast, backends, client, rd):
    be = backends()
    b = start_ballast(servers=[be])
    r = client().ask(make_query("rd.test.", qid=77, rd=rd), b.listen[0])
    assert r is not None
    assert be.count == 1
    seen = be.queries[0].msg
    assert bool(seen.flags & dns.flags.RD) == rd, "RD flag changed on the way to the backend"
    assert bool(r.flags & dns.flags.RD) == rd, "RD flag changed on the way back"


def test_qname_case_preserved(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be])
    name = "MiXeD-CaSe.ExAmPlE.TeSt."
    r = client().ask(make_query(name, qid=99), b.listen[0])
    assert r is not None
    assert be.count == 1
    assert be.queries[0].msg.question[0].name.to_text() == name, \
        "qname case changed on the way to the backend"
    assert r.question[0].name.to_text() == name, "qname case changed in the answer"


def test_fixup_case_restores_client_case(start_ballast, backends, client):
    """A backend that lowercases the question: fixupCase(true) restores the client's case."""
    be = backends(mode="lowercase")
    b = start_ballast(servers=[be], lua="fixupCase(true)\n")
    name = "UPPER-Case.TeSt."
    r = client().ask(make_query(name, qid=5), b.listen[0])
    assert r is not None, "answer with a differently-cased question was dropped"
    assert r.question[0].name.to_text() == name


def test_load_shared_between_backends(start_ballast, backends, client):
    """leastOutstanding spreads concurrent queries over equally fast backends."""
    bes = [backends(mode="delayed", delay=0.03) for _ in range(3)]
    b = start_ballast(servers=bes)
    before = b.wait_servers(lambda rows: len(rows) == 3, what="three servers listed")
    for be in bes:
        be.reset()
    c = client()
    answers = {}
    total, burst = 300, 30
    for start in range(0, total, burst):
        for qid in range(start, start + burst):
            c.send(make_query(f"share-{qid}.test.", qid=qid), b.listen[0])
        for wire, _src in c.recv_all(burst, timeout=3.0):
            msg = dns.message.from_wire(wire)
            answers[msg.id] = a_addresses(msg)
    assert len(answers) == total, f"only {len(answers)} of {total} queries answered"
    counts = {be.answer: be.count for be in bes}
    assert sum(counts.values()) == total, f"backends saw {counts}"
    for be in bes:
        assert be.count >= total // 5, f"unfair share: {counts}"
        answered_by = sum(1 for a in answers.values() if a == [be.answer])
        assert answered_by == be.count, f"{be}: answered {answered_by}, received {be.count}"
    # showServers' Queries column agrees with what each backend received.
    base = {name: row["Queries"] for name, row in before.items()}
    after = b.wait_servers(
        lambda rows: sum(r["Queries"] for r in rows.values()) - sum(base.values()) >= total,
        what=f"{total} more queries in showServers")
    for i, be in enumerate(bes):
        name = f"b{i + 1}"
        assert after[name]["Queries"] - base[name] == be.count, \
            f"showServers {name}: {after[name]} vs backend count {be.count}"
        assert after[name]["Address"] == be.address
        assert after[name]["State"].lower() == "up"


def test_lowest_order_preferred_when_idle(start_ballast, backends, client):
    """Equal outstanding (zero, queries one at a time): the lower order wins."""
    first, second = backends(), backends()
    b = start_ballast(servers=[second, first],
                      server_opts=[{"order": 2}, {"order": 1}])
    c = client()
    for i in range(20):
        assert c.ask(make_query(f"order-{i}.test.", qid=i), b.listen[0]) is not None
    assert (first.count, second.count) == (20, 0)
    rows = b.wait_servers(lambda rows: len(rows) == 2, what="two servers listed")
    assert (rows["b1"]["Ord"], rows["b2"]["Ord"]) == (2, 1)


def test_other_pool_not_used_for_default_pool(start_ballast, backends, client):
    default_be, pooled_be = backends(), backends()
    b = start_ballast(servers=[default_be, pooled_be],
                      server_opts=[{}, {"pool": "abuse"}])
    c = client()
    for i in range(10):
        r = c.ask(make_query(f"pool-{i}.test.", qid=i), b.listen[0])
        assert r is not None and a_addresses(r) == [default_be.answer]
    assert (default_be.count, pooled_be.count) == (10, 0)
    rows = b.wait_servers(lambda rows: len(rows) == 2, what="two servers listed")
    assert rows["b2"]["Pools"] == "abuse" and rows["b1"]["Pools"] == ""


def test_dead_backend_timeouts_counted(start_ballast, backends, client):
    """A backend that never answers: timeouts and Drops counted, the live one still serves."""
    live = backends(mode="delayed", delay=0.1)
    dead = backends(mode="silent")
    b = start_ballast(servers=[live, dead], lua="setUDPTimeout(1)\n")
    base = b.fresh_counters()
    base_rows = b.wait_servers(lambda rows: len(rows) == 2, what="two servers listed")
    c = client()
    n = 20
    for qid in range(n):
        c.send(make_query(f"dead-{qid}.test.", qid=qid), b.listen[0])
    got = c.recv_all(n, timeout=1.5)
    assert wait_until(lambda: live.count + dead.count >= n), \
        f"backends got {live.count} + {dead.count} of {n} queries"
    assert live.count >= 5 and dead.count >= 5, \
        f"leastOutstanding should split concurrent queries: live {live.count}, dead {dead.count}"
    assert len(got) == live.count, \
        f"{len(got)} answers for {live.count} queries sent to the live backend"
    for wire, _ in got:
        msg = dns.message.from_wire(wire)
        assert a_addresses(msg) == [live.answer]
    b.wait_deltas(base, {"downstream-timeouts": dead.count}, timeout=6.0)
    rows = b.wait_servers(
        lambda r: r["b2"]["Drops"] - base_rows["b2"]["Drops"] >= dead.count,
        what=f"{dead.count} drops on b2")
    assert rows["b2"]["Drops"] - base_rows["b2"]["Drops"] == dead.count
    assert rows["b1"]["Drops"] == base_rows["b1"]["Drops"], "the live backend got drops"


def test_answer_source_is_queried_address_on_wildcard(start_ballast, backends, client, new_addr):
    """Listening on 0.0.0.0, each answer leaves from the address the client queried."""
    be = backends()
    port = harness.free_port("0.0.0.0")
    addr1, addr2 = new_addr(), new_addr()
    start_ballast(servers=[be], listen=[(addr1, port), (addr2, port)],
                      locals_in_config=False, lua=f'setLocal("0.0.0.0:{port}")\n')
    c = client()
    for i, addr in enumerate((addr1, addr2, addr1)):
        r = c.ask(make_query(f"src-{i}.test.", qid=i), (addr, port))
        assert r is not None, f"no answer via {addr}"
        assert r.src == (addr, port), f"queried {addr}:{port}, answer came from {r.src}"


def test_answer_source_with_two_locals(start_ballast, backends, client):
    be = backends()
    l1, l2 = harness.new_listener(), harness.new_listener()
    start_ballast(servers=[be], listen=[l1, l2])
    c = client()
    for i, dest in enumerate((l1, l2)):
        r = c.ask(make_query(f"two-{i}.test.", qid=i), dest)
        assert r is not None, f"no answer via {dest}"
        assert r.src == dest


def test_reuseport_local(start_ballast, backends, client):
    """Two binds of one address with reusePort=true: both start, every query is answered."""
    be = backends()
    host, port = harness.new_listener()
    b = start_ballast(servers=[be], listen=[(host, port)], locals_in_config=False,
                      lua=f'addLocal("{host}:{port}", {{reusePort=true}})\n'
                          f'addLocal("{host}:{port}", {{reusePort=true}})\n')
    clients = [client(f"127.0.2.{i + 1}") for i in range(8)]
    for i, c in enumerate(clients):
        r = c.ask(make_query(f"reuse-{i}.test.", qid=i), b.listen[0])
        assert r is not None and a_addresses(r) == [be.answer], f"no answer for {c.host}"


@pytest.mark.parametrize("truncate", [False, True])
def test_truncate_tc(start_ballast, backends, client, truncate):
    """A TC=1 answer: relayed as is, or cut to the question with truncateTC(true)."""
    be = backends(mode="tc")
    b = start_ballast(servers=[be], lua=f"truncateTC({str(truncate).lower()})\n")
    r = client().ask(make_query("truncated.test.", qid=0x7c7c), b.listen[0])
    assert r is not None
    assert r.flags & dns.flags.TC
    assert r.question[0].name.to_text() == "truncated.test."
    if truncate:
        assert r.answer == [] and r.authority == [], "truncateTC(true) kept the records"
    else:
        assert r.raw[2:] == be.sent[0][2:], "truncateTC(false) changed the TC answer"


needs_ipv6 = pytest.mark.skipif(not harness.ipv6_loopback_usable(), reason="::1 cannot be bound")


@needs_ipv6
def test_ipv6_local(start_ballast, backends, client):
    be = backends()
    listen = ("::1", harness.free_port("::1"))
    start_ballast(servers=[be], listen=[listen])
    r = client("::1").ask(make_query("v6.test.", qid=6), listen)
    assert r is not None and a_addresses(r) == [be.answer]
    assert r.src[0] == "::1"


@needs_ipv6
def test_ipv6_backend(start_ballast, backends, client):
    be = backends(host="::1", answer="192.0.2.66")
    b = start_ballast(servers=[be])
    r = client().ask(make_query("v6-backend.test.", qid=66), b.listen[0])
    assert r is not None and a_addresses(r) == ["192.0.2.66"]
    assert be.queries[0].src[0] == "::1"


@pytest.mark.parametrize("name,payload,dnssec,padding", [
    ("plain.test.", None, False, 0),
    ("edns-do.test.", 1232, True, 0),
    ("big-200.test.", 4096, False, 0),
    ("padded-query.test.", 4096, False, 1400),
])
def test_query_and_response_pass_unchanged(start_ballast, backends, client, name, payload,
                                           dnssec, padding):
    """Apart from the ID, the backend sees the client's bytes and the client the backend's."""
    be = backends()
    b = start_ballast(servers=[be])
    q = make_query(name, qid=0x3c3c, payload=payload, want_dnssec=dnssec)
    if padding:
        q.use_edns(0, payload=payload, options=[dns.edns.GenericOption(12, bytes(padding))])
    wire = q.to_wire()
    r = client().ask(wire, b.listen[0], timeout=2.0)
    assert r is not None, f"no answer to {name}"
    assert be.count == 1
    assert be.queries[0].wire[2:] == wire[2:], "the query changed on its way to the backend"
    assert r.raw[:2] == wire[:2]
    assert r.raw[2:] == be.sent[0][2:], \
        f"the response changed on its way back ({len(be.sent[0])} bytes sent, {len(r.raw)} received)"
    if name.startswith("big-"):
        assert len(r.raw) > 3000 and len(a_addresses(r)) == 200
    if padding:
        assert len(wire) > 1400


def test_many_clients_in_flight_at_once(start_ballast, backends, client):
    """8 clients x 50 queries sent without waiting: every answer reaches the right client."""
    bes = [backends(), backends()]
    b = start_ballast(servers=bes)
    base = b.fresh_counters()
    clients = [client(f"127.0.1.{i + 1}") for i in range(8)]
    per = 50
    for n, c in enumerate(clients):
        for i in range(per):
            c.send(make_query(f"c{n}-q{i}.test.", qid=(n * 1000 + i) & 0xFFFF), b.listen[0])
    for n, c in enumerate(clients):
        got = c.recv_all(per, timeout=5.0)
        assert len(got) == per, f"client {c.host}: {len(got)} of {per} answers"
        for wire, _ in got:
            msg = dns.message.from_wire(wire)
            i = msg.id - n * 1000
            assert 0 <= i < per, f"client {c.host} got another client's answer (id {msg.id})"
            assert msg.question[0].name.to_text() == f"c{n}-q{i}.test."
    assert sum(be.count for be in bes) == 8 * per
    b.wait_deltas(base, {"queries": 8 * per, "responses": 8 * per, "downstream-timeouts": 0})


def test_forged_response_from_other_address_ignored(start_ballast, backends, client, new_addr):
    """A response with the right ID and question but from another address is not relayed."""
    be = backends(mode="silent")
    b = start_ballast(servers=[be], lua="setUDPTimeout(2)\n")
    c = client()
    c.send(make_query("forged.test.", qid=0x0f0f), b.listen[0])
    assert wait_until(lambda: be.count == 1), "the query did not reach the backend"
    seen = be.queries[0]
    forged = dns.message.make_response(seen.msg)
    forged.answer.append(dns.rrset.from_text(seen.msg.question[0].name, 60, "IN", "A", "6.6.6.6"))
    attacker = client(new_addr())
    attacker.sock.sendto(forged.to_wire(), seen.src)
    assert c.recv(0.5) is None, "ballast relayed a response from an address it never queried"
    # The same response from the backend's own address is relayed: the check above means something.
    be.sock.sendto(forged.to_wire(), seen.src)
    got = c.recv(1.0)
    assert got is not None, "the genuine response (from the backend's address) was not relayed"
    assert dns.message.from_wire(got[0]).id == 0x0f0f
