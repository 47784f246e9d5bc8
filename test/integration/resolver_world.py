# SPDX-License-Identifier: GPL-2.0-only
"""The hierarchy the resolver tests resolve in: nsd for the well-behaved zones,
FakeAuth servers for the faults. Addresses: base + n, all on port 53.

  .1  nsd: "."       (a.root-servers.net.)        one nsd process per address, so
  .2  nsd: test.     (ns.test.)                   each level answers with referrals
  .3  nsd: example.test., glueless.test. (ns1/ns.example.test.)
  .10 counted.test.  answers A 192.0.2.10, nx* NXDOMAIN, AAAA NODATA; counts queries
  .11 poison.test.   answers, and slips in ns1.example.test. A 6.6.6.6 (out of bailiwick)
  .12 loop.test.     a.loop.test. CNAME b.loop.test. CNAME a.loop.test.
  .13 refloop.test.  refers every query back to refloop.test. itself
  .14 dead.test.     never answers
  .15 tc.test.       truncates over UDP, answers over TCP
  .16 formerr.test.  FORMERR to EDNS, answers without
  .17 lame.test.     REFUSED
  .18 slow.test.     answers A 192.0.2.18 after 200 ms
  .19 brokenent.test. NXDOMAIN for empty non-terminals (x.brokenent.test.), A 192.0.2.19
                      for the names below them: QNAME minimisation must fall back
  .20 evil.test.     NXDOMAIN for every name, with a CNAME to www.victim.test. (another
                      zone, which has it): the rcode must not be believed for it
  victim.test. (nsd .3) www.victim.test. A 192.0.2.90
  example.test. has a DS in test. (parent side only); old.example.test. DNAME example.test.
  .30-.38 many.test.  nine silent servers (UDP sockets bound, never read) and
  .39                 one that answers A 192.0.2.39 (FakeAuth)
  .40 closed.test.   nothing listens: every query is refused at once (ICMP)
  v6.test.           only AAAA glue (ns.v6.test. ::1): the test that uses it runs the server
"""

import socket
import time
from pathlib import Path

import dns.flags
import dns.rcode
import dns.rdatatype

from fakehierarchy import SOA, FakeAuth, Nsd, base_prefix, response, rr

FAULT_ZONES = {"counted": 10, "poison": 11, "loop": 12, "refloop": 13, "dead": 14, "tc": 15,
               "formerr": 16, "lame": 17, "slow": 18, "brokenent": 19, "evil": 20, "many": 39}
SILENT_MANY = range(30, 39)

# The DS of example.test. in the parent zone (an unsigned hierarchy: only where it is
# asked matters, the digest is never checked).
EXAMPLE_DS = "12345 13 2 " + "ab" * 32


def zone_texts(b):
    root = f"""$TTL 3600
. IN SOA {SOA.format(zone='root-servers.net.')}
. IN NS a.root-servers.net.
a.root-servers.net. IN A {b}1
test. IN NS ns.test.
ns.test. IN A {b}2
"""
    tld = f"""$TTL 3600
test. IN SOA {SOA.format(zone='test.')}
test. IN NS ns.test.
ns.test. IN A {b}2
example.test. IN NS ns1.example.test.
ns1.example.test. IN A {b}3
glueless.test. IN NS ns.example.test.
example.test. IN DS {EXAMPLE_DS}
v6.test. IN NS ns.v6.test.
closed.test. IN NS ns.closed.test.
ns.closed.test. IN A {b}40
ns.v6.test. IN AAAA ::1
victim.test. IN NS ns1.example.test.
"""
    for name, n in FAULT_ZONES.items():
        if name == "many":
            continue
        tld += f"{name}.test. IN NS ns.{name}.test.\nns.{name}.test. IN A {b}{n}\n"
    for n in list(SILENT_MANY) + [FAULT_ZONES["many"]]:
        tld += f"many.test. IN NS ns{n}.many.test.\nns{n}.many.test. IN A {b}{n}\n"
    example = f"""$TTL 3600
example.test. IN SOA {SOA.format(zone='example.test.')}
example.test. IN NS ns1.example.test.
ns1.example.test. IN A {b}3
ns.example.test. IN A {b}3
www.example.test. IN A 192.0.2.80
ftp.example.test. IN A 192.0.2.83
alias.example.test. IN CNAME www.example.test.
far.example.test. IN CNAME www.glueless.test.
onlytxt.example.test. IN TXT "no address here"
a.b.c.deep.example.test. IN A 192.0.2.82
old.example.test. IN DNAME example.test.
moved.example.test. IN DNAME victim.test.
"""
    glueless = f"""$TTL 3600
glueless.test. IN SOA {SOA.format(zone='glueless.test.')}
glueless.test. IN NS ns.example.test.
www.glueless.test. IN A 192.0.2.81
"""
    victim = f"""$TTL 3600
victim.test. IN SOA {SOA.format(zone='victim.test.')}
victim.test. IN NS ns1.example.test.
www.victim.test. IN A 192.0.2.90
"""
    return {".": root, "test.": tld, "example.test.": example, "glueless.test.": glueless,
            "victim.test.": victim}


def handler_for(zone, b):
    apex = f"{zone}.test."
    soa = rr(f"{apex} 30 SOA {SOA.format(zone=apex)}")

    def answer_a(q, rdata, edns=True):
        r = response(q, edns=edns)
        qn = q.question[0].name.to_text()
        if q.question[0].rdtype == dns.rdatatype.A:
            r.answer.append(rr(f"{qn} 300 A {rdata}"))
        else:
            r.authority.append(soa)
        return r

    def handle(q, tcp):
        qn = q.question[0].name.to_text().lower()
        first = qn.split(".")[0]
        if zone == "counted":
            if first.startswith("nx"):
                r = response(q, dns.rcode.NXDOMAIN)
                r.authority.append(soa)
                return r
            return answer_a(q, "192.0.2.10")
        if zone == "poison":
            r = answer_a(q, "192.0.2.11")
            r.answer.append(rr("www.example.test. 300 A 6.6.6.6"))
            r.authority.append(rr("example.test. 300 NS ns1.example.test."))
            r.additional.append(rr("ns1.example.test. 300 A 6.6.6.6"))
            return r
        if zone == "loop":
            r = response(q)
            target = "b.loop.test." if first == "a" else "a.loop.test."
            r.answer.append(rr(f"{qn} 300 CNAME {target}"))
            return r
        if zone == "refloop":
            r = response(q, aa=False)
            r.authority.append(rr(f"{apex} 300 NS ns.{apex}"))
            r.additional.append(rr(f"ns.{apex} 300 A {b}13"))
            return r
        if zone == "dead":
            return None
        if zone == "tc":
            if not tcp:
                r = response(q)
                r.flags |= dns.flags.TC
                return r
            return answer_a(q, "192.0.2.15")
        if zone == "formerr":
            if q.edns >= 0:
                return response(q, dns.rcode.FORMERR, edns=False)
            return answer_a(q, "192.0.2.16", edns=False)
        if zone == "brokenent":
            if qn.count(".") > 3:
                return answer_a(q, "192.0.2.19")
            r = response(q, dns.rcode.NXDOMAIN)
            r.authority.append(soa)
            return r
        if zone == "slow":
            time.sleep(0.2)
            return answer_a(q, "192.0.2.18")
        if zone == "evil":
            r = response(q, dns.rcode.NXDOMAIN)
            r.answer.append(rr(f"{qn} 300 CNAME www.victim.test."))
            r.authority.append(soa)
            return r
        if zone == "many":
            return answer_a(q, "192.0.2.39")
        if zone == "lame":
            return response(q, dns.rcode.REFUSED, aa=False)
        return None

    return handle


class World:
    def __init__(self, workdir):
        b = base_prefix()
        self.prefix = b
        self.root = f"{b}1"
        zones = zone_texts(b)
        # One nsd per level: a server loaded with every zone would answer for all of them
        # itself, and the resolver would never see a referral from the root or test.
        self.nsds = []
        self.fakes = {}
        self.silent = []
        try:
            levels = ((1, ["."]), (2, ["test."]),
                      (3, ["example.test.", "glueless.test.", "victim.test."]))
            for n, names in levels:
                self.nsds.append(Nsd(Path(workdir) / f"nsd{n}", [f"{b}{n}"],
                                     {z: zones[z] for z in names}))
            for name, n in FAULT_ZONES.items():
                self.fakes[name] = FakeAuth(f"{b}{n}", handler_for(name, b))
            for n in SILENT_MANY:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind((f"{b}{n}", 53))
                self.silent.append(s)
            for nsd, probe in zip(self.nsds, (".", "test.", "example.test.")):
                nsd.wait_ready(probe)
        except Exception:
            self.stop()
            raise

    def stop(self):
        for s in self.silent:
            s.close()
        for f in self.fakes.values():
            f.stop()
        for nsd in self.nsds:
            nsd.stop()

