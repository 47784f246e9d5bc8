// SPDX-License-Identifier: GPL-2.0-only
// Chooses NSEC3 or NSEC and applies the iteration limit; the proofs are in denial_nsec*.cc.
#include "backends/resolver/dnssec/denial.hh"

#include "backends/resolver/dnssec/denial_internal.hh"

namespace ballast::backends::resolver::dnssec {

namespace {

/// Runs `nsec3` when NSEC3 records are present, `nsec` otherwise.
template <typename F3, typename F>
Verdict dispatch(std::span<const RRset> records, const dns::Name& zone, uint16_t maxIterations,
                 F3&& nsec3, F&& nsec) {
  detail::Nsec3Set set = detail::nsec3sOf(records, zone);
  if (set.any) {
    if (set.records.empty()) return bogus(ede::NsecMissing, "no usable NSEC3 record");
    // RFC 9276 3.2: above the limit, no proof is computed and the answer is insecure.
    if (set.iterations > maxIterations) {
      return insecure(ede::UnsupportedNsec3Iterations, "NSEC3 iterations above the limit");
    }
    detail::Nsec3Prover prover(set, zone);
    return nsec3(prover);
  }
  auto nsecs = detail::nsecsOf(records, zone);
  if (nsecs.empty()) return bogus(ede::NsecMissing, "no NSEC or NSEC3 record");
  return nsec(nsecs);
}

}  // namespace

Verdict Denial::nxdomain(const dns::Name& qname, const dns::Name& zone,
                         std::span<const RRset> records) const {
  return dispatch(
      records, zone, maxIterations_, [&](detail::Nsec3Prover& p) { return p.nxdomain(qname); },
      [&](const std::vector<detail::Nsec>& v) { return detail::nsecNxdomain(v, qname, zone); });
}

Verdict Denial::nodata(const dns::Name& qname, uint16_t qtype, const dns::Name& zone,
                       std::span<const RRset> records) const {
  return dispatch(
      records, zone, maxIterations_, [&](detail::Nsec3Prover& p) { return p.nodata(qname, qtype); },
      [&](const std::vector<detail::Nsec>& v) {
        return detail::nsecNodata(v, qname, qtype, zone);
      });
}

Verdict Denial::wildcardAnswer(const dns::Name& qname, uint8_t wildcardLabels,
                               const dns::Name& zone, std::span<const RRset> records) const {
  return dispatch(
      records, zone, maxIterations_,
      [&](detail::Nsec3Prover& p) { return p.wildcardAnswer(qname, wildcardLabels); },
      [&](const std::vector<detail::Nsec>& v) {
        return detail::nsecWildcardAnswer(v, qname, wildcardLabels, zone);
      });
}

Verdict Denial::insecureDelegation(const dns::Name& child, const dns::Name& zone,
                                   std::span<const RRset> records) const {
  return dispatch(
      records, zone, maxIterations_, [&](detail::Nsec3Prover& p) { return p.noDs(child); },
      [&](const std::vector<detail::Nsec>& v) { return detail::nsecNoDs(v, child); });
}

}  // namespace ballast::backends::resolver::dnssec
