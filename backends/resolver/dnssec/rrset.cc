// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/rrset.hh"

#include <algorithm>

#include "dns/canonical.hh"
#include "dns/rdata.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver::dnssec {

namespace {

void put16(std::vector<uint8_t>& o, uint16_t v) {
  o.push_back(uint8_t(v >> 8));
  o.push_back(uint8_t(v));
}
void put32(std::vector<uint8_t>& o, uint32_t v) {
  put16(o, uint16_t(v >> 16));
  put16(o, uint16_t(v));
}

}  // namespace

size_t rrsigLabelCount(const dns::Name& owner) {
  size_t n = owner.labelCount();
  return dns::isWildcard(owner) ? n - 1 : n;
}

bool signedData(const RRset& rrset, const RrsigView& sig, std::vector<uint8_t>& out) {
  out.clear();
  size_t ownerLabels = rrsigLabelCount(rrset.owner);
  if (sig.labels > ownerLabels) return false;
  // The RRSIG RDATA before the signature, signer name in lowercase (RFC 4034 6.2 item 3).
  out.insert(out.end(), sig.signedPart.begin(), sig.signedPart.begin() + 18);
  const dns::Name signerLower = sig.signer.toLower();  // wire() views it: keep it alive
  auto signer = signerLower.wire();
  out.insert(out.end(), signer.begin(), signer.end());

  dns::Name owner = rrset.owner.toLower();
  if (sig.labels < rrset.owner.labelCount()) {
    // RFC 4035 5.3.2: the RRset was synthesised from a wildcard; sign over "*." + suffix.
    if (!dns::wildcardOf(dns::ancestor(owner, sig.labels), owner)) return false;
  }
  std::vector<std::vector<uint8_t>> rdatas = rrset.rdatas;
  for (auto& r : rdatas) {
    if (r.size() > 0xffff || !dns::lowercaseRdataNames(rrset.type, r)) return false;
  }
  // Canonical order: RDATA as left-justified unsigned octet sequences (RFC 4034 6.3).
  std::sort(rdatas.begin(), rdatas.end());
  rdatas.erase(std::unique(rdatas.begin(), rdatas.end()), rdatas.end());
  auto ow = owner.wire();
  for (const auto& r : rdatas) {
    out.insert(out.end(), ow.begin(), ow.end());
    put16(out, rrset.type);
    put16(out, rrset.klass);
    put32(out, sig.originalTtl);
    put16(out, uint16_t(r.size()));
    out.insert(out.end(), r.begin(), r.end());
  }
  return true;
}

bool collectRRsets(const dns::MessageView& m, dns::Section section, std::vector<SignedRRset>& out) {
  out.clear();
  std::vector<uint8_t> rdata;
  auto find = [&](const dns::Name& owner, uint16_t type, uint16_t klass) -> SignedRRset& {
    for (auto& s : out) {
      if (s.rrset.type == type && s.rrset.klass == klass && s.rrset.owner == owner) return s;
    }
    SignedRRset s;
    s.rrset.owner = owner;
    s.rrset.type = type;
    s.rrset.klass = klass;
    s.rrset.ttl = UINT32_MAX;
    out.push_back(std::move(s));
    return out.back();
  };
  for (auto it = m.begin(); it != m.end(); ++it) {
    const dns::RecordView& r = *it;
    if (r.section != section || r.type == dns::qtype::OPT) continue;
    if (!dns::canonicalRdata(m, r, rdata)) return false;
    dns::Name owner = r.name.toName();
    if (r.type == dns::qtype::RRSIG) {
      if (rdata.size() < 2) return false;
      uint16_t covered = uint16_t(rdata[0] << 8 | rdata[1]);
      find(owner, covered, r.klass).rrsigs.push_back(rdata);
      continue;
    }
    SignedRRset& s = find(owner, r.type, r.klass);
    s.rrset.ttl = std::min(s.rrset.ttl, r.ttl);
    s.rrset.rdatas.push_back(rdata);
  }
  for (auto& s : out) {
    if (s.rrset.rdatas.empty()) s.rrset.ttl = 0;
  }
  return true;
}

}  // namespace ballast::backends::resolver::dnssec
