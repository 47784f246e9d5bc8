# SPDX-License-Identifier: GPL-2.0-only
"""What ballast does with a backend's responses: relay, or drop and count.

Two ballast processes serve the whole module (one strict, one with
setAllowEmptyResponse(true)), each with one fake backend whose mode each test
sets. Every test waits for its own counter deltas, including the timeout of a
query whose response was dropped, so the next test starts from settled
counters.
"""

import pytest

from fakedns import Client, make_query


@pytest.fixture(scope="module")
def strict(module_ballast, module_backends):
    be = module_backends()
    b = module_ballast(servers=[be], lua="setUDPTimeout(1)\n")
    b.fresh_counters()
    return b, be


@pytest.fixture(scope="module")
def lenient(module_ballast, module_backends):
    be = module_backends()
    b = module_ballast(servers=[be], lua="setUDPTimeout(1)\nsetAllowEmptyResponse(true)\n")
    b.fresh_counters()
    return b, be


def exchange(server, mode, name, qid, timeout=0.5):
    """Set the backend's mode, send one query, return (baseline, datagram or None)."""
    b, be = server
    be.mode = mode
    be.reset()
    base = b.counters()
    with Client("127.0.0.1") as c:
        got = c.ask_raw(make_query(name, qid=qid), b.listen[0], timeout=timeout)
        extra = c.recv(0.05) if got is not None else None
    assert be.count == 1 and len(be.sent) >= 1, "the backend did not get the query"
    assert extra is None, f"the client got a second datagram: {extra!r}"
    return base, got


def counter_check(b, base, expected):
    """wait_deltas, returning its failure instead of raising it (asserted last)."""
    try:
        b.wait_deltas(base, expected)
        return None
    except AssertionError as e:
        return e


@pytest.mark.parametrize("mode", ["wrong-question", "wrong-qtype", "wrong-qclass",
                                  "short-response", "qr-clear"])
def test_bad_response_dropped_and_counted(strict, mode):
    """A response that does not answer the query (or is no response) never reaches the client;
    the query then times out."""
    b, _ = strict
    base, got = exchange(strict, mode, "asked.test.", 4321)
    problem = counter_check(b, base, {"noncompliant-responses": 1, "responses": 0,
                                      "downstream-timeouts": 1})
    assert got is None, f"a {mode} response reached the client: {got!r}"
    assert problem is None, problem


# dnsdist (responseContentMatches): a response without a question cannot be matched
# to its query. With NOERROR or NXDOMAIN it is dropped unless setAllowEmptyResponse(true);
# with any other rcode (FORMERR, SERVFAIL, REFUSED, NOTIMP: what a server that did not
# understand the query sends) it is relayed.
@pytest.mark.parametrize("label,allow,relayed", [
    ("noerror", False, False),
    ("nxdomain", False, False),
    ("formerr", False, True),
    ("refused", False, True),
    ("servfail", False, True),
    ("noerror", True, True),
    ("nxdomain", True, True),
    ("servfail", True, True),
])
def test_response_without_question(strict, lenient, label, allow, relayed):
    server = lenient if allow else strict
    b, be = server
    base, got = exchange(server, "empty-response", f"{label}-empty.test.", 0x4e4e)
    setting = f"setAllowEmptyResponse({str(allow).lower()})"
    if relayed:
        if got is None:
            # Dropped after all: let its timeout be counted before the next test's baseline.
            counter_check(b, base, {"downstream-timeouts": 1})
            pytest.fail(f"a {label.upper()} response without question was dropped ({setting})")
        problem = counter_check(b, base, {"responses": 1, "noncompliant-responses": 0})
        assert got[0][:2] == b"\x4e\x4e" and got[0][2:] == be.sent[0][2:]
    else:
        problem = counter_check(b, base, {"responses": 0, "noncompliant-responses": 1,
                                          "downstream-timeouts": 1})
        assert got is None, f"a {label.upper()} response without question was relayed ({setting})"
    assert problem is None, problem


def test_duplicate_response_delivered_once(strict):
    b, be = strict
    base, got = exchange(strict, "duplicate", "twice.test.", 0x2222, timeout=1.0)
    problem = counter_check(b, base, {"responses": 1, "downstream-timeouts": 0})
    assert len(be.sent) == 2, "the backend did not answer twice"
    assert got is not None, "neither copy of the answer reached the client"
    assert problem is None, problem


def test_late_response_after_timeout_dropped(strict):
    """Answered after setUDPTimeout(1) expired the query: counted as a timeout, not relayed."""
    b, be = strict
    base, got = exchange(strict, "normal", "delay-1800-late.test.", 0x6161, timeout=2.6)
    problem = counter_check(b, base, {"downstream-timeouts": 1, "responses": 0})
    assert len(be.sent) == 1
    assert got is None, "an answer arrived after setUDPTimeout(1) had expired the query"
    assert problem is None, problem
