#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the seed corpus of dnssec_records_fuzz.cc into corpus/dnssec_records/.

First byte: 0 a DNS message, 1 one RDATA, 2 presentation-format text. The records are the
published examples the unit tests use (RFC 6605, RFC 8080, RFC 5155, RFC 4035).
Run from anywhere: /usr/bin/python3 test/fuzz/make_dnssec_corpus.py
"""
from pathlib import Path

import dns.message
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

OUT = Path(__file__).resolve().parent / "corpus" / "dnssec_records"

P256_KEY = ("example.net. 3600 IN DNSKEY 257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb"
            "krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==")
P256_A = "www.example.net. 3600 IN A 192.0.2.1"
P256_SIG = ("www.example.net. 3600 IN RRSIG A 13 3 3600 20100909100439 20100812100439 55648 "
            "example.net. qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7"
            "ZwmwWep666VCw==")
ED_KEY = "example.com. 3600 IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="
ED_MX = "example.com. 3600 IN MX 10 mail.example.com."
ED_SIG = ("example.com. 3600 IN RRSIG MX 15 2 3600 1440021600 1438207200 3613 example.com. "
          "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==")
DS = "example.com. 3600 IN DS 3613 15 2 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b"
NSEC3 = [
    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 3600 IN NSEC3 1 1 12 aabbccdd "
    "2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG",
    "b4um86eghhds6nea196smvmlo4ors995.example. 3600 IN NSEC3 1 1 12 aabbccdd "
    "gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG",
    "35mthgpgcu1qg68fab165klnsnk3dpvl.example. 3600 IN NSEC3 1 1 12 aabbccdd "
    "b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG",
]
NSEC = [
    "b.example. 3600 IN NSEC ns1.example. NS RRSIG NSEC",
    "example. 3600 IN NSEC a.example. NS SOA MX RRSIG NSEC DNSKEY",
]
SOA = "example. 3600 IN SOA ns1.example. bugs.x.w.example. 1081539377 3600 300 3600000 3600"


def rr(text):
    return dns.rrset.from_text(*text.split(None, 4)[:4], text.split(None, 4)[4])


def response(qname, qtype, answer=(), authority=()):
    m = dns.message.make_response(dns.message.make_query(qname, qtype, want_dnssec=True))
    for t in answer:
        m.answer.append(rr(t))
    for t in authority:
        m.authority.append(rr(t))
    return m.to_wire()


def rdata(text):
    name, ttl, klass, rtype, rest = text.split(None, 4)
    r = dns.rdata.from_text(dns.rdataclass.from_text(klass), dns.rdatatype.from_text(rtype), rest)
    return r.to_wire()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = {
        "msg_p256": b"\x00" + response("www.example.net.", "A", [P256_A, P256_SIG, P256_KEY]),
        "msg_ed25519": b"\x00" + response("example.com.", "MX", [ED_MX, ED_SIG, ED_KEY]),
        "msg_nsec3_nxdomain": b"\x00" + response("a.c.x.w.example.", "A", [], [SOA] + NSEC3),
        "msg_nsec_nxdomain": b"\x00" + response("ml.example.", "A", [], [SOA] + NSEC),
        "rdata_rrsig": b"\x01" + rdata(P256_SIG),
        "rdata_dnskey": b"\x01" + rdata(ED_KEY),
        "rdata_ds": b"\x01" + rdata(DS),
        "rdata_nsec": b"\x01" + rdata(NSEC[0]),
        "rdata_nsec3": b"\x01" + rdata(NSEC3[0]),
        "text_anchors": b"\x02" + ("; anchors\n" + DS + "\n" + ED_KEY + "\n").encode(),
        "text_records": b"\x02" + "\n".join([P256_SIG, NSEC3[1], NSEC[0], SOA]).encode(),
        "text_parens": b"\x02" + b"x. 300 IN DNSKEY 257 3 15 ( l02Woi0iS8Aa25FQkUd9RMzZHJpBo\n"
                                 b"  RQwAQEX1SxZJA4= ) ; comment\n",
        "text_generic": b"\x02" + b"x. TYPE65280 \\# 3 abcdef\n",
    }
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
    print(f"{len(seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
