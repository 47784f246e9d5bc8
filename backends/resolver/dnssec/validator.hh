// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// RRset validation (RFC 4035 5.3) and DNSKEY RRset validation from a DS set or trust
/// anchor (RFC 4035 5.2). Pure: no I/O, no threads, no cache; time comes from a function.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "backends/resolver/dnssec/result.hh"
#include "backends/resolver/dnssec/rrset.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver::dnssec {

struct ValidatorOptions {
  /// Accept DS digest type 1 (SHA-1) when no stronger digest is offered for the key, as
  /// unbound and dnsdist's resolvers do (RFC 4509 3 still forbids using SHA-1 when a
  /// SHA-256 DS for the same key is present).
  bool acceptSha1Ds = true;
  /// RFC 9276 3.2: NSEC3 with more iterations than this is treated as insecure (EDE 27).
  uint16_t maxNsec3Iterations = 150;
  /// Signature verifications attempted per RRset before giving up as bogus: bounds the CPU
  /// a zone with colliding key tags or many signatures can cost (the "KeyTrap" attacks).
  unsigned maxVerificationsPerRRset = 8;
  /// DS digests computed per DNSKEY RRset validation (DS and keys with matching tags), for
  /// the same reason.
  unsigned maxDsDigests = 16;
  /// Wall-clock seconds since the epoch (RRSIG validity is absolute time).
  std::function<int64_t()> now;
};

/// What verifyRRset found beyond the verdict.
struct RRsetInfo {
  /// RFC 4035 5.3.3: min(TTL, original TTL, time left to signature expiration).
  uint32_t ttl = 0;
  /// The verifying RRSIG had fewer labels than the owner: the answer was synthesised from
  /// a wildcard, and the caller must also prove the owner itself does not exist (RFC 4035
  /// 5.3.4) with proveWildcardAnswer(); `wildcardLabels` is that RRSIG's labels field.
  bool wildcard = false;
  uint8_t wildcardLabels = 0;
  uint8_t algorithm = 0;  ///< of the signature that verified
  uint16_t keyTag = 0;
};

class Validator {
 public:
  explicit Validator(ValidatorOptions options);
  const ValidatorOptions& options() const { return options_; }

  /// Validates `rrset` signed by `zone`, whose DNSKEY RRset `keys` (RDATAs) has already been
  /// validated. Secure if one RRSIG made by a zone key of `zone` verifies within its validity
  /// period. Bogus otherwise, with the most telling EDE: RRSIGs Missing (10), Signature
  /// Expired (7) or Not Yet Valid (8), DNSKEY Missing (9), Unsupported DNSKEY Algorithm (1)
  /// when no signature uses an algorithm we support, DNSSEC Bogus (6).
  Verdict verifyRRset(const RRset& rrset, std::span<const std::vector<uint8_t>> rrsigs,
                      const dns::Name& zone, std::span<const std::vector<uint8_t>> keys,
                      RRsetInfo* info = nullptr) const;

  /// Validates the DNSKEY RRset of its owner against the validated DS RDATAs of the parent
  /// (RFC 4035 5.2): a DS must match a zone key of the set by tag, algorithm and digest, and
  /// that key must sign the DNSKEY RRset. Insecure (EDE 1 or 2) when no DS uses an algorithm
  /// and digest type we support; Bogus when none matches (9) or the signature fails.
  /// `anchorKeys` are DNSKEY RDATAs trusted directly (a DNSKEY trust anchor), tried too.
  Verdict validateDnskeys(const RRset& dnskeys, std::span<const std::vector<uint8_t>> rrsigs,
                          std::span<const std::vector<uint8_t>> dsRdatas,
                          std::span<const std::vector<uint8_t>> anchorKeys = {},
                          RRsetInfo* info = nullptr) const;

  /// True when `dnskeyRdata` owned by `owner` matches `dsRdata` (tag, algorithm, digest).
  static bool dsMatches(const dns::Name& owner, std::span<const uint8_t> dnskeyRdata,
                        std::span<const uint8_t> dsRdata);

 private:
  ValidatorOptions options_;
};

}  // namespace ballast::backends::resolver::dnssec
