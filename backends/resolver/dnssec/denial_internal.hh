// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Shared by denial.cc, denial_nsec.cc and denial_nsec3.cc; not for other users.
#include <array>
#include <vector>

#include "backends/resolver/dnssec/denial.hh"
#include "backends/resolver/dnssec/records.hh"

namespace ballast::backends::resolver::dnssec::detail {

struct Nsec {
  dns::Name owner;
  NsecView view;
};

std::vector<Nsec> nsecsOf(std::span<const RRset> records, const dns::Name& zone);
Verdict nsecNxdomain(const std::vector<Nsec>& v, const dns::Name& qname, const dns::Name& zone);
Verdict nsecNodata(const std::vector<Nsec>& v, const dns::Name& qname, uint16_t qtype,
                   const dns::Name& zone);
Verdict nsecWildcardAnswer(const std::vector<Nsec>& v, const dns::Name& qname, uint8_t labels,
                           const dns::Name& zone);
Verdict nsecNoDs(const std::vector<Nsec>& v, const dns::Name& child);

using Hash = std::array<uint8_t, 20>;

struct Nsec3 {
  Hash owner;
  Nsec3View view;
};

/// The usable NSEC3 records of `zone` in `records`: SHA-1, flags 0 or 1 (RFC 5155 8.2),
/// owner one base32hex label above the zone, the parameters of the first one.
struct Nsec3Set {
  std::vector<Nsec3> records;
  std::span<const uint8_t> salt;
  uint16_t iterations = 0;
  bool any = false;  ///< NSEC3 RRsets were present at all (usable or not)
};
Nsec3Set nsec3sOf(std::span<const RRset> records, const dns::Name& zone);

class Nsec3Prover {
 public:
  Nsec3Prover(const Nsec3Set& set, const dns::Name& zone) : set_(set), zone_(zone) {}
  Verdict nxdomain(const dns::Name& qname);
  Verdict nodata(const dns::Name& qname, uint16_t qtype);
  Verdict wildcardAnswer(const dns::Name& qname, uint8_t labels);
  Verdict noDs(const dns::Name& child);

 private:
  Hash hash(const dns::Name& n) const;
  const Nsec3* matching(const dns::Name& n) const;
  const Nsec3* covering(const dns::Name& n) const;
  /// RFC 5155 8.3: the closest encloser of qname (labels), and the NSEC3 covering the next
  /// closer name. False if there is no such proof.
  bool closestEncloser(const dns::Name& qname, size_t& ceLabels, const Nsec3*& nextCloser) const;

  const Nsec3Set& set_;
  const dns::Name& zone_;
};

}  // namespace ballast::backends::resolver::dnssec::detail
