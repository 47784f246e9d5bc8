// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Views of DNSSEC RDATA (RFC 4034, RFC 5155) over the uncompressed RDATA the resolver keeps
/// (dns::canonicalRdata). Each parse function checks every length and returns false on
/// malformed input; the views point into the caller's bytes. Names inside these RDATA must
/// not be compressed (RFC 4034 3.1.7, 4.1.1; RFC 5155 3.2): a compression pointer is refused.
#include <cstdint>
#include <span>

#include "dns/name.hh"

namespace ballast::backends::resolver::dnssec {

/// DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers").
namespace alg {
constexpr uint8_t RsaSha1 = 5, RsaSha1Nsec3 = 7, RsaSha256 = 8, RsaSha512 = 10, EcdsaP256 = 13,
                  EcdsaP384 = 14, Ed25519 = 15, Ed448 = 16;
}
/// DS digest types.
namespace digest {
constexpr uint8_t Sha1 = 1, Sha256 = 2, Sha384 = 4;
}

/// The type bitmap of NSEC and NSEC3 (RFC 4034 4.1.2), validated on parse.
struct TypeBitmap {
  std::span<const uint8_t> bytes;
  bool has(uint16_t type) const;
};

struct RrsigView {
  uint16_t typeCovered = 0;
  uint8_t algorithm = 0;
  uint8_t labels = 0;
  uint32_t originalTtl = 0;
  uint32_t expiration = 0;
  uint32_t inception = 0;
  uint16_t keyTag = 0;
  dns::Name signer;
  /// The RDATA up to the signature: what the signed data starts with (RFC 4034 3.1.8.1).
  std::span<const uint8_t> signedPart;
  std::span<const uint8_t> signature;
};

struct DnskeyView {
  static constexpr uint16_t kZone = 0x0100, kRevoke = 0x0080, kSep = 0x0001;
  uint16_t flags = 0;
  uint8_t protocol = 0;
  uint8_t algorithm = 0;
  std::span<const uint8_t> publicKey;
  bool zoneKey() const { return (flags & kZone) != 0; }
  bool revoked() const { return (flags & kRevoke) != 0; }
  bool sep() const { return (flags & kSep) != 0; }
};

struct DsView {
  uint16_t keyTag = 0;
  uint8_t algorithm = 0;
  uint8_t digestType = 0;
  std::span<const uint8_t> digest;
};

struct NsecView {
  dns::Name next;
  TypeBitmap types;
};

struct Nsec3View {
  static constexpr uint8_t kOptOut = 0x01;
  uint8_t hashAlgorithm = 0;
  uint8_t flags = 0;
  uint16_t iterations = 0;
  std::span<const uint8_t> salt;
  std::span<const uint8_t> nextHashed;
  TypeBitmap types;
  bool optOut() const { return (flags & kOptOut) != 0; }
};

struct Nsec3ParamView {
  uint8_t hashAlgorithm = 0;
  uint8_t flags = 0;
  uint16_t iterations = 0;
  std::span<const uint8_t> salt;
};

bool parseRrsig(std::span<const uint8_t> rdata, RrsigView& out);
bool parseDnskey(std::span<const uint8_t> rdata, DnskeyView& out);
bool parseDs(std::span<const uint8_t> rdata, DsView& out);
bool parseNsec(std::span<const uint8_t> rdata, NsecView& out);
bool parseNsec3(std::span<const uint8_t> rdata, Nsec3View& out);
bool parseNsec3Param(std::span<const uint8_t> rdata, Nsec3ParamView& out);
/// Checks a type bitmap: windows in increasing order, lengths 1 to 32, no trailing bytes.
bool parseTypeBitmap(std::span<const uint8_t> bytes, TypeBitmap& out);

/// The key tag of a DNSKEY RDATA (RFC 4034 Appendix B; the whole RDATA, REVOKE bit included).
uint16_t keyTag(std::span<const uint8_t> dnskeyRdata);

/// Seconds since the epoch, read as the 32-bit serial numbers of RRSIG validity fields
/// (RFC 4034 3.1.5, RFC 1982): true when `a` is before `b`.
bool serialBefore(uint32_t a, uint32_t b);

}  // namespace ballast::backends::resolver::dnssec
