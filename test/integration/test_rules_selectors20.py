# SPDX-License-Identifier: GPL-2.0-only
"""The selectors and actions of issue 20 driven through the real binary: EDNSOptionRule,
RecordsCountRule, RecordsTypeCountRule, PoolOutstandingRule, RE2Rule, TagResponseAction /
SetTagResponseAction and TempFailureCacheTTLAction."""

import time

import dns.edns
import dns.message
import dns.rcode
import dns.rrset

import harness
from fakedns import make_query
from rules_util import ask, rcode

REFUSED, NXDOMAIN, NOERROR = dns.rcode.REFUSED, dns.rcode.NXDOMAIN, dns.rcode.NOERROR


def test_edns_option_rule(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua=(
        'addAction(EDNSOptionRule(EDNSOptionCode.COOKIE), RCodeAction(DNSRCode.REFUSED))\n'
        'addAction(EDNSOptionRule(65001), RCodeAction(DNSRCode.NXDOMAIN))\n'))
    c = client()
    dest = b.listen[0]
    assert rcode(ask(c, b, "plain.test.")) == NOERROR
    cookie = dns.message.make_query("c.test.", "A", use_edns=0,
                                    options=[dns.edns.GenericOption(10, b"\x01" * 8)])
    assert c.ask(cookie, dest).rcode() == REFUSED
    other = dns.message.make_query("o.test.", "A", use_edns=0,
                                   options=[dns.edns.GenericOption(65001, b"x")])
    assert c.ask(other, dest).rcode() == NXDOMAIN
    no_option = dns.message.make_query("e.test.", "A", use_edns=0)
    assert c.ask(no_option, dest).rcode() == NOERROR


def test_records_count_rules(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua=(
        # queries carrying answers are odd: refuse them
        'addAction(RecordsCountRule(DNSSection.Answer, 1, 65535), RCodeAction(DNSRCode.REFUSED))\n'
        # two OPT records in the additional section
        'addAction(RecordsTypeCountRule(DNSSection.Additional, 41, 2, 65535), DropAction())\n'
        'addAction(RecordsTypeCountRule(DNSSection.Question, "AAAA", 1, 1), '
        'RCodeAction(DNSRCode.NXDOMAIN))\n'))
    c = client()
    dest = b.listen[0]
    assert rcode(ask(c, b, "a.test.")) == NOERROR
    assert rcode(ask(c, b, "a.test.", "AAAA")) == NXDOMAIN
    q = make_query("b.test.")
    q.answer.append(dns.rrset.from_text("b.test.", 60, "IN", "A", "192.0.2.1"))
    assert c.ask(q, dest).rcode() == REFUSED
    wire = bytearray(make_query("d.test.").to_wire())
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
    wire[10:12] = (2).to_bytes(2, "big")  # arcount 2: two OPT records
    assert c.ask(bytes(wire) + opt + opt, dest, timeout=0.3) is None
    wire[10:12] = (1).to_bytes(2, "big")
    assert c.ask(bytes(wire) + opt, dest).rcode() == NOERROR


def test_re2_rule(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua=(
        'addAction(RE2Rule("[a-z]+[0-9]{3}\\\\.test"), RCodeAction(DNSRCode.REFUSED))\n'))
    c = client()
    assert rcode(ask(c, b, "abc123.test.")) == REFUSED
    assert rcode(ask(c, b, "x.abc123.test.")) == NOERROR  # the whole name must match
    assert rcode(ask(c, b, "abc12.test.")) == NOERROR


def test_bad_selector_arguments_fail_start_up(tmp_path):
    for call, reason in [('RE2Rule("a(b")', "bad RE2 expression"),
                         ("RecordsCountRule(1, 5, 2)", "minimum 5 above maximum 2"),
                         ("RecordsCountRule(4, 0, 2)", "the section must be a whole number")]:
        path = tmp_path / "bad.conf"
        path.write_text(f'setLocal("127.0.0.1:5300")\naddAction({call}, DropAction())\n')
        res = harness.run_binary(["-C", str(path), "--check-config"])
        text = res.stdout + res.stderr
        assert res.returncode != 0 and f"{path}:2:" in text and reason in text, text


def test_pool_outstanding_rule(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua=(
        'addAction(AndRule({QNameRule("probe.test."), PoolOutstandingRule("", 0)}), '
        'RCodeAction(DNSRCode.REFUSED))\n'))
    c = client()
    slow = client()
    assert rcode(ask(c, b, "probe.test.")) == NOERROR
    slow.send(make_query("delay-1500.test."), b.listen[0])  # in flight for 1.5 s
    time.sleep(0.2)
    assert rcode(ask(c, b, "probe.test.")) == REFUSED
    assert slow.recv(3.0) is not None
    assert rcode(ask(c, b, "probe.test.")) == NOERROR


def test_tag_response_actions(start_ballast, backends, client):
    b = start_ballast(servers=[backends()], lua=(
        'addResponseAction("t.test.", TagResponseAction("seen", "yes"))\n'
        'addResponseAction("s.test.", SetTagResponseAction("seen", "no"))\n'
        'addResponseAction(TagRule("seen", "yes"), DropResponseAction())\n'
        'addResponseAction(TagRule("seen"), SetMaxTTLResponseAction(7))\n'
        # a query tag reaches the self-answered response rules
        'addAction("q.test.", SetTagAction("k", "v"))\n'
        'addAction("q.test.", RCodeAction(DNSRCode.NXDOMAIN))\n'
        'addSelfAnsweredResponseAction(TagRule("k", "v"), DropResponseAction())\n'))
    c = client()
    assert ask(c, b, "x.t.test.", timeout=0.3) is None
    assert ask(c, b, "x.s.test.").answer[0].ttl == 7
    assert ask(c, b, "x.u.test.").answer[0].ttl == 60  # untagged
    assert ask(c, b, "q.test.", timeout=0.3) is None


def test_temp_failure_cache_ttl_action_old_name(start_ballast, backends, client):
    be = backends()
    b = start_ballast(servers=[be], lua=(
        'pc = newPacketCache(100, {temporaryFailureTTL=60})\n'
        'getPool(""):setCache(pc)\n'
        'addAction("servfail-short.test.", TempFailureCacheTTLAction(0))\n'))
    c = client()
    for _ in range(2):
        assert rcode(ask(c, b, "servfail-long.test.")) == dns.rcode.SERVFAIL
    assert be.count == 1  # cached for temporaryFailureTTL
    for _ in range(2):
        assert rcode(ask(c, b, "servfail-short.test.")) == dns.rcode.SERVFAIL
    assert be.count == 3  # TempFailureCacheTTLAction(0): not cached
