# SPDX-License-Identifier: GPL-2.0-only
"""Each selector and action through the binary: one ballast for the module, one rule per
name under test., so every test reads the rule it set up and nothing else."""

import dns.flags
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

import harness
from fakedns import Client, a_addresses, make_query
import dns.message

from rules_util import RUNTIME_COMMANDS_LUA, ask, rcode, run_commands, ttls

REFUSED = dns.rcode.REFUSED


def refuse(selector, suffix):
    """A rule refusing the names under `suffix` that `selector` also matches."""
    return f'addAction(AndRule{{QNameSuffixRule("{suffix}"), {selector}}}, RCodeAction(DNSRCode.REFUSED))\n'


@pytest.fixture(scope="module")
def env(module_ballast, module_backends, tmp_path_factory):
    default, abuse = module_backends(), module_backends()
    listen = harness.new_listener()
    blocked = harness.ADDRESSES.next()
    logdir = tmp_path_factory.mktemp("logs")
    lua = "".join([
        RUNTIME_COMMANDS_LUA,
        refuse("AllRule()", "all.test."),
        'addAction(QNameRule("exact.qname.test."), RCodeAction(DNSRCode.REFUSED))\n',
        'addAction(QNameSuffixRule({"suffix.test.", "other-suffix.test."}), RCodeAction(DNSRCode.REFUSED))\n',
        'smn = newSuffixMatchNode()\nsmn:add("smn.test.")\n',
        'addAction(SuffixMatchNodeRule(smn), RCodeAction(DNSRCode.REFUSED))\n',
        'addAction(QNameSetRule({"a.set.test.", "b.set.test."}), RCodeAction(DNSRCode.REFUSED))\n',
        refuse('QTypeRule("AAAA")', "qtype.test."),
        refuse("QTypeRule(DNSQType.MX)", "qtype.test."),
        refuse("QClassRule(DNSClass.CHAOS)", "qclass.test."),
        refuse("OpcodeRule(DNSOpcode.Notify)", "opcode.test."),
        refuse("RDRule()", "rd.test."),
        refuse("TCPRule(false)", "udp.test."),
        refuse("TCPRule(true)", "tcp.test."),
        refuse(f"DSTPortRule({listen[1]})", "port.test."),
        refuse(f"DSTPortRule({(listen[1] + 1) % 65536})", "otherport.test."),
        f'nmg = newNMG()\nnmg:addMask("{blocked}/32")\n',
        refuse("NetmaskGroupRule(nmg)", "nmg.test."),
        refuse('RegexRule("^re[0-9]+\\\\.regex")', "regex.test."),
        refuse("QNameLabelsCountRule(1, 4)", "labels.test."),
        refuse("QNameWireLengthRule(1, 30)", "wire.test."),
        refuse("MaxQPSIPRule(5)", "qpsip.test."),
        refuse("NotRule(MaxQPSRule(5))", "qps.test."),
        refuse("ProbaRule(1.0)", "proba1.test."),
        refuse("ProbaRule(0.0)", "proba0.test."),
        refuse('OrRule{QTypeRule("AAAA"), QTypeRule("TXT")}', "or.test."),
        refuse('NotRule(QTypeRule("A"))', "not.test."),
        'addAction("tag.test.", SetTagAction("color", "blue"))\n',
        refuse('TagRule("color", "blue")', "tag.test."),
        refuse('TagRule("color", "red")', "tagred.test."),
        'addAction("tagany.test.", ContinueAction(SetTagAction("seen", "")))\n',
        refuse('TagRule("seen")', "tagany.test."),
        refuse('PoolAvailableRule("abuse")', "poolup.test."),
        refuse('PoolAvailableRule("nosuchpool")', "pooldown.test."),
        f'addAction(makeRule({{"{blocked}/32"}}), RCodeAction(DNSRCode.REFUSED))\n',
        'addAction(makeRule("made.test."), RCodeAction(DNSRCode.REFUSED))\n',
        # Actions.
        'addAction("drop.test.", DropAction(), {name="dropper"})\n',
        'addAction("allow.test.", AllowAction())\n',
        'addAction("allow.test.", DropAction())\n',
        'addAction("none.test.", NoneAction())\n',
        'addAction("none.test.", RCodeAction(DNSRCode.NXDOMAIN))\n',
        'addAction("ercode.test.", ERCodeAction(DNSRCode.BADVERS))\n',
        'addAction("tc.test.", TCAction())\n',
        'addAction("spoof.test.", SpoofAction({"192.0.2.10", "192.0.2.11", "2001:db8::10"}, {ttl=30}))\n',
        'addAction("cname.test.", SpoofAction("target.example."))\n',
        'addAction("raw.test.", SpoofRawAction("\\192\\000\\002\\077"))\n',
        'addAction("pool.test.", PoolAction("abuse"))\n',
        'addAction("poolgo.test.", PoolAction("abuse", false))\n',
        'addAction("poolgo.test.", SetNoRecurseAction())\n',
        'addAction("qpspool.test.", QPSPoolAction(5, "abuse"))\n',
        f'addAction("log.test.", LogAction("{logdir}/queries.log"))\n',
        'addAction("skip.test.", SetSkipCacheAction())\n',
        'addAction("norec.test.", SetNoRecurseAction())\n',
        'addAction("cd.test.", SetDisableValidationAction())\n',
        'addAction("continue.test.", ContinueAction(DropAction()))\n',
        # Response rules.
        'addResponseAction(AndRule{QNameSuffixRule("rdrop.test."), RCodeRule(DNSRCode.NXDOMAIN)}, DropResponseAction())\n',
        'addResponseAction("rallow.test.", AllowResponseAction())\n',
        'addResponseAction("rallow.test.", DropResponseAction())\n',
        'addResponseAction("maxttl.test.", SetMaxTTLResponseAction(10))\n',
        'addResponseAction("minttl.test.", SetMinTTLResponseAction(100))\n',
        'addResponseAction("limitttl.test.", LimitTTLResponseAction(70, 80))\n',
        'addResponseAction("limitttl-aaaa.test.", LimitTTLResponseAction(70, 80, {DNSQType.AAAA}))\n',
        f'addResponseAction("rlog.test.", LogResponseAction("{logdir}/responses.log"))\n',
        'addResponseAction(ERCodeRule(DNSRCode.REFUSED), SetMaxTTLResponseAction(1))\n',
        'addAction("sa.test.", SpoofAction("192.0.2.99", {ttl=300}))\n',
        'addSelfAnsweredResponseAction("sa.test.", SetMaxTTLResponseAction(5))\n',
        'addSelfAnsweredResponseAction("sadrop.test.", DropResponseAction())\n',
        'addAction("sadrop.test.", RCodeAction(DNSRCode.REFUSED))\n',
        'addCacheHitResponseAction("cache.test.", DropResponseAction(), {name="cachehit"})\n',
    ])
    b = module_ballast(servers=[default, abuse], listen=[listen],
                       server_opts=[{}, {"pool": "abuse"}], lua=lua)
    b.fresh_counters()
    return {"b": b, "default": default, "abuse": abuse, "blocked": blocked, "logdir": logdir}


@pytest.fixture
def c(client):
    return client("127.0.0.1")


def forwarded_by(msg, be):
    assert msg is not None, "no answer"
    assert msg.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(msg.rcode())
    return a_addresses(msg) == [be.answer]


@pytest.mark.parametrize("refused, passed, rdtype", [
    ("x.all.test.", None, "A"),
    ("exact.qname.test.", "sub.exact.qname.test.", "A"),
    ("a.b.suffix.test.", "suffix-not.test.", "A"),
    ("other-suffix.test.", "other.test.", "A"),
    ("deep.smn.test.", "smn2.test.", "A"),
    ("a.set.test.", "c.set.test.", "A"),
    ("re1.regex.test.", "x.regex.test.", "A"),
    ("a.b.x.labels.test.", "x.labels.test.", "A"),  # outside [1, 4] labels matches
    ("a-much-longer-name-here.wire.test.", "x.wire.test.", "A"),  # outside [1, 30] bytes
    ("x.udp.test.", None, "A"),
    ("x.port.test.", None, "A"),
    ("x.proba1.test.", None, "A"),
    ("x.made.test.", None, "A"),
    ("x.poolup.test.", None, "A"),
])
def test_name_selectors(env, c, refused, passed, rdtype):
    b, default = env["b"], env["default"]
    assert rcode(ask(c, b, refused, rdtype)) == REFUSED
    if passed:
        assert forwarded_by(ask(c, b, passed, rdtype), default)


def test_regex_and_labels_count_do_not_match_everything(env, c):
    b, default = env["b"], env["default"]
    assert rcode(ask(c, b, "re12.regex.test.")) == REFUSED
    assert forwarded_by(ask(c, b, "xre12.regex.test."), default)
    assert forwarded_by(ask(c, b, "a.b.labels.test."), default)  # 4 labels: inside


@pytest.mark.parametrize("suffix, qtype, expect_refused", [
    ("qtype.test.", "AAAA", True), ("qtype.test.", "MX", True), ("qtype.test.", "A", False),
    ("or.test.", "TXT", True), ("or.test.", "A", False),
    ("not.test.", "AAAA", True), ("not.test.", "A", False),
])
def test_qtype_or_not(env, c, suffix, qtype, expect_refused):
    got = ask(c, env["b"], "x." + suffix, qtype)
    assert got is not None
    assert (got.rcode() == REFUSED) == expect_refused


def test_class_rule(env, c):
    b = env["b"]
    q = dns.message.make_query("x.qclass.test.", "TXT", rdclass=dns.rdataclass.CH)
    assert rcode(c.ask(q, b.listen[0], timeout=1.0)) == REFUSED
    q = dns.message.make_query("x.qclass.test.", "A")
    assert rcode(c.ask(q, b.listen[0], timeout=1.0)) == dns.rcode.NOERROR


def test_opcode_rule(env, c):
    b = env["b"]
    q = dns.message.make_query("x.opcode.test.", "SOA")
    q.set_opcode(dns.opcode.NOTIFY)
    assert rcode(c.ask(q, b.listen[0], timeout=1.0)) == REFUSED


def test_rd_rule(env, c):
    b = env["b"]
    assert rcode(ask(c, b, "x.rd.test.", rd=True)) == REFUSED
    assert forwarded_by(ask(c, b, "x.rd.test.", rd=False), env["default"])


def test_tcp_and_port_rules_do_not_match_otherwise(env, c):
    b = env["b"]
    assert forwarded_by(ask(c, b, "x.tcp.test."), env["default"])
    assert forwarded_by(ask(c, b, "x.otherport.test."), env["default"])
    assert forwarded_by(ask(c, b, "x.proba0.test."), env["default"])
    assert forwarded_by(ask(c, b, "x.pooldown.test."), env["default"])


def test_netmask_group_and_make_rule_by_source(env, client):
    b = env["b"]
    inside, outside = client(env["blocked"]), client("127.0.0.1")
    assert rcode(ask(inside, b, "x.nmg.test.")) == REFUSED
    assert forwarded_by(ask(outside, b, "x.nmg.test."), env["default"])
    # makeRule("<address>/32") refuses anything from that address
    assert rcode(ask(inside, b, "anything.test.")) == REFUSED


def test_tags(env, c):
    b = env["b"]
    assert rcode(ask(c, b, "x.tag.test.")) == REFUSED       # tag set by the rule before
    assert forwarded_by(ask(c, b, "x.tagred.test."), env["default"])
    assert rcode(ask(c, b, "x.tagany.test.")) == REFUSED    # ContinueAction(SetTagAction)


@pytest.mark.parametrize("suffix, rule", [("qpsip.test.", "MaxQPSIPRule"), ("qps.test.", "MaxQPSRule")])
def test_max_qps(env, c, suffix, rule):
    b = env["b"]
    got = []
    for i in range(30):
        r = ask(c, b, f"q{i}.{suffix}")
        assert r is not None
        got.append(r.rcode())
    passed = got.count(dns.rcode.NOERROR)
    # 5 a second with a burst of 5: the first 5 pass, then about one per 200 ms.
    assert 5 <= passed <= 15, f"{rule}: {passed} of 30 passed"
    assert got[:5] == [dns.rcode.NOERROR] * 5
    assert got.count(REFUSED) == 30 - passed


def test_drop_action_and_counter(env, c):
    b = env["b"]
    base = b.fresh_counters()
    assert ask(c, b, "x.drop.test.", timeout=0.3) is None
    b.wait_deltas(base, {"rule-drop": 1})


def test_allow_stops_and_none_continues(env, c):
    b = env["b"]
    assert forwarded_by(ask(c, b, "x.allow.test."), env["default"])
    base = b.fresh_counters()
    assert rcode(ask(c, b, "x.none.test.")) == dns.rcode.NXDOMAIN
    b.wait_deltas(base, {"rule-nxdomain": 1, "self-answered": 1, "frontend-nxdomain": 1})


def test_ercode_action(env, c):
    got = ask(c, env["b"], "x.ercode.test.", payload=1232)
    assert got is not None and got.rcode() == dns.rcode.BADVERS


def test_tc_action(env, c):
    got = ask(c, env["b"], "x.tc.test.")
    assert got is not None and got.flags & dns.flags.TC and not got.answer


def test_spoof_actions(env, c):
    b = env["b"]
    got = ask(c, b, "x.spoof.test.")
    assert sorted(a_addresses(got)) == ["192.0.2.10", "192.0.2.11"] and ttls(got) == [30]
    got = ask(c, b, "x.spoof.test.", "AAAA")
    assert [rd.address for rrset in got.answer for rd in rrset] == ["2001:db8::10"]
    got = ask(c, b, "x.cname.test.")
    assert got.answer[0].rdtype == dns.rdatatype.CNAME
    assert got.answer[0][0].target.to_text() == "target.example."
    got = ask(c, b, "x.raw.test.")
    assert a_addresses(got) == ["192.0.2.77"]
    assert env["default"].queries == [] or all(
        "spoof" not in q.msg.question[0].name.to_text() for q in env["default"].queries)


def test_pool_actions(env, c):
    b, abuse, default = env["b"], env["abuse"], env["default"]
    assert forwarded_by(ask(c, b, "x.pool.test."), abuse)
    # PoolAction(name, false) goes on: the next rule clears RD, and the pool holds
    abuse.reset()
    assert forwarded_by(ask(c, b, "x.poolgo.test."), abuse)
    assert not abuse.queries[-1].msg.flags & dns.flags.RD
    answered_by = [a_addresses(ask(c, b, f"q{i}.qpspool.test."))[0] for i in range(20)]
    to_abuse = answered_by.count(abuse.answer)
    assert 5 <= to_abuse <= 12 and answered_by.count(default.answer) == 20 - to_abuse


def test_header_actions(env, c):
    b, default = env["b"], env["default"]
    default.reset()
    assert forwarded_by(ask(c, b, "x.norec.test.", rd=True), default)
    assert not default.queries[-1].msg.flags & dns.flags.RD
    assert forwarded_by(ask(c, b, "x.cd.test."), default)
    assert default.queries[-1].msg.flags & dns.flags.CD
    assert forwarded_by(ask(c, b, "x.skip.test."), default)
    assert forwarded_by(ask(c, b, "x.continue.test."), default)


def test_log_actions(env, c):
    b = env["b"]
    assert ask(c, b, "x.log.test.") is not None
    assert ask(c, b, "x.rlog.test.") is not None
    qlog = (env["logdir"] / "queries.log").read_text()
    assert f"Packet from 127.0.0.1:{c.port} for x.log.test. A with id" in qlog
    rlog = (env["logdir"] / "responses.log").read_text()
    assert f"Response from 127.0.0.1:{c.port} for x.rlog.test. A with id" in rlog


def test_response_rules(env, c):
    b = env["b"]
    assert ask(c, b, "nxdomain-1.rdrop.test.", timeout=0.4) is None
    assert ask(c, b, "ok.rdrop.test.") is not None
    assert ask(c, b, "x.rallow.test.") is not None
    assert ttls(ask(c, b, "x.maxttl.test.")) == [10]
    assert ttls(ask(c, b, "x.minttl.test.")) == [100]
    assert ttls(ask(c, b, "x.limitttl.test.")) == [70]
    assert ttls(ask(c, b, "x.limitttl-aaaa.test.")) == [60]  # only AAAA records limited


def test_self_answered_response_rules(env, c):
    b = env["b"]
    got = ask(c, b, "x.sa.test.")
    assert a_addresses(got) == ["192.0.2.99"] and ttls(got) == [5]
    assert ask(c, b, "x.sadrop.test.", timeout=0.3) is None


def test_show_rules_counts_matches(env, c):
    b = env["b"]
    for _ in range(3):
        ask(c, b, "y.drop.test.", timeout=0.2)
    # showRules writes to stdout (the configuration's output) when run from maintenance
    run_commands(b, 'print("SHOW-BEGIN")\nshowRules()\nshowCacheHitResponseRules()\nprint("SHOW-END")\n')
    out = b.stdout().split("SHOW-BEGIN")[-1].split("SHOW-END")[0]
    line = next(l for l in out.splitlines() if "dropper" in l)
    assert int(line.split()[2]) >= 3 and "qname in drop.test." in line and line.rstrip().endswith("drop")
    assert "cachehit" in out
