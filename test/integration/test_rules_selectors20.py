# SPDX-License-Identifier: GPL-2.0-only
"""The selectors and actions of issue 20 driven through the real binary: EDNSOptionRule,
RecordsCountRule, RecordsTypeCountRule, PoolOutstandingRule, RE2Rule, TagResponseAction /
SetTagResponseAction and TempFailureCacheTTLAction."""

import time

import dns.edns
import dns.flags
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


SVC_LUA = r'''
local svc = { newSVCRecordParameters(1, "dot.example.", { mandatory={"port"}, alpn={ "dot" },
                noDefaultAlpn=true, port=853, ipv4hint={ "192.0.2.1" }, ipv6hint={ "2001:db8::1" } }),
              newSVCRecordParameters(2, "doh.example.", { mandatory={"port"}, alpn={ "h2" },
                port=443, ipv4hint={ "192.0.2.2" }, key42 = "/dns-query{?dns}" }) }
addAction(AndRule{QTypeRule(64), QNameRule("_dns.resolver.arpa.")}, SpoofSVCAction(svc, {ttl=300, aa=true}))
addAction(AndRule{QTypeRule(65), QNameRule("alias.test.")},
          SpoofSVCAction({newSVCRecordParameters(0, "target.test.")}))
'''


def test_spoof_svc_action(start_ballast, backends, client):
    import dns.rdtypes.svcbbase as svcbbase
    b = start_ballast(servers=[backends()], lua=SVC_LUA)
    c = client()
    r = ask(c, b, "_dns.resolver.arpa.", "SVCB")
    assert r.rcode() == NOERROR and r.flags & dns.flags.AA
    rrset = r.answer[0]
    assert rrset.rdtype == 64 and rrset.ttl == 300 and len(rrset) == 2
    by_prio = {rd.priority: rd for rd in rrset}
    dot = by_prio[1]
    assert str(dot.target) == "dot.example."
    assert dot.params[svcbbase.ParamKey.PORT].port == 853
    assert dot.params[svcbbase.ParamKey.ALPN].ids == (b"dot",)
    assert svcbbase.ParamKey.NO_DEFAULT_ALPN in dot.params
    assert [str(a) for a in dot.params[svcbbase.ParamKey.IPV6HINT].addresses] == ["2001:db8::1"]
    assert dot.params[svcbbase.ParamKey.MANDATORY].keys == (svcbbase.ParamKey.PORT,)
    doh = by_prio[2]
    assert doh.params[42].value == b"/dns-query{?dns}"
    extra = sorted((str(rr.name), rr.rdtype, str(rr[0])) for rr in r.additional)
    assert extra == [("doh.example.", 1, "192.0.2.2"), ("dot.example.", 1, "192.0.2.1"),
                     ("dot.example.", 28, "2001:db8::1")]
    alias = ask(c, b, "alias.test.", "HTTPS")
    assert alias.answer[0].rdtype == 65 and alias.answer[0][0].priority == 0
    assert str(alias.answer[0][0].target) == "target.test."


def test_svc_parameters_refused_with_reason(tmp_path):
    for call, reason in [('newSVCRecordParameters(1, "a.", {port="x"})', "port expects a port number"),
                         ('newSVCRecordParameters(1, "a.", {ipv4hint={"::1"}})', "ipv4hint expects IPv4"),
                         ('newSVCRecordParameters(1, "a.", {bogus="x"})', "unknown SVC parameter key 'bogus'"),
                         ('newSVCRecordParameters(1, "a.", {alpn={""}})', "alpn value must be 1 to 255")]:
        path = tmp_path / "bad.conf"
        path.write_text(f'setLocal("127.0.0.1:5300")\nlocal p = {call}\n')
        res = harness.run_binary(["-C", str(path), "--check-config"])
        text = res.stdout + res.stderr
        assert res.returncode != 0 and f"{path}:2:" in text and reason in text, text
