# SPDX-License-Identifier: GPL-2.0-only
"""Malformed queries are counted and dropped; the server keeps answering."""

import random
import struct

import dns.flags
import dns.message
import dns.rcode
import pytest

from fakedns import Client, a_addresses, make_query

RD = 0x0100
QR = 0x8000
QTYPE_A_IN = struct.pack("!HH", 1, 1)


def header(qid=0x2a2a, flags=RD, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def garbage():
    """Random bytes, with a header that passes the cheap checks (QR clear,
    opcode QUERY, one question) so only the qname parser can reject it: the
    first label byte has the reserved 0b10 type."""
    rng = random.Random(20240607)
    body = bytearray(rng.getrandbits(8) for _ in range(60))
    body[12] = 0x80 | (body[12] & 0x3F)
    return header(qid=0x6a6a, flags=RD, qd=1) + bytes(body[12:])


MALFORMED = {
    "short-3-bytes": b"\x12\x34\x01",
    "short-11-bytes": header()[:11],
    "truncated-question": header() + b"\x03foo",
    "compression-loop-self": header() + b"\xc0\x0c" + QTYPE_A_IN,
    "compression-loop-indirect": header() + b"\x03foo\xc0\x0c" + QTYPE_A_IN,
    # qname is a pointer to offset 18, after itself and the qtype/qclass.
    "compression-forward-pointer": header() + b"\xc0\x12" + QTYPE_A_IN + b"\x03foo\x04test\x00",
    "label-64-bytes": header() + b"\x40" + b"a" * 64 + b"\x04test\x00" + QTYPE_A_IN,
    "name-over-255-bytes": header() + (b"\x3c" + b"b" * 60) * 5 + b"\x04test\x00" + QTYPE_A_IN,
    "garbage": garbage(),
    "qr-set": header(flags=QR | RD) + b"\x02qr\x04test\x00" + QTYPE_A_IN,
}


@pytest.fixture(scope="module")
def server(module_ballast, module_backends):
    """One ballast for the whole module: each test checks its own counter delta."""
    be = module_backends()
    b = module_ballast(servers=[be])
    b.fresh_counters()
    return b, be


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_malformed_query_counted_and_dropped(server, kind):
    b, be = server
    base = b.counters()
    be.reset()
    with Client("127.0.0.1") as c:
        got = c.ask_raw(MALFORMED[kind], b.listen[0], timeout=0.5)
        if got is not None:
            # Dropping is expected; a FORMERR answer is tolerated, anything else is not.
            assert kind != "qr-set", f"ballast answered a packet with QR set: {got[0]!r}"
            assert len(got[0]) >= 12 and got[0][2] & 0x80 and (got[0][3] & 0x0F) == 1, \
                f"malformed query ({kind}) got a non-FORMERR answer: {got[0]!r}"
        assert b.alive(), f"ballast died on a {kind} packet{b.diagnostics()}"
        r = c.ask(make_query("after-malformed.test.", qid=0x0bad), b.listen[0])
        assert r is not None, f"no answer to a good query after a {kind} packet"
        assert a_addresses(r) == [be.answer]
    assert be.count == 1 and be.unparsable == 0, \
        f"the {kind} packet was forwarded to the backend ({be.count} in-zone, " \
        f"{be.unparsable} unparsable)"
    b.wait_deltas(base, {"noncompliant-queries": 1})


def test_random_packets_do_not_stop_the_server(server):
    b, be = server
    base = b.fresh_counters()
    rng = random.Random(7)
    short = 0
    with Client("127.0.0.1") as c:
        for _ in range(300):
            size = rng.choice([0, 1, 5, 11, 12, 13, 17, 30, 64, 300, 512, 1400])
            short += size < 12
            c.send(bytes(rng.getrandbits(8) for _ in range(size)), b.listen[0])
        c.drain()
        assert b.alive(), f"ballast died on random packets{b.diagnostics()}"
        c.drain()
        r = c.ask(make_query("after-random.test.", qid=0x0ddd), b.listen[0], timeout=3.0)
        assert r is not None, "no answer to a good query after random packets"
        assert a_addresses(r) == [be.answer]
    # Every packet shorter than a DNS header is non-compliant whatever its bytes.
    snap = b.fresh_counters()
    moved = snap["noncompliant-queries"] - base["noncompliant-queries"]
    assert moved >= short, f"{short} packets shorter than 12 bytes, noncompliant-queries +{moved}"


def test_empty_query_answered_notimp(server):
    b, _be = server
    base = b.fresh_counters()
    with Client("127.0.0.1") as c:
        got = c.ask_raw(header(qid=0x5151, qd=0), b.listen[0], timeout=2.0)
    assert got is not None, "no answer to a query with qdcount=0"
    r = dns.message.from_wire(got[0])
    assert r.id == 0x5151
    assert r.flags & dns.flags.QR
    assert r.rcode() == dns.rcode.NOTIMP
    snap, _ = b.wait_deltas(base, {"empty-queries": 1})
    assert snap["noncompliant-queries"] == base["noncompliant-queries"], \
        "an empty query was also counted as non-compliant"


def test_empty_query_dropped_when_configured(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua="setDropEmptyQueries(true)\n")
    base = b.fresh_counters()
    got = client().ask_raw(header(qid=0x5252, qd=0), b.listen[0], timeout=1.0)
    assert got is None, f"setDropEmptyQueries(true) but an empty query was answered: {got!r}"
    b.wait_deltas(base, {"empty-queries": 1})
    assert be.count == 0
