#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the seed corpus for the dns_message fuzz target into corpus/dns_message/.

Valid messages come from dnspython, so they look like what real clients and servers send;
malformed ones are built byte by byte, one per rejection reason of dns/parse_error.hh.
Deterministic: running it again rewrites the same files. Files it does not generate (crash
reproducers added by hand, named crash-*) are left alone.

Needs Debian's python3 with python3-dnspython: /usr/bin/python3 test/fuzz/make_corpus.py
"""
import os
import struct

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.update

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dns_message")


def query(name, rdtype, qid=0x1234, **kw):
    q = dns.message.make_query(name, rdtype, **kw)
    q.id = qid
    return q


def response(q, answers=(), authority=(), additional=(), rcode=dns.rcode.NOERROR):
    r = dns.message.make_response(q)
    r.flags |= dns.flags.RA
    r.set_rcode(rcode)
    for section, rrs in ((r.answer, answers), (r.authority, authority),
                         (r.additional, additional)):
        for text in rrs:
            owner, ttl, rdclass, rdtype, *rdata = text.split()
            section.append(dns.rrset.from_text(owner, int(ttl), rdclass, rdtype, " ".join(rdata)))
    return r


def valid():
    yield "query_a", query("www.example.com.", "A")
    yield "query_aaaa_do", query("www.example.com.", "AAAA", want_dnssec=True, payload=1232)
    yield "query_0x20", query("WwW.ExAmPlE.CoM.", "A", qid=1)
    yield "query_root_ns", query(".", "NS", use_edns=0)
    yield "query_ch_txt", query("version.bind.", "TXT", rdclass="CH")
    yield "query_escaped", query(dns.name.from_text(r"a\000b\.c\255.example."), "TXT")
    yield "query_any", query("example.org.", "ANY", qid=0xffff)
    yield "query_edns_cookie_ecs", query(
        "example.net.", "A", use_edns=0, payload=4096,
        options=[dns.edns.GenericOption(dns.edns.COOKIE, bytes(range(8))),
                 dns.edns.ECSOption("192.0.2.0", 24)])
    yield "query_edns_version1", query("example.net.", "A", use_edns=1)
    q = query("www.example.com.", "A", want_dnssec=True)
    yield "response_cname_chain", response(q, answers=[
        "www.example.com. 300 IN CNAME edge.example.net.",
        "edge.example.net. 60 IN CNAME www.example.com.edgekey.net.",
        "www.example.com.edgekey.net. 20 IN A 93.184.216.34",
    ], authority=["example.net. 3600 IN NS ns1.example.net.",
                  "example.net. 3600 IN NS ns2.example.net."],
        additional=["ns1.example.net. 3600 IN A 192.0.2.53",
                    "ns2.example.net. 3600 IN AAAA 2001:db8::53"])
    q = query("nope.example.com.", "A")
    yield "response_nxdomain_soa", response(q, rcode=dns.rcode.NXDOMAIN, authority=[
        "example.com. 900 IN SOA ns.example.com. hostmaster.example.com. 1 7200 900 1209600 86400"])
    q = query("example.com.", "MX")
    yield "response_mx", response(q, answers=[
        "example.com. 300 IN MX 10 mail.example.com.",
        "example.com. 300 IN MX 20 mail2.Example.COM."],
        additional=["mail.example.com. 300 IN A 192.0.2.25"])
    q = query("_sip._udp.example.com.", "SRV")
    yield "response_srv_txt", response(q, answers=[
        "_sip._udp.example.com. 60 IN SRV 0 5 5060 sip.example.com.",
        '_sip._udp.example.com. 60 IN TXT "v=spf1 -all" "second string"'])
    q = query("many.example.com.", "A")
    yield "response_many_a", response(q, answers=[
        f"many.example.com. 30 IN A 198.51.100.{i}" for i in range(40)])
    q = query("example.com.", "DNSKEY", want_dnssec=True)
    yield "response_dnssec", response(q, answers=[
        "example.com. 3600 IN DNSKEY 257 3 13 "
        "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
        "example.com. 3600 IN RRSIG DNSKEY 13 2 3600 20300101000000 20200101000000 12345 "
        "example.com. AAAA",
        "example.com. 3600 IN DS 12345 13 2 "
        "0000000000000000000000000000000000000000000000000000000000000000"])
    q = query("example.com.", "HTTPS")
    yield "response_https_caa", response(q, answers=[
        'example.com. 300 IN HTTPS 1 . alpn="h2,h3"',
        'example.com. 300 IN CAA 0 issue "ca.example.net"'])
    q = query("4.3.2.1.in-addr.arpa.", "PTR")
    yield "response_ptr_dname", response(q, answers=[
        "3.2.1.in-addr.arpa. 60 IN DNAME 3.2.1.rev.example.net.",
        "4.3.2.1.in-addr.arpa. 60 IN PTR host.example.net."])
    q = query("big.example.com.", "TXT")
    r = response(q)
    r.flags |= dns.flags.TC
    yield "response_tc_question_only", r
    r = response(query("example.com.", "A", use_edns=0, payload=1232,
                       options=[dns.edns.GenericOption(dns.edns.NSID, b"ballast-1"),
                                dns.edns.GenericOption(dns.edns.PADDING, bytes(16))]),
                 answers=["example.com. 60 IN A 192.0.2.1"])
    yield "response_edns_nsid_padding", r
    u = dns.update.UpdateMessage("example.com.", id=77)
    u.add("host.example.com.", 300, "A", "192.0.2.10")
    u.delete("old.example.com.")
    yield "update", u
    n = dns.message.make_query("example.com.", "SOA")
    n.set_opcode(dns.opcode.NOTIFY)
    n.flags |= dns.flags.AA
    n.id = 99
    yield "notify", n


def hdr(qd=1, an=0, ns=0, ar=0, flags=0x0100, qid=0x4242):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def wire_name(dotted):
    out = b""
    for label in filter(None, dotted.split(".")):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def ptr(offset):
    return struct.pack("!H", 0xC000 | offset)


def rr(rdtype, rdclass, ttl, rdata, rdlen=None):
    return struct.pack("!HHIH", rdtype, rdclass, ttl, len(rdata) if rdlen is None else rdlen) + rdata


QA = wire_name("a.example") + struct.pack("!HH", 1, 1)  # question at 12, 11 + 4 bytes
OPT = b"\0" + rr(41, 1232, 0x8000, b"")


def malformed():
    yield "empty", b""
    yield "short_header", hdr()[:7]
    # @12 "a" then a pointer back to 12: backwards, yet endless.
    yield "loop", hdr() + b"\x01a" + ptr(12) + struct.pack("!HH", 1, 1)
    # Owner of an answer enters a chain of 130 pointers held in a TXT record's RDATA.
    chain_at = 12 + len(QA) + 1 + 10
    chain = b"\0" + ptr(chain_at) + b"".join(ptr(chain_at + 1 + 2 * k) for k in range(129))
    yield "loop_long_chain", (hdr(an=2) + QA + b"\0" + rr(16, 1, 0, chain)
                              + ptr(chain_at + 1 + 2 * 129) + rr(1, 1, 0, bytes(4)))
    yield "forward_pointer", hdr() + ptr(16) + struct.pack("!HH", 1, 1) + b"\0"
    yield "self_pointer", hdr() + ptr(12) + struct.pack("!HH", 1, 1)
    yield "pointer_cut", hdr() + b"\xc0"
    yield "pointer_into_header", hdr() + ptr(2) + struct.pack("!HH", 1, 1)
    yield "label_64", hdr() + b"\x40" + b"a" * 64 + b"\0" + struct.pack("!HH", 1, 1)
    yield "label_type_80", hdr() + b"\x80\0" + struct.pack("!HH", 1, 1)
    long_name = (b"\x3f" + b"x" * 63) * 3 + b"\x3e" + b"y" * 62 + b"\0"  # 256 bytes
    yield "name_256", hdr() + long_name + struct.pack("!HH", 1, 1)
    base = (b"\x31" + b"z" * 49) * 4 + b"\0"  # 201 bytes at 12
    yield "name_256_via_pointer", (hdr(an=1) + base + struct.pack("!HH", 1, 1)
                                   + b"\x3b" + b"w" * 59 + ptr(12) + rr(1, 1, 0, bytes(4)))
    yield "count_overrun_answers", hdr(an=2) + QA + ptr(12) + rr(1, 1, 60, bytes(4))
    yield "count_overrun_questions", hdr(qd=3) + QA
    yield "count_overrun_max", hdr(qd=0xffff, an=0xffff, ns=0xffff, ar=0xffff) + QA
    yield "truncated_fixed", hdr(an=1) + QA + ptr(12) + struct.pack("!HHH", 1, 1, 0)
    yield "truncated_rdata", hdr(an=1) + QA + ptr(12) + rr(16, 1, 60, b"\x03abc", rdlen=10)
    yield "two_opt", hdr(ar=2) + QA + OPT + OPT
    yield "opt_not_root", hdr(ar=1) + QA + ptr(12) + rr(41, 1232, 0, b"")
    yield "opt_in_answer", hdr(an=1) + QA + OPT
    yield "opt_bad_option", hdr(ar=1) + QA + b"\0" + rr(41, 1232, 0, struct.pack("!HHH", 10, 8, 0))


def edge():
    """Odd but well-formed packets the parser must accept."""
    yield "header_only", hdr(qd=0)
    yield "opt_compressed_root_owner", (hdr(an=1, ar=1) + QA + ptr(12) + rr(2, 1, 60, b"\0")
                                        + ptr(12 + len(QA) + 12) + rr(41, 1232, 0x8000, b""))
    yield "trailing_data", hdr() + QA + b"\xde\xad\xbe\xef"
    # A pointer into the middle of a label ("example.") and a CNAME pointing at it.
    yield "pointer_mid_label", hdr(an=1) + QA + ptr(14) + rr(5, 1, 60, ptr(14))
    yield "name_255", hdr() + (b"\x3f" + b"x" * 63) * 3 + b"\x3d" + b"y" * 61 + b"\0" + bytes(4)
    chain_at = 12 + len(QA) + 1 + 10
    chain = b"\0" + ptr(chain_at) + b"".join(ptr(chain_at + 1 + 2 * k) for k in range(125))
    yield "pointer_chain_127", (hdr(an=2) + QA + b"\0" + rr(16, 1, 0, chain)
                                + ptr(chain_at + 1 + 2 * 125) + rr(1, 1, 0, bytes(4)))


def main():
    os.makedirs(OUT, exist_ok=True)
    count = 0
    for name, msg in valid():
        data = msg.to_wire()
        dns.message.from_wire(data)  # dnspython must agree the seed is well formed
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
        count += 1
    for prefix, generator in (("bad_", malformed), ("edge_", edge)):
        for name, data in generator():
            with open(os.path.join(OUT, prefix + name + ".bin"), "wb") as f:
                f.write(data)
            count += 1
    print(f"wrote {count} files to {OUT}")


if __name__ == "__main__":
    main()
