# SPDX-License-Identifier: GPL-2.0-only
"""dnsdist's console protocol, spoken from Python, for the tests that need to misbehave.

Each side sends a 24-byte random nonce when the connection opens. Each direction then
uses its own nonce: the first half of the receiver's, the second half of the sender's;
its first four bytes, big-endian, count up by one per message. A message is a 4-byte
big-endian length and a libsodium crypto_secretbox ciphertext (16-byte tag + text) under
the shared 32-byte key. Debian has no PyNaCl package, so libsodium is reached with ctypes.
"""

import base64
import ctypes
import ctypes.util
import os
import socket
import struct

NONCE_SIZE = 24
MAC_SIZE = 16

_sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
if _sodium.sodium_init() < 0:
    raise RuntimeError("libsodium failed to initialise")


def seal(plain, nonce, key):
    out = ctypes.create_string_buffer(len(plain) + MAC_SIZE)
    _sodium.crypto_secretbox_easy(out, plain, ctypes.c_ulonglong(len(plain)), nonce, key)
    return out.raw


def open_box(cipher, nonce, key):
    """The plain text, or None when the tag does not verify."""
    if len(cipher) < MAC_SIZE:
        return None
    out = ctypes.create_string_buffer(max(1, len(cipher) - MAC_SIZE))
    rc = _sodium.crypto_secretbox_open_easy(out, cipher, ctypes.c_ulonglong(len(cipher)),
                                            nonce, key)
    return out.raw[:len(cipher) - MAC_SIZE] if rc == 0 else None


def merge(low_half_from, high_half_from):
    return low_half_from[:NONCE_SIZE // 2] + high_half_from[NONCE_SIZE // 2:]


def increment(nonce):
    count = (struct.unpack(">I", nonce[:4])[0] + 1) & 0xFFFFFFFF
    return struct.pack(">I", count) + nonce[4:]


def new_key():
    return base64.b64encode(os.urandom(32)).decode()


class ConsoleClosed(Exception):
    pass


class Console:
    """One console connection. send() returns the server's decrypted answer as text."""

    def __init__(self, host, port, key_b64, timeout=5.0, source=None):
        self.key = base64.b64decode(key_b64)
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        ours = os.urandom(NONCE_SIZE)
        self.sock.sendall(ours)
        theirs = self.recv_exact(NONCE_SIZE)
        self.reading = merge(ours, theirs)
        self.writing = merge(theirs, ours)
        self.sent = []          # raw frames sent, for replay tests

    def close(self):
        self.sock.close()

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConsoleClosed(f"connection closed after {len(data)} of {n} bytes")
            data += chunk
        return data

    def frame(self, text):
        """The next frame for `text` (advances the writing nonce)."""
        cipher = seal(text.encode(), self.writing, self.key)
        self.writing = increment(self.writing)
        return struct.pack(">I", len(cipher)) + cipher

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_answer(self):
        (length,) = struct.unpack(">I", self.recv_exact(4))
        cipher = self.recv_exact(length)
        plain = open_box(cipher, self.reading, self.key)
        if plain is None:
            raise AssertionError("the server's answer does not decrypt")
        self.reading = increment(self.reading)
        return plain.decode(errors="replace")

    def send(self, text):
        f = self.frame(text)
        self.sent.append(f)
        self.send_raw(f)
        return self.read_answer()

    def closed_by_server(self, timeout=3.0):
        """True when the server closes the connection within timeout (reading nothing)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
