# SPDX-License-Identifier: GPL-2.0-only
"""DNSSEC validation in the embedded resolver, through the real binary, in the signed fake
hierarchy of signed_hierarchy.py (keys made at test time by ldns-keygen, zones signed by
ldns-signzone, served by nsd): secure answers get AD, insecure ones do not, bogus ones are
SERVFAIL with an Extended DNS Error unless the client sets CD; NSEC and NSEC3 denials and
wildcard expansions are proven; RRSIGs go to DO clients only. Compared with unbound
(validator iterator) on the same hierarchy where it is installed."""

import os
import socket
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

import harness
import signed_hierarchy as sh
import unbound_peer
from fakehierarchy import Nsd

pytestmark = pytest.mark.skipif(not sh.have_tools(), reason="ldnsutils not installed")

TIMEOUT_MS = 500


class SignedWorld:
    def __init__(self, workdir):
        b = f"127.{1 + os.getpid() % 60}.54."
        self.prefix = b
        self.root = f"{b}1"
        self.h = sh.build(Path(workdir) / "keys", b)
        self.anchor = Path(workdir) / "anchor.txt"
        self.anchor.write_text("; the fake root's KSK\n" + self.h.anchor + "\n")
        others = {z: t for z, t in self.h.zones.items() if z not in (".", "test.")}
        self.nsds = []
        try:
            for n, zones in ((1, {".": self.h.zones["."]}),
                             (2, {"test.": self.h.zones["test."]}), (3, others)):
                self.nsds.append(Nsd(Path(workdir) / f"nsd{n}", [f"{b}{n}"], zones))
            for nsd, probe in zip(self.nsds, (".", "test.", "secure.test.")):
                nsd.wait_ready(probe)
        except Exception:
            self.stop()
            raise

    def stop(self):
        for nsd in self.nsds:
            nsd.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = SignedWorld(tmp_path_factory.mktemp("signedworld"))
    yield w
    w.stop()


def resolver_lua(world, **opts):
    table = {"name": "rec", "instances": 1, "rootHints": [world.root],
             "outgoingTimeout": TIMEOUT_MS, "trustAnchors": str(world.anchor)}
    table.update(opts)
    return f"newResolver({harness.lua_value(table)})\n"


@pytest.fixture(scope="module")
def rec(world, module_ballast):
    return module_ballast(lua=resolver_lua(world))


def ask(b, name, rtype="A", do=True, ad=False, cd=False, edns=True, timeout=5.0):
    q = dns.message.make_query(name, rtype, use_edns=0 if edns else None,
                               want_dnssec=do and edns)
    q.flags = (q.flags | (dns.flags.AD if ad else 0) | (dns.flags.CD if cd else 0))
    host, port = b.listen[0]
    return _udp(q, host, port, timeout)


def _udp(q, host, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q.to_wire(), (host, port))
        wire, _ = s.recvfrom(65535)
        return dns.message.from_wire(wire)
    finally:
        s.close()


def ede(r):
    return [(o.code, o.text) for o in r.options if o.otype == dns.edns.EDE]


def types(section):
    return sorted(dns.rdatatype.to_text(x.rdtype) for x in section)


def test_secure_answer_has_ad_and_rrsigs_for_do_clients(rec):
    r = ask(rec, "www.secure.test.")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AD, r
    assert types(r.answer) == ["A", "RRSIG"]
    # Without DO nor AD: the same answer without AD and without RRSIG.
    r = ask(rec, "www.secure.test.", do=False)
    assert r.rcode() == dns.rcode.NOERROR and not r.flags & dns.flags.AD
    assert types(r.answer) == ["A"]
    # AD in the question (RFC 6840 5.7) is enough for AD.
    r = ask(rec, "www.secure.test.", do=False, ad=True)
    assert r.flags & dns.flags.AD and types(r.answer) == ["A"]


def test_nsec3_zone_is_secure(rec):
    r = ask(rec, "www.nsec3.test.")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD


@pytest.mark.parametrize("zone", ["rollover.test.", "rollover2.test."])
def test_algorithm_rollover_stays_secure(rec, zone):
    # Signed with ECDSA P-256 and Ed25519 keys, the parent's DS naming either algorithm.
    r = ask(rec, "www." + zone)
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD, r
    algs = {rd.algorithm for rs in r.answer if rs.rdtype == dns.rdatatype.RRSIG for rd in rs}
    assert algs == {13, 15}
    r = ask(rec, "nope." + zone)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AD, r


def test_insecure_delegations_answer_without_ad(rec):
    for name in ("www.insecure.test.", "www.unsigned.optout.test."):
        r = ask(rec, name)
        assert r.rcode() == dns.rcode.NOERROR, (name, r)
        assert not r.flags & dns.flags.AD, name
        assert [rd.to_text() for rs in r.answer for rd in rs] == ["192.0.2.1"], name


@pytest.mark.parametrize("zone,code", [("badsig.test.", 6), ("expired.test.", 7),
                                       ("missingds.test.", None), ("wrongkey.test.", 9)])
def test_bogus_is_servfail_with_extended_error(rec, zone, code):
    r = ask(rec, "www." + zone)
    assert r.rcode() == dns.rcode.SERVFAIL, (zone, r)
    assert not r.answer
    codes = [c for c, _ in ede(r)]
    assert codes, (zone, r)
    if code is not None:
        assert codes == [code], (zone, ede(r))
    else:
        assert codes[0] in (6, 9, 10, 12), (zone, ede(r))
    # No EDNS: SERVFAIL, no OPT at all.
    r = ask(rec, "www." + zone, edns=False)
    assert r.rcode() == dns.rcode.SERVFAIL and r.edns < 0


def test_cd_returns_the_bogus_answer_and_is_echoed(rec):
    r = ask(rec, "www.badsig.test.", cd=True)
    assert r.rcode() == dns.rcode.NOERROR, r
    assert r.flags & dns.flags.CD and not r.flags & dns.flags.AD
    assert "A" in types(r.answer)
    # Still bogus without CD (the cached data keeps its verdict).
    assert ask(rec, "www.badsig.test.").rcode() == dns.rcode.SERVFAIL


@pytest.mark.parametrize("zone,proof", [("secure.test.", "NSEC"), ("nsec3.test.", "NSEC3")])
def test_denials_are_proven(rec, zone, proof):
    r = ask(rec, "nope." + zone)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AD, r
    assert proof in types(r.authority) and "SOA" in types(r.authority)
    assert "RRSIG" in types(r.authority)
    r = ask(rec, "www." + zone, "TXT")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and r.flags & dns.flags.AD, r
    assert proof in types(r.authority)
    # Empty non-terminal (deep. has only a.deep. below it).
    r = ask(rec, "deep." + zone)
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and r.flags & dns.flags.AD, r
    # Non-DO clients get the SOA only.
    r = ask(rec, "nope2." + zone, do=False)
    assert r.rcode() == dns.rcode.NXDOMAIN and types(r.authority) == ["SOA"]


@pytest.mark.parametrize("zone", ["secure.test.", "nsec3.test."])
def test_wildcard_expansion_is_proven(rec, zone):
    r = ask(rec, "anything.wild." + zone, "TXT")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD, r
    assert types(r.answer) == ["RRSIG", "TXT"]
    assert set(types(r.authority)) & {"NSEC", "NSEC3"}, r
    # From the cache: the same.
    r = ask(rec, "anything.wild." + zone, "TXT")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD, r


def test_cache_hits_keep_the_verdict_and_counters_move(rec):
    base = rec.fresh_counters()
    assert ask(rec, "a.deep.secure.test.").flags & dns.flags.AD
    snap, _ = rec.wait_deltas(base, {"resolver-rec-dnssec-secure": 1})
    r = ask(rec, "a.deep.secure.test.")
    assert r.flags & dns.flags.AD
    rec.wait_deltas(snap, {"resolver-rec-dnssec-secure": 1, "resolver-rec-cache-hits": 1,
                           "resolver-rec-outgoing-queries": 0})
    snap = rec.fresh_counters()
    ask(rec, "a.deep.insecure.test.")
    ask(rec, "a.deep.expired.test.")
    rec.wait_deltas(snap, {"resolver-rec-dnssec-insecure": 1, "resolver-rec-dnssec-bogus": 1})


def test_dnssec_off_and_process(world, start_ballast):
    b = start_ballast(lua=resolver_lua(world, dnssec="off"))
    r = ask(b, "www.badsig.test.")
    assert r.rcode() == dns.rcode.NOERROR and not r.flags & dns.flags.AD
    assert types(r.answer) == ["A"]  # no DO upstream: no RRSIG to give
    p = start_ballast(lua=resolver_lua(world, dnssec="process"))
    # process: a client without DO or AD is not validated for...
    r = ask(p, "www.badsig.test.", do=False)
    assert r.rcode() == dns.rcode.NOERROR and not r.flags & dns.flags.AD
    # ...one with DO is.
    r = ask(p, "www.badsig.test.")
    assert r.rcode() == dns.rcode.SERVFAIL and ede(r)
    assert ask(p, "www.secure.test.").flags & dns.flags.AD


def test_negative_trust_anchor_makes_a_bogus_zone_insecure(world, start_ballast):
    b = start_ballast(lua=resolver_lua(world, negativeTrustAnchors=["badsig.test."]))
    r = ask(b, "www.badsig.test.")
    assert r.rcode() == dns.rcode.NOERROR and not r.flags & dns.flags.AD
    assert ask(b, "www.secure.test.").flags & dns.flags.AD


def test_real_root_anchor_makes_the_fake_root_bogus(world, start_ballast):
    # The built-in anchors are the IANA root KSKs: a fake root cannot chain to them.
    table = {"name": "rec", "rootHints": [world.root], "outgoingTimeout": TIMEOUT_MS,
             "tracing": True}
    b = start_ballast(lua=f"newResolver({harness.lua_value(table)})\n")
    r = ask(b, "www.secure.test.")
    assert r.rcode() == dns.rcode.SERVFAIL and [c for c, _ in ede(r)] in ([9], [6])


@pytest.mark.parametrize("opt,value,message", [
    ("dnssec", "strict", "dnssec must be"),
    ("trustAnchors", "/nonexistent/anchors", "trustAnchors"),
    ("negativeTrustAnchors", ["bad..name"], "negativeTrustAnchors"),
])
def test_bad_dnssec_options_fail_start_up(tmp_path, opt, value, message):
    conf = tmp_path / "bad.conf"
    conf.write_text(f"-- line 1\nnewResolver({harness.lua_value({'name': 'x', opt: value})})\n")
    res = harness.run_binary(["-C", str(conf), "--check-config"])
    assert res.returncode != 0 and message in res.stderr, res.stderr
    assert f"{conf}:2" in res.stderr, res.stderr


def test_bad_anchor_file_names_its_line(tmp_path):
    anchors = tmp_path / "anchors"
    anchors.write_text("; comment\n. IN DS 1234 8 2 zz\n")
    conf = tmp_path / "bad.conf"
    conf.write_text(f'newResolver{{name="x", trustAnchors="{anchors}"}}\n')
    res = harness.run_binary(["-C", str(conf), "--check-config"])
    assert res.returncode != 0 and f"{anchors}:2" in res.stderr, res.stderr


@pytest.mark.skipif(not unbound_peer.available(), reason="unbound not installed")
def test_same_verdicts_as_unbound(world, rec, tmp_path):
    u = unbound_peer.Unbound(tmp_path / "unbound", harness.new_listener(), world.root,
                             modules="validator iterator",
                             extra=[f'trust-anchor-file: "{world.anchor}"',
                                    "val-log-level: 2"])
    try:
        for name, rtype in [("www.secure.test.", "A"), ("www.nsec3.test.", "A"),
                            ("www.insecure.test.", "A"), ("www.unsigned.optout.test.", "A"),
                            ("www.badsig.test.", "A"), ("www.expired.test.", "A"),
                            ("www.missingds.test.", "A"), ("www.wrongkey.test.", "A"),
                            ("nope.secure.test.", "A"), ("nope.nsec3.test.", "A"),
                            ("x.wild.secure.test.", "TXT"), ("www.secure.test.", "TXT"),
                            ("www.rollover.test.", "A"), ("www.rollover2.test.", "A"),
                            ("nope.optout.test.", "A"), ("deep.nsec3.test.", "A")]:
            q = dns.message.make_query(name, rtype, want_dnssec=True)
            ours = _udp(q, *rec.listen[0], 5.0)
            theirs = _udp(q, u.host, u.port, 5.0)
            assert ours.rcode() == theirs.rcode(), (name, ours, theirs)
            assert bool(ours.flags & dns.flags.AD) == bool(theirs.flags & dns.flags.AD), (
                name, ours, theirs)
    finally:
        u.stop()


def test_counters_in_prometheus_json_and_show_resolvers(world, start_ballast):
    from webtest import API_KEY, get_json, new_web_address, request, wait_web, web_lua
    web = new_web_address()
    b = start_ballast(lua=web_lua(web) + resolver_lua(world))
    wait_web(web)
    base = b.fresh_counters()
    assert ask(b, "www.secure.test.").flags & dns.flags.AD
    assert ask(b, "www.insecure.test.").rcode() == dns.rcode.NOERROR
    assert ask(b, "www.badsig.test.").rcode() == dns.rcode.SERVFAIL
    names = {k: f"resolver-rec-dnssec-{k}" for k in ("secure", "insecure", "bogus",
                                                     "indeterminate")}
    snap, _ = b.wait_deltas(base, {names["secure"]: 1, names["insecure"]: 1,
                                   names["bogus"]: 1, names["indeterminate"]: 0})
    status, _, body = request(web, "/metrics", key=API_KEY)
    text = body.decode()
    assert status == 200
    stats = {i["name"]: i["value"] for i in
             get_json(web, "/api/v1/servers/localhost/statistics")}
    for kind, name in names.items():
        lines = [l for l in text.splitlines()
                 if not l.startswith("#") and f"resolver_rec_dnssec_{kind} " in l]
        assert lines and float(lines[0].split()[-1]) == snap[name], (kind, lines)
        assert int(stats[name]) == snap[name], (kind, stats[name])
    b.run_lua('showResolvers() return "done"')
    assert harness.first_line_matching(b.stdout(), r"^Name\s+DNSSEC\s+Secure\s+Insecure")
    row = [l.split() for l in b.stdout().splitlines() if l.split()[:2] == ["rec", "validate"]]
    assert row and [int(x) for x in row[-1][2:6]] == [snap[n] for n in names.values()], \
        b.stdout()[-1500:]


def test_cache_file_restart_answers_secure_without_asking(world, start_ballast, tmp_path):
    # The cache file keeps RRSIGs and proofs (version 2): after a restart the answer, the
    # DS and DNSKEY RRsets are validated again from it, with no query upstream.
    path = tmp_path / "rec.cache"
    lua = resolver_lua(world) + f'setResolverCacheFile("{path}", {{interval=0}})\n'
    b = start_ballast(lua=lua)
    assert ask(b, "www.nsec3.test.").flags & dns.flags.AD
    assert ask(b, "nope.secure.test.").flags & dns.flags.AD
    b.expect_exit = True  # SIGTERM: the cache is saved on the way out
    b.stop()
    assert b.proc.returncode == 0, b.diagnostics()
    b2 = start_ballast(lua=lua, listen=[b.listen[0]])
    assert "cache entries loaded from" in b2.stderr(), b2.diagnostics()
    base = b2.fresh_counters()
    r = ask(b2, "www.nsec3.test.")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD, r
    r = ask(b2, "nope.secure.test.")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AD, r
    b2.wait_deltas(base, {"resolver-rec-outgoing-queries": 0, "resolver-rec-dnssec-secure": 2,
                          "resolver-rec-cache-hits": 2})


def test_ds_and_dnskey_questions_are_validated(rec):
    # The DS is the parent's (asked of test.'s server); both get AD once the chain is walked.
    for name, rtype in (("secure.test.", "DS"), ("secure.test.", "DNSKEY"),
                        ("nsec3.test.", "DS"), (".", "DNSKEY")):
        r = ask(rec, name, rtype)
        assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD, (name, rtype, r)
        assert rtype in types(r.answer) and "RRSIG" in types(r.answer)
    # No DS for the unsigned child: a proven NODATA from the parent.
    r = ask(rec, "insecure.test.", "DS")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and r.flags & dns.flags.AD, r
    assert "NSEC" in types(r.authority)
    # The stripped DS: test.'s NSEC still lists DS, so the NODATA is bogus.
    r = ask(rec, "missingds.test.", "DS")
    assert r.rcode() == dns.rcode.SERVFAIL and ede(r), r
