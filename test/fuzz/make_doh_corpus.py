#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the seeds of doh_request_fuzz.cc into corpus/doh_request/: method, path, content
type and body separated by NUL bytes, one per status the target can reach."""

import base64
import os

import dns.message
import dns.rrset

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "doh_request")


def main():
    os.makedirs(OUT, exist_ok=True)
    q = dns.message.make_query("www.example.com.", "A")
    q.id = 0
    w = q.to_wire()
    b = base64.urlsafe_b64encode(w).rstrip(b"=")
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text("www.example.com.", 300, "IN", "A", "192.0.2.1"))
    seeds = {
        "get_ok": b"GET\0/dns-query?dns=" + b + b"\0\0",
        "get_padded": b"GET\0/dns-query?ct&dns=" + base64.urlsafe_b64encode(w) + b"\0\0",
        "get_bad_b64": b"GET\0/dns-query?dns=!!!\0\0",
        "get_no_param": b"GET\0/dns-query\0\0",
        "get_prefix": b"GET\0/q/x?dns=" + b + b"\0\0",
        "post_ok": b"POST\0/dns-query\0application/dns-message\0" + w,
        "post_type_params": b"POST\0/q\0application/dns-message; charset=utf-8\0" + w,
        "post_wrong_type": b"POST\0/dns-query\0text/plain\0" + w,
        "post_response": b"POST\0/dns-query\0application/dns-message\0" + r.to_wire(),
        "post_too_big": b"POST\0/dns-query\0application/dns-message\0" + w + b"\0" * 5000,
        "put": b"PUT\0/dns-query\0\0",
        "unknown_path": b"GET\0/other?dns=" + b + b"\0\0",
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
