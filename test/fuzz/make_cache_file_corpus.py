#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Seeds for cache_file_fuzz.cc: valid resolver cache files (backends/resolver/cache_file.cc
format, version 1), the same truncated and altered, and raw entry payloads (first byte: the
entry count) for the target's second pass, which wraps them in a valid header."""

import struct
from pathlib import Path

OUT = Path(__file__).parent / "corpus" / "cache_file"
SAVED_AT = 1700000000


def fnv1a(h, data):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def entry(name, rtype, kind, rank, ttl, rdatas=(), soa=None):
    key = wire(name.lower()) + struct.pack(">H", rtype)
    out = struct.pack(">H", len(key)) + key + struct.pack(">BBIH", kind, rank, ttl, len(rdatas))
    for rd in rdatas:
        out += struct.pack(">H", len(rd)) + rd
    if soa is None:
        return out + b"\0"
    owner, soa_ttl, rdata = soa
    w = wire(owner)
    return out + b"\1" + bytes([len(w)]) + w + struct.pack(">HIH", 6, soa_ttl, len(rdata)) + rdata


def file_of(entries):
    payload = b"".join(entries)
    header = b"BLSTRCCH" + struct.pack(">IIqQQ", 1, 0, SAVED_AT, len(entries), len(payload))
    return header + struct.pack(">Q", fnv1a(fnv1a(0xcbf29ce484222325, payload), header)) + payload


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    soa_rdata = wire("ns.example.test.") + wire("admin.example.test.") + bytes(20)
    entries = [
        entry("www.example.test.", 1, 0, 4, 300, [bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])]),
        entry("example.test.", 2, 0, 2, 3600, [wire("ns.example.test.")]),
        entry("nx.example.test.", 0, 1, 4, 60, soa=("example.test.", 60, soa_rdata)),
        entry("www.example.test.", 28, 2, 3, 60),
    ]
    good = file_of(entries)
    seeds = {
        "valid_four_entries.bin": good,
        "valid_empty.bin": file_of([]),
        "bad_truncated.bin": good[:-9],
        "bad_header_only.bin": good[:30],
        "bad_checksum.bin": good[:-1] + bytes([good[-1] ^ 1]),
        "bad_version.bin": good[:8] + struct.pack(">I", 2) + good[12:],
        "payload_valid.bin": bytes([len(entries)]) + b"".join(entries),
        "payload_bad_rank.bin": bytes([1]) + entry("a.test.", 1, 0, 9, 30, [b"\1\2\3\4"]),
        "payload_nx_with_type.bin": bytes([1]) + entry("a.test.", 1, 1, 4, 30),
        "payload_upper_case_key.bin": bytes([1]) + entry("a.test.", 1, 0, 4, 30, [b"1234"])
        .replace(b"\1a", b"\1A"),
        "payload_count_too_high.bin": bytes([5]) + entries[0],
    }
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
