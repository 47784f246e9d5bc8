// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The cryptography of DNSSEC, through OpenSSL 3's EVP interfaces: signature verification
/// for the DNSKEY algorithms we support, and DS digests.
#include <cstdint>
#include <span>
#include <vector>

namespace ballast::backends::resolver::dnssec {

enum class CryptoResult : uint8_t { Valid, Invalid, BadKey, Unsupported };

/// True for the algorithms this build verifies: 5, 7, 8, 10, 13, 14, 15, and 16 when the
/// linked OpenSSL provides Ed448.
bool algorithmSupported(uint8_t algorithm);
/// True for DS digest types 1 (SHA-1), 2 (SHA-256) and 4 (SHA-384).
bool digestSupported(uint8_t digestType);

/// Verifies `signature` (DNSSEC wire form: RSA PKCS#1 v1.5, ECDSA r||s, EdDSA R||S) over
/// `data` with a DNSKEY public key field of `algorithm`. BadKey: the key field is malformed.
CryptoResult verify(uint8_t algorithm, std::span<const uint8_t> publicKey,
                    std::span<const uint8_t> data, std::span<const uint8_t> signature);

/// The digest of `data` for a DS digest type; empty if unsupported.
std::vector<uint8_t> dsDigest(uint8_t digestType, std::span<const uint8_t> data);

/// SHA-1 over `data`, into out (20 bytes), for NSEC3 hashing.
void sha1(std::span<const uint8_t> data, uint8_t* out);

}  // namespace ballast::backends::resolver::dnssec
