# SPDX-License-Identifier: GPL-2.0-only
"""Rule management while ballast runs: rmRule, mvRule, topRule, clearRules, setRules and
the response-rule equivalents, each an atomic swap that loses no query."""

import threading

import dns.rcode

from fakedns import a_addresses, make_query
from rules_util import RUNTIME_COMMANDS_LUA, ask, rcode, run_commands

REFUSED, NXDOMAIN, NOERROR = dns.rcode.REFUSED, dns.rcode.NXDOMAIN, dns.rcode.NOERROR


def start(start_ballast, backends, lua):
    be = backends()
    return start_ballast(servers=[be], lua=RUNTIME_COMMANDS_LUA + lua), be


def test_rm_mv_top_clear(start_ballast, backends, client):
    b, be = start(start_ballast, backends,
                  'addAction("a.test.", RCodeAction(DNSRCode.REFUSED), {name="first"})\n'
                  'addAction("a.test.", RCodeAction(DNSRCode.NXDOMAIN), {name="second"})\n')
    c = client()
    assert rcode(ask(c, b, "x.a.test.")) == REFUSED
    run_commands(b, "mvRule(0, 1)")  # in front of rule 1: where it is (dnsdist)
    assert rcode(ask(c, b, "x.a.test.")) == REFUSED
    run_commands(b, "mvRule(0, 2)")  # one past the last: to the end
    assert rcode(ask(c, b, "x.a.test.")) == NXDOMAIN
    run_commands(b, "topRule()")  # the last rule ("first") back on top
    assert rcode(ask(c, b, "x.a.test.")) == REFUSED
    run_commands(b, 'rmRule("first")')
    assert rcode(ask(c, b, "x.a.test.")) == NXDOMAIN
    run_commands(b, "rmRule(0)")
    assert rcode(ask(c, b, "x.a.test.")) == NOERROR
    run_commands(b, 'addAction("a.test.", DropAction())\naddAction("a.test.", DropAction())')
    assert ask(c, b, "x.a.test.", timeout=0.3) is None
    run_commands(b, "clearRules()")
    assert rcode(ask(c, b, "x.a.test.")) == NOERROR


def test_set_rules_and_bad_commands_change_nothing(start_ballast, backends, client):
    b, be = start(start_ballast, backends, 'addAction("a.test.", RCodeAction(DNSRCode.REFUSED))\n')
    c = client()
    run_commands(b, 'setRules({newRuleAction("b.test.", RCodeAction(DNSRCode.NXDOMAIN), {name="n"}),'
                    ' newRuleAction("c.test.", DropAction())})')
    assert rcode(ask(c, b, "x.a.test.")) == NOERROR
    assert rcode(ask(c, b, "x.b.test.")) == NXDOMAIN
    assert ask(c, b, "x.c.test.", timeout=0.3) is None
    for bad in ('rmRule(7)', 'rmRule("nope")', 'mvRule("nope", 0)',
                'setRules({newRuleAction("d.test.", DropAction()), 3})'):
        try:
            run_commands(b, bad)
        except AssertionError as e:
            assert "runtime commands failed" in str(e)
        else:
            raise AssertionError(f"{bad} did not fail")
    assert rcode(ask(c, b, "x.b.test.")) == NXDOMAIN
    assert ask(c, b, "x.c.test.", timeout=0.3) is None


def test_response_rule_management(start_ballast, backends, client):
    b, be = start(start_ballast, backends,
                  'addResponseAction("a.test.", SetMaxTTLResponseAction(5), {name="five"})\n'
                  'addResponseAction("a.test.", SetMaxTTLResponseAction(3))\n')
    c = client()
    assert ask(c, b, "x.a.test.").answer[0].ttl == 3
    run_commands(b, "topResponseRule()")  # the ttl-3 rule first, then 5 changes nothing
    assert ask(c, b, "x.a.test.").answer[0].ttl == 3
    run_commands(b, "rmResponseRule(0)")
    assert ask(c, b, "x.a.test.").answer[0].ttl == 5
    run_commands(b, "clearResponseRules()")
    assert ask(c, b, "x.a.test.").answer[0].ttl == 60


def test_rule_changes_lose_no_query(start_ballast, backends, client):
    """Queries flow while the rules are replaced four times: every one is answered, by the
    old rules or the new ones."""
    b, be = start(start_ballast, backends, 'addAction("swap.test.", RCodeAction(DNSRCode.REFUSED))\n')
    c = client()
    stop = threading.Event()
    results = []

    def flow():
        i = 0
        while not stop.is_set():
            got = c.ask(make_query(f"q{i}.swap.test.", qid=i % 65536), b.listen[0], timeout=1.0)
            results.append(None if got is None else got.rcode())
            i += 1

    t = threading.Thread(target=flow)
    t.start()
    try:
        for k in range(4):
            code = "NXDOMAIN" if k % 2 == 0 else "REFUSED"
            run_commands(b, f'clearRules()\naddAction("swap.test.", RCodeAction(DNSRCode.{code}))'
                         if k % 2 else
                         f'setRules({{newRuleAction("swap.test.", RCodeAction(DNSRCode.{code}))}})')
    finally:
        stop.set()
        t.join()
    assert len(results) > 50
    assert None not in results, f"{results.count(None)} of {len(results)} queries lost"
    assert set(results) <= {REFUSED, NXDOMAIN, NOERROR}
    assert NXDOMAIN in results and REFUSED in results
