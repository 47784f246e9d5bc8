# SPDX-License-Identifier: GPL-2.0-only
"""DelayAction and DelayResponseAction through the binary: the UDP answer is held back by
the delay while other answers keep flowing; streams are never delayed; answers held back
go out when ballast stops. Orders of arrival are compared, not speeds: a held answer must
arrive after one asked later, and never before its delay."""

import signal
import time

import dns.message
import dns.rcode

from fakedns import a_addresses, make_query
from tcpdns import StreamClient, TcpSide

DELAY_MS = 700


def lua():
    return "".join([
        f'addAction("slow.test.", DelayAction({DELAY_MS}))\n',
        f'addAction("spoofslow.test.", DelayAction({DELAY_MS}))\n',
        'addAction("spoofslow.test.", SpoofAction("192.0.2.7"))\n',
        f'addResponseAction("rslow.test.", DelayResponseAction({DELAY_MS}))\n',
        'addAction("huge.test.", DelayAction(600000))\n',
        'addResponseAction("rhuge.test.", DelayResponseAction(600000))\n',
    ])


import pytest


@pytest.fixture(scope="module")
def env(module_backends, module_ballast):
    be = module_backends()
    tcp = TcpSide(be)  # stream clients reach the backend over TCP
    b = module_ballast(servers=[be], lua=lua())
    yield b, be
    tcp.stop()


def held_back(c, b, slow, fast):
    """Asks `slow` then `fast` from one UDP socket; returns (answers in arrival order as
    qnames, seconds until the slow one came)."""
    t0 = time.monotonic()
    c.send(make_query(slow, "A"), b.listen[0])
    c.send(make_query(fast, "A"), b.listen[0])
    got = c.recv_all(2, timeout=10)
    assert len(got) == 2, f"{len(got)} answers of 2{b.diagnostics()}"
    names, when = [], None
    for wire, _ in got:
        msg = dns.message.from_wire(wire)
        names.append(msg.question[0].name.to_text())
        if names[-1] == slow:
            when = time.monotonic() - t0
    return names, when


def test_delay_action_holds_the_udp_answer(env, client):
    b, be = env
    c = client("127.0.0.1")
    base = b.fresh_counters()
    names, when = held_back(c, b, "a.slow.test.", "a.fast.test.")
    assert names == ["a.fast.test.", "a.slow.test."]
    assert when >= DELAY_MS / 1000 * 0.95
    # The query itself went to the backend at once: only the answer waited.
    assert "a.slow.test." in [q.msg.question[0].name.to_text() for q in be.queries]
    # A locally made answer (the rule after the delay) is held back too.
    names, when = held_back(c, b, "x.spoofslow.test.", "b.fast.test.")
    assert names == ["b.fast.test.", "x.spoofslow.test."]
    assert when >= DELAY_MS / 1000 * 0.95
    b.wait_deltas(base, {"delayed-responses": 2, "delayed-responses-dropped": 0}, exact=False)


def test_delay_response_action_holds_the_udp_answer(env, client):
    b, _ = env
    c = client("127.0.0.1")
    names, when = held_back(c, b, "a.rslow.test.", "c.fast.test.")
    assert names == ["c.fast.test.", "a.rslow.test."]
    assert when >= DELAY_MS / 1000 * 0.95


def test_streams_are_not_delayed(env):
    b, _ = env
    # Ten minutes of delay on these names: over TCP they are answered at once all the same.
    s = StreamClient(*b.listen[0])
    try:
        for name in ("t.huge.test.", "t.rhuge.test."):
            got = s.ask(make_query(name, "A"), timeout=5)
            assert got.rcode() == dns.rcode.NOERROR and a_addresses(got), got
    finally:
        s.close()


def test_held_answers_go_out_on_shutdown(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua='addAction("long.test.", DelayAction(600000))\n')
    c = client("127.0.0.1")
    c.send(make_query("x.long.test.", "A"), b.listen[0])
    b.wait_counters(lambda s: s.get("delayed-responses", 0) >= 1, what="the answer held back")
    assert c.recv(0.2) is None
    b.proc.send_signal(signal.SIGTERM)
    got = c.recv(10)
    assert got is not None, "the held answer was not sent at shutdown"
    assert a_addresses(dns.message.from_wire(got[0])) == [be.answer]
    assert b.wait_exit() == 0


def test_bad_delay_fails_start_up(start_ballast, backends):
    b = start_ballast(servers=[backends()], lua='addAction("x.test.", DelayAction(-1))\n',
                      wait=False)
    assert b.wait_exit() != 0
    err = b.stderr()
    assert "ballast.conf" in err and "DelayAction" in err and "delay in milliseconds" in err, err
