// SPDX-License-Identifier: GPL-2.0-only
// NSEC proofs (RFC 4035 5.4, RFC 6840 4.1 and 4.3).
#include "backends/resolver/dnssec/denial_internal.hh"

#include "dns/canonical.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver::dnssec::detail {

namespace t = dns::qtype;

std::vector<Nsec> nsecsOf(std::span<const RRset> records, const dns::Name& zone) {
  std::vector<Nsec> out;
  for (const auto& s : records) {
    if (s.type != t::NSEC || !s.owner.isPartOf(zone)) continue;
    for (const auto& r : s.rdatas) {
      Nsec n;
      n.owner = s.owner;
      if (parseNsec(r, n.view)) out.push_back(n);
    }
  }
  return out;
}

namespace {

/// The NSEC is at a delegation point (parent side) or a DNAME: it says nothing about the
/// names below its owner (RFC 6840 4.1).
bool cutAbove(const Nsec& n, const dns::Name& name) {
  if (!name.isPartOf(n.owner) || name == n.owner) return false;
  const auto& b = n.view.types;
  return (b.has(t::NS) && !b.has(t::SOA)) || b.has(t::DNAME);
}

/// How many labels of `name` exist according to an NSEC covering it: the longer of its
/// common suffixes with the owner and the next name (RFC 4035 5.4 closest encloser).
size_t encloserLabels(const Nsec& n, const dns::Name& name) {
  size_t a = dns::commonLabels(name, n.owner), b = dns::commonLabels(name, n.view.next);
  return a > b ? a : b;
}

}  // namespace

bool covers(const Nsec& n, const dns::Name& name, const dns::Name& zone) {
  if (!name.isPartOf(zone) || cutAbove(n, name)) return false;
  int lo = dns::canonicalCompare(n.owner, name);
  if (lo >= 0) return false;
  int hi = dns::canonicalCompare(name, n.view.next);
  // The last NSEC of the zone points back to the apex, which sorts first.
  bool last = dns::canonicalCompare(n.view.next, n.owner) <= 0;
  return hi < 0 || last;
}

const Nsec* matching(const std::vector<Nsec>& v, const dns::Name& name) {
  for (const auto& n : v) {
    if (n.owner == name) return &n;
  }
  return nullptr;
}

const Nsec* covering(const std::vector<Nsec>& v, const dns::Name& name, const dns::Name& zone) {
  for (const auto& n : v) {
    if (covers(n, name, zone)) return &n;
  }
  return nullptr;
}

/// The NSEC says `name` has no data of `qtype` (nor a CNAME), from the right side of a cut.
bool noType(const Nsec& n, uint16_t qtype) {
  const auto& b = n.view.types;
  if (b.has(qtype) || (qtype != t::CNAME && b.has(t::CNAME))) return false;
  if (qtype == t::DS) return !b.has(t::SOA) || n.owner.isRoot();
  // A delegation's NSEC (parent side) proves nothing but the absence of DS.
  return !(b.has(t::NS) && !b.has(t::SOA));
}

Verdict nsecNxdomain(const std::vector<Nsec>& v, const dns::Name& qname, const dns::Name& zone) {
  if (matching(v, qname) != nullptr) return bogus(ede::NsecMissing, "NSEC shows the name exists");
  const Nsec* c = covering(v, qname, zone);
  if (c == nullptr) return bogus(ede::NsecMissing, "no NSEC covers the name");
  // An NSEC whose next name lies below qname shows qname is an empty non-terminal.
  if (c->view.next.isPartOf(qname))
    return bogus(ede::NsecMissing, "the name is an empty non-terminal");
  dns::Name wildcard;
  if (!dns::wildcardOf(dns::ancestor(qname, encloserLabels(*c, qname)), wildcard)) {
    return bogus(ede::NsecMissing, "no wildcard name");
  }
  if (covering(v, wildcard, zone) == nullptr) {
    return bogus(ede::NsecMissing, "no NSEC denies the wildcard");
  }
  return secure("NSEC NXDOMAIN proof");
}

Verdict nsecNodata(const std::vector<Nsec>& v, const dns::Name& qname, uint16_t qtype,
                   const dns::Name& zone) {
  if (const Nsec* m = matching(v, qname)) {
    return noType(*m, qtype) ? secure("NSEC NODATA proof")
                             : bogus(ede::NsecMissing, "NSEC shows the type exists");
  }
  const Nsec* c = covering(v, qname, zone);
  if (c == nullptr) return bogus(ede::NsecMissing, "no NSEC matches or covers the name");
  if (c->view.next.isPartOf(qname)) return secure("NSEC empty non-terminal proof");
  dns::Name wildcard;
  if (!dns::wildcardOf(dns::ancestor(qname, encloserLabels(*c, qname)), wildcard)) {
    return bogus(ede::NsecMissing, "no wildcard name");
  }
  const Nsec* w = matching(v, wildcard);
  if (w != nullptr && noType(*w, qtype)) return secure("NSEC wildcard NODATA proof");
  return bogus(ede::NsecMissing, "no NSEC proves the wildcard lacks the type");
}

Verdict nsecWildcardAnswer(const std::vector<Nsec>& v, const dns::Name& qname, uint8_t labels,
                           const dns::Name& zone) {
  const Nsec* c = covering(v, qname, zone);
  if (c == nullptr) return bogus(ede::NsecMissing, "no NSEC covers the wildcard-expanded name");
  // No name closer to qname than the wildcard's parent may exist.
  if (encloserLabels(*c, qname) != labels || c->view.next.isPartOf(qname)) {
    return bogus(ede::NsecMissing, "a closer encloser exists than the wildcard's");
  }
  return secure("NSEC wildcard proof");
}

Verdict nsecNoDs(const std::vector<Nsec>& v, const dns::Name& child) {
  const Nsec* m = matching(v, child);
  if (m == nullptr) return bogus(ede::NsecMissing, "no NSEC at the delegation");
  const auto& b = m->view.types;
  if (!b.has(t::NS) || b.has(t::SOA)) return bogus(ede::NsecMissing, "NSEC is not a delegation's");
  if (b.has(t::DS)) return bogus(ede::DnssecBogus, "NSEC shows a DS exists");
  return secure("NSEC shows an unsigned delegation");
}

}  // namespace ballast::backends::resolver::dnssec::detail
