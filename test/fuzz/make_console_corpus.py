#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the seed corpus of console_session_fuzz.cc into corpus/console_session/.

Same fixed key (32 x 0x42) and server nonce (24 x 0x11) as the target; the client's nonce
is 24 x 0x22. The first byte of each seed is the target's read size selector.
Run from anywhere: /usr/bin/python3 test/fuzz/make_console_corpus.py
"""
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
import console_proto as cp  # noqa: E402

KEY = b"\x42" * 32
SERVER = b"\x11" * 24
CLIENT = b"\x22" * 24


def frames(*texts):
    nonce = cp.merge(SERVER, CLIENT)  # the client's writing nonce
    out = b""
    for t in texts:
        c = cp.seal(t.encode(), nonce, KEY)
        nonce = cp.increment(nonce)
        out += struct.pack(">I", len(c)) + c
    return out


def main():
    d = HERE / "corpus" / "console_session"
    d.mkdir(parents=True, exist_ok=True)
    valid = frames("", "showVersion()", "newServer('192.0.2.1')")
    one = frames("showServers()")
    seeds = {
        "valid_whole.bin": b"\x3f" + CLIENT + valid,
        "valid_bytewise.bin": b"\x00" + CLIENT + valid,
        "valid_chunks7.bin": b"\x06" + CLIENT + valid,
        "replayed.bin": b"\x3f" + CLIENT + one + one,
        "altered.bin": b"\x3f" + CLIENT + one[:10] + bytes([one[10] ^ 1]) + one[11:],
        "wrong_key.bin": b"\x3f" + CLIENT + struct.pack(">I", 16 + 3)
        + cp.seal(b"abc", cp.merge(SERVER, CLIENT), b"\x01" * 32),
        "huge_length.bin": b"\x3f" + CLIENT + b"\xff\xff\xff\xff" + b"x" * 40,
        "short_frame.bin": b"\x3f" + CLIENT + b"\x00\x00\x00\x05hello",
        "zero_length.bin": b"\x3f" + CLIENT + b"\x00\x00\x00\x00",
        "nonce_only.bin": b"\x3f" + CLIENT,
        "half_nonce.bin": b"\x3f" + CLIENT[:12],
        "truncated_frame.bin": b"\x3f" + CLIENT + one[:-5],
        "garbage.bin": b"\x05" + bytes(range(256)),
    }
    for name, data in seeds.items():
        (d / name).write_bytes(data)


if __name__ == "__main__":
    main()
