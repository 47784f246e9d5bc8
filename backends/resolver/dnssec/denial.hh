// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Authenticated denial of existence: NSEC (RFC 4035 5.4, RFC 6840 4) and NSEC3 (RFC 5155
/// 8, RFC 9276). The records given must already be verified (Validator::verifyRRset with the
/// zone's keys): these functions only judge what the verified records prove.
///
/// Every proof returns a Verdict:
/// - Secure: proven.
/// - Insecure: the proof rests on an NSEC3 opt-out span (an unsigned delegation may exist
///   there), or the NSEC3 iteration count is above the limit (RFC 9276 3.2, EDE 27).
/// - Bogus (EDE 12 NSEC Missing): not proven.
/// NSEC3 is used when the records hold any NSEC3, NSEC otherwise.
#include <cstdint>
#include <span>
#include <vector>

#include "backends/resolver/dnssec/result.hh"
#include "backends/resolver/dnssec/rrset.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver::dnssec {

class Denial {
 public:
  explicit Denial(uint16_t maxNsec3Iterations = 150) : maxIterations_(maxNsec3Iterations) {}

  /// NXDOMAIN for `qname` in `zone`: the name does not exist and no wildcard could have
  /// produced it (RFC 4035 5.4; RFC 5155 8.4, closest encloser proof + wildcard).
  Verdict nxdomain(const dns::Name& qname, const dns::Name& zone,
                   std::span<const RRset> records) const;

  /// NODATA for (qname, qtype): the name exists without that type (nor a CNAME), is an
  /// empty non-terminal, or a wildcard matched without that type (RFC 5155 8.5 to 8.7).
  /// For qtype DS the proof must come from the parent side (no SOA bit).
  Verdict nodata(const dns::Name& qname, uint16_t qtype, const dns::Name& zone,
                 std::span<const RRset> records) const;

  /// A positive answer synthesised from a wildcard (the verifying RRSIG's labels field is
  /// `wildcardLabels`, below qname's label count): proves qname itself does not exist, so
  /// the expansion was legitimate (RFC 4035 5.3.4, RFC 5155 8.8).
  Verdict wildcardAnswer(const dns::Name& qname, uint8_t wildcardLabels, const dns::Name& zone,
                         std::span<const RRset> records) const;

  /// A referral to `child` without DS: proves the delegation is unsigned (RFC 4035 5.2,
  /// RFC 5155 8.9). Secure means "no DS, proven"; Insecure means an opt-out span covers
  /// it. Either way the child zone is insecure; Bogus means the missing DS is not proven.
  Verdict insecureDelegation(const dns::Name& child, const dns::Name& zone,
                             std::span<const RRset> records) const;

 private:
  uint16_t maxIterations_;
};

/// The NSEC3 hash of `name` (RFC 5155 5): SHA-1 iterated `iterations` extra times with
/// `salt`, over the lowercased wire name. Writes 20 bytes.
void nsec3Hash(const dns::Name& name, std::span<const uint8_t> salt, uint16_t iterations,
               uint8_t* out);

}  // namespace ballast::backends::resolver::dnssec
