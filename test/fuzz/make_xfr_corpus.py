#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Seeds for the xfr_tracker fuzz target: a mode byte (0 AXFR, 1 IXFR) and a stream of
length-prefixed transfer messages. Run from the repository root."""
import pathlib
import struct

import dns.message
import dns.rrset

OUT = pathlib.Path("test/fuzz/corpus/xfr_tracker")
ZONE = "example.com."


def soa(serial):
    return dns.rrset.from_text(ZONE, 3600, "IN", "SOA",
                               f"ns1.{ZONE} hostmaster.{ZONE} {serial} 3600 600 86400 300")


def a(i):
    return dns.rrset.from_text(f"h{i}.{ZONE}", 60, "IN", "A", f"192.0.2.{i % 250 + 1}")


def stream(qtype, messages):
    q = dns.message.make_query(ZONE, qtype)
    out = b""
    for records in messages:
        r = dns.message.make_response(q)
        r.answer = records
        w = r.to_wire()
        out += struct.pack("!H", len(w)) + w
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = {
        "axfr_three_messages.bin": b"\x00" + stream("AXFR", [[soa(7), a(1), a(2)], [a(3)],
                                                              [a(4), soa(7)]]),
        "ixfr_current.bin": b"\x01" + stream("IXFR", [[soa(9)]]),
        "ixfr_differences.bin": b"\x01" + stream("IXFR", [[soa(9), soa(7), a(1), soa(8)],
                                                          [a(2), soa(8), a(3)],
                                                          [soa(9), a(4)], [soa(9)]]),
        "ixfr_full_zone.bin": b"\x01" + stream("IXFR", [[soa(9), a(1)], [a(2), soa(9)]]),
    }
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
