// SPDX-License-Identifier: GPL-2.0-only
// NSEC3 proofs (RFC 5155 8).
#include <algorithm>
#include <cstring>

#include "backends/resolver/dnssec/crypto.hh"
#include "backends/resolver/dnssec/denial_internal.hh"
#include "backends/resolver/dnssec/encoding.hh"
#include "dns/canonical.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver::dnssec {

void nsec3Hash(const dns::Name& name, std::span<const uint8_t> salt, uint16_t iterations,
               uint8_t* out) {
  // IH(0) = H(owner | salt); IH(k) = H(IH(k-1) | salt). A salt is at most 255 bytes (its
  // length is one byte in NSEC3); std::copy, unlike memcpy, is defined for an empty one.
  if (salt.size() > 255) salt = salt.first(255);
  uint8_t buf[dns::kMaxNameLength + 255];
  const dns::Name lower = name.toLower();  // wire() views it: keep it alive
  auto w = lower.wire();
  std::memcpy(buf, w.data(), w.size());
  std::copy(salt.begin(), salt.end(), buf + w.size());
  sha1({buf, w.size() + salt.size()}, out);
  for (uint16_t i = 0; i < iterations; ++i) {
    std::memcpy(buf, out, 20);
    std::copy(salt.begin(), salt.end(), buf + 20);
    sha1({buf, 20 + salt.size()}, out);
  }
}

namespace detail {

namespace t = dns::qtype;

Nsec3Set nsec3sOf(std::span<const RRset> records, const dns::Name& zone) {
  Nsec3Set set;
  const size_t zoneLabels = zone.labelCount();
  bool haveParams = false;
  for (const auto& s : records) {
    if (s.type != t::NSEC3) continue;
    set.any = true;
    if (s.owner.labelCount() != zoneLabels + 1 || !s.owner.isPartOf(zone)) continue;
    auto label = s.owner.wire().subspan(1, s.owner.wire()[0]);
    auto owner = fromBase32Hex({reinterpret_cast<const char*>(label.data()), label.size()});
    if (!owner || owner->size() != 20) continue;
    for (const auto& r : s.rdatas) {
      Nsec3 n;
      if (!parseNsec3(r, n.view) || n.view.hashAlgorithm != 1 || n.view.flags > 1 ||
          n.view.nextHashed.size() != 20) {
        continue;
      }
      if (!haveParams) {
        set.salt = n.view.salt;
        set.iterations = n.view.iterations;
        haveParams = true;
      } else if (n.view.iterations != set.iterations ||
                 !std::equal(n.view.salt.begin(), n.view.salt.end(), set.salt.begin(),
                             set.salt.end())) {
        continue;
      }
      std::copy(owner->begin(), owner->end(), n.owner.begin());
      set.records.push_back(n);
    }
  }
  return set;
}

Hash Nsec3Prover::hash(const dns::Name& n) const {
  Hash h;
  nsec3Hash(n, set_.salt, set_.iterations, h.data());
  return h;
}

const Nsec3* Nsec3Prover::matching(const dns::Name& n) const {
  Hash h = hash(n);
  for (const auto& r : set_.records) {
    if (r.owner == h) return &r;
  }
  return nullptr;
}

const Nsec3* Nsec3Prover::covering(const dns::Name& n) const {
  Hash h = hash(n);
  for (const auto& r : set_.records) {
    const uint8_t* next = r.view.nextHashed.data();
    int lo = std::memcmp(r.owner.data(), h.data(), 20);
    int hi = std::memcmp(h.data(), next, 20);
    // The last record of the chain wraps around to the first hash.
    bool last = std::memcmp(next, r.owner.data(), 20) <= 0;
    if (last ? (lo < 0 || hi < 0) : (lo < 0 && hi < 0)) return &r;
  }
  return nullptr;
}

bool Nsec3Prover::closestEncloser(const dns::Name& qname, size_t& ceLabels,
                                  const Nsec3*& nextCloser) const {
  const size_t zoneLabels = zone_.labelCount();
  // From qname up to the apex, the apex included (also when it is the root, 0 labels).
  for (size_t n = qname.labelCount() + 1; n-- > zoneLabels;) {
    const Nsec3* m = matching(dns::ancestor(qname, n));
    if (m == nullptr) continue;
    if (n == qname.labelCount()) return false;  // qname itself exists
    // The encloser must not be a delegation or DNAME seen from above (RFC 5155 8.3).
    const auto& b = m->view.types;
    if ((b.has(t::NS) && !b.has(t::SOA)) || b.has(t::DNAME)) return false;
    nextCloser = covering(dns::ancestor(qname, n + 1));
    if (nextCloser == nullptr) return false;
    ceLabels = n;
    return true;
  }
  return false;
}

Verdict Nsec3Prover::nxdomain(const dns::Name& qname) {
  size_t ce = 0;
  const Nsec3* nc = nullptr;
  if (!closestEncloser(qname, ce, nc))
    return bogus(ede::NsecMissing, "no NSEC3 closest encloser proof");
  dns::Name wildcard;
  if (!dns::wildcardOf(dns::ancestor(qname, ce), wildcard) || covering(wildcard) == nullptr) {
    return bogus(ede::NsecMissing, "no NSEC3 denies the wildcard");
  }
  if (nc->view.optOut()) return insecure(ede::kNone, "NXDOMAIN in an NSEC3 opt-out span");
  return secure("NSEC3 NXDOMAIN proof");
}

namespace {
bool noType(const Nsec3View& v, uint16_t qtype) {
  const auto& b = v.types;
  if (b.has(qtype) || (qtype != t::CNAME && b.has(t::CNAME))) return false;
  if (qtype == t::DS) return !b.has(t::SOA);
  return !(b.has(t::NS) && !b.has(t::SOA));
}
}  // namespace

Verdict Nsec3Prover::nodata(const dns::Name& qname, uint16_t qtype) {
  if (const Nsec3* m = matching(qname)) {
    return noType(m->view, qtype) ? secure("NSEC3 NODATA proof")
                                  : bogus(ede::NsecMissing, "NSEC3 shows the type exists");
  }
  size_t ce = 0;
  const Nsec3* nc = nullptr;
  if (!closestEncloser(qname, ce, nc))
    return bogus(ede::NsecMissing, "no NSEC3 closest encloser proof");
  // RFC 5155 8.6: DS at a name in an opt-out span (an unsigned delegation).
  if (qtype == t::DS) {
    return nc->view.optOut() ? insecure(ede::kNone, "DS NODATA in an NSEC3 opt-out span")
                             : bogus(ede::NsecMissing, "no NSEC3 matches the DS name");
  }
  // RFC 5155 8.7: the wildcard at the closest encloser exists without the type.
  dns::Name wildcard;
  const Nsec3* w = nullptr;
  if (dns::wildcardOf(dns::ancestor(qname, ce), wildcard)) w = matching(wildcard);
  if (w == nullptr || !noType(w->view, qtype)) {
    return bogus(ede::NsecMissing, "no NSEC3 proves the wildcard lacks the type");
  }
  if (nc->view.optOut()) return insecure(ede::kNone, "wildcard NODATA in an NSEC3 opt-out span");
  return secure("NSEC3 wildcard NODATA proof");
}

Verdict Nsec3Prover::wildcardAnswer(const dns::Name& qname, uint8_t labels) {
  if (labels >= qname.labelCount()) return bogus(ede::DnssecBogus, "not a wildcard expansion");
  const Nsec3* nc = covering(dns::ancestor(qname, size_t(labels) + 1));
  if (nc == nullptr) return bogus(ede::NsecMissing, "no NSEC3 covers the next closer name");
  if (nc->view.optOut()) return insecure(ede::kNone, "wildcard answer in an NSEC3 opt-out span");
  return secure("NSEC3 wildcard proof");
}

Verdict Nsec3Prover::noDs(const dns::Name& child) {
  if (const Nsec3* m = matching(child)) {
    const auto& b = m->view.types;
    if (!b.has(t::NS) || b.has(t::SOA))
      return bogus(ede::NsecMissing, "NSEC3 is not a delegation's");
    if (b.has(t::DS)) return bogus(ede::DnssecBogus, "NSEC3 shows a DS exists");
    return secure("NSEC3 shows an unsigned delegation");
  }
  size_t ce = 0;
  const Nsec3* nc = nullptr;
  if (closestEncloser(child, ce, nc) && nc->view.optOut()) {
    return insecure(ede::kNone, "delegation in an NSEC3 opt-out span");
  }
  return bogus(ede::NsecMissing, "no NSEC3 proves the delegation unsigned");
}

}  // namespace detail
}  // namespace ballast::backends::resolver::dnssec
