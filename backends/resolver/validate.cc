// SPDX-License-Identifier: GPL-2.0-only
/// DNSSEC validation of the iterator's answers: the chain of trust walked top-down from the
/// closest trust anchor (DS asked of the parent, DNSKEY of the zone, unsigned delegations
/// proven by NSEC/NSEC3), each answer RRset verified with the keys of the zone that signed
/// it, denials and wildcard expansions proven. Outcomes are stored with the cache entries
/// (RecordCache::setVerdict) and per zone (ZoneTrustCache), so a cache hit costs no
/// cryptography and the chain is walked once per TTL.
#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "backends/resolver/dnssec/records.hh"
#include "backends/resolver/iterator.hh"
#include "core/clock.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver {

namespace sec = dnssec;

namespace {

/// Bogus outcomes are kept this long (seconds), as unbound does: a broken zone costs one
/// validation a minute, not one per question.
constexpr uint32_t kBogusTtl = 60;
/// Chain-of-trust recursion bound (each step goes at least one label up).
constexpr int kMaxTrustDepth = 130;

int64_t nowSec() {
  return core::monotonicUsec() / 1000000;
}

/// An RRset of a section with the RRSIGs over it.
struct Group {
  sec::RRset set;
  std::vector<std::vector<uint8_t>> sigs;
};

uint16_t typeCovered(const Record& r) {
  return r.rdata.size() >= 2 ? uint16_t(r.rdata[0] << 8 | r.rdata[1]) : 0;
}

std::vector<Group> group(const std::vector<Record>& records) {
  std::vector<Group> out;
  auto find = [&](const dns::Name& owner, uint16_t type) {
    return std::find_if(out.begin(), out.end(),
                        [&](const Group& g) { return g.set.type == type && g.set.owner == owner; });
  };
  for (const auto& r : records) {
    if (r.type == dns::qtype::RRSIG) continue;
    auto it = find(r.owner, r.type);
    if (it == out.end()) {
      out.push_back({{r.owner, r.type, dns::qclass::IN, r.ttl, {}}, {}});
      it = out.end() - 1;
    }
    it->set.ttl = std::min(it->set.ttl, r.ttl);
    if (std::find(it->set.rdatas.begin(), it->set.rdatas.end(), r.rdata) == it->set.rdatas.end())
      it->set.rdatas.push_back(r.rdata);
  }
  for (const auto& r : records) {
    if (r.type != dns::qtype::RRSIG) continue;
    if (auto it = find(r.owner, typeCovered(r)); it != out.end()) it->sigs.push_back(r.rdata);
  }
  return out;
}

const Group* findGroup(const std::vector<Group>& groups, const dns::Name& owner, uint16_t type) {
  for (const auto& g : groups)
    if (g.set.type == type && g.set.owner == owner) return &g;
  return nullptr;
}

/// The signer named by the first well-formed RRSIG.
std::optional<dns::Name> signerOf(const std::vector<std::vector<uint8_t>>& sigs) {
  for (const auto& rd : sigs) {
    sec::RrsigView v;
    if (sec::parseRrsig(rd, v)) return v.signer;
  }
  return std::nullopt;
}

dns::Name parentOf(const dns::Name& name) {
  return ancestor(name, name.labelCount() - 1);
}

ZoneTrust untrusted(const sec::Verdict& v) {
  return ZoneTrust{v, {}};
}

}  // namespace

std::vector<sec::RRset> Iterator::verifiedProofs(const std::vector<Record>& records,
                                                 const dns::Name& zone, const ZoneTrust& t) const {
  std::vector<sec::RRset> out;
  for (auto& g : group(records)) {
    if (g.set.type != dns::qtype::NSEC && g.set.type != dns::qtype::NSEC3) continue;
    if (!g.set.owner.isPartOf(zone)) continue;
    if (r_.validator().verifyRRset(g.set, g.sigs, zone, t.keys).secure())
      out.push_back(std::move(g.set));
  }
  return out;
}

Task<ZoneTrust> Iterator::trustOf(dns::Name zone, Budget& b, int depth) {
  if (r_.negativeTrustAnchors().covers(zone))
    co_return untrusted(sec::insecure(sec::ede::kNone, "negative trust anchor"));
  const sec::TrustAnchor* anchor = r_.trustAnchors().closest(zone);
  if (!anchor)
    co_return untrusted({sec::Security::Indeterminate, sec::ede::kNone, "no trust anchor"});
  int64_t now = nowSec();
  auto& cache = r_.zoneTrust();
  if (auto t = cache.get(zone, now)) co_return *t;
  // Below a zone known to be insecure everything is (up to the anchor: a deeper anchor
  // starts a new chain).
  for (size_t labels = zone.labelCount(); labels-- > anchor->zone.labelCount();) {
    auto t = cache.get(ancestor(zone, labels), now);
    if (t && t->verdict.security == sec::Security::Insecure) co_return untrusted(t->verdict);
  }
  if (depth > kMaxTrustDepth)
    co_return untrusted(sec::bogus(sec::ede::DnssecBogus, "chain of trust too long"));
  uint32_t ttl = r_.config().cache.maxTtl;
  ZoneTrust t = co_await walkTrust(zone, b, depth, ttl);
  if (t.verdict.bogus()) ttl = std::min(ttl, kBogusTtl);
  if (b.trace)
    b.trace->add(fmt::format("dnssec {} {} ({})", zone.toString(),
                             sec::toString(t.verdict.security), t.verdict.reason));
  cache.put(zone, t, ttl, nowSec());
  co_return t;
}

Task<ZoneTrust> Iterator::walkTrust(const dns::Name& zone, Budget& b, int depth, uint32_t& ttl) {
  const sec::TrustAnchor* anchor = r_.trustAnchors().closest(zone);
  const auto& v = r_.validator();
  auto& cache = r_.cache();
  auto lower = [&](uint32_t t) { ttl = std::min(ttl, t); };
  auto keysOf = [&](const Answer& k) -> std::optional<Group> {
    auto groups = group(k.answer);
    if (const Group* g = findGroup(groups, zone, dns::qtype::DNSKEY)) return *g;
    return std::nullopt;
  };

  if (zone == anchor->zone) {
    Answer k = co_await resolve(zone, dns::qtype::DNSKEY, b, 0);
    auto g = keysOf(k);
    if (!g) {
      if (k.rcode == dns::rcode::ServFail) ttl = 0;  // may pass: not remembered
      co_return untrusted(sec::bogus(sec::ede::DnskeyMissing, "no DNSKEY at the trust anchor"));
    }
    sec::RRsetInfo info;
    sec::Verdict kv = v.validateDnskeys(g->set, g->sigs, anchor->ds, anchor->dnskeys, &info);
    cache.setVerdict(zone, dns::qtype::DNSKEY, kv, kv.bogus() ? kBogusTtl : info.ttl, nowSec());
    if (!kv.secure()) co_return untrusted(kv);
    lower(info.ttl);
    co_return ZoneTrust{kv, g->set.rdatas};
  }

  Answer d = co_await resolve(zone, dns::qtype::DS, b, 0);
  if (d.rcode != dns::rcode::NoError && d.rcode != dns::rcode::NXDomain) {
    ttl = 0;
    co_return untrusted(sec::bogus(sec::ede::DnssecBogus, "no answer to the DS question"));
  }
  auto groups = group(d.answer);
  if (const Group* ds = findGroup(groups, zone, dns::qtype::DS)) {
    auto signer = signerOf(ds->sigs);
    if (!signer) {
      ZoneTrust p = co_await trustOf(parentOf(zone), b, depth + 1);
      if (!p.verdict.secure()) co_return untrusted(p.verdict);
      co_return untrusted(sec::bogus(sec::ede::RrsigsMissing, "DS without RRSIG"));
    }
    if (!zone.isPartOf(*signer) || *signer == zone)
      co_return untrusted(sec::bogus(sec::ede::DnssecBogus, "DS signed by a zone not above"));
    ZoneTrust p = co_await trustOf(*signer, b, depth + 1);
    if (!p.verdict.secure()) co_return untrusted(p.verdict);
    sec::RRsetInfo di;
    sec::Verdict dv = v.verifyRRset(ds->set, ds->sigs, *signer, p.keys, &di);
    cache.setVerdict(zone, dns::qtype::DS, dv, dv.bogus() ? kBogusTtl : di.ttl, nowSec());
    if (!dv.secure()) co_return untrusted(dv);
    lower(di.ttl);
    Answer k = co_await resolve(zone, dns::qtype::DNSKEY, b, 0);
    auto g = keysOf(k);
    if (!g) {
      if (k.rcode == dns::rcode::ServFail) ttl = 0;
      co_return untrusted(sec::bogus(sec::ede::DnskeyMissing, "DS but no DNSKEY"));
    }
    sec::RRsetInfo ki;
    sec::Verdict kv = v.validateDnskeys(g->set, g->sigs, ds->set.rdatas, {}, &ki);
    cache.setVerdict(zone, dns::qtype::DNSKEY, kv, kv.bogus() ? kBogusTtl : ki.ttl, nowSec());
    if (!kv.secure()) co_return untrusted(kv);
    lower(ki.ttl);
    co_return ZoneTrust{kv, g->set.rdatas};
  }

  // No DS: a denial from the parent side, which says the delegation is unsigned, or that the
  // name is no zone apex at all (its data are the enclosing zone's).
  const Record* soa = nullptr;
  for (const auto& r : d.authority)
    if (r.type == dns::qtype::SOA) soa = &r;
  if (!soa || !zone.isPartOf(soa->owner) || soa->owner == zone) {
    // A CNAME (or no proof at all): judged by the zone above.
    ZoneTrust p = co_await trustOf(parentOf(zone), b, depth + 1);
    if (!p.verdict.secure() || (!soa && !d.answer.empty())) co_return p;
    co_return untrusted(sec::bogus(sec::ede::NsecMissing, "DS denied without proof"));
  }
  const dns::Name parent = soa->owner;
  ZoneTrust p = co_await trustOf(parent, b, depth + 1);
  if (!p.verdict.secure()) co_return untrusted(p.verdict);
  lower(soa->ttl);
  auto proofs = verifiedProofs(d.authority, parent, p);
  const auto& denial = r_.denial();
  if (d.rcode == dns::rcode::NXDomain) {
    sec::Verdict nv = denial.nxdomain(zone, parent, proofs);
    cache.setVerdict(d.negOwner, RecordCache::kNxType, nv, nv.bogus() ? kBogusTtl : ttl, nowSec());
    if (nv.bogus()) co_return untrusted(nv);
    co_return p;  // no such name: what lies below it is the parent's to deny
  }
  sec::Verdict iv = denial.insecureDelegation(zone, parent, proofs);
  if (!iv.bogus()) {
    cache.setVerdict(zone, dns::qtype::DS, iv, ttl, nowSec());
    co_return untrusted(sec::insecure(sec::ede::kNone, "unsigned delegation"));
  }
  sec::Verdict nv = denial.nodata(zone, dns::qtype::DS, parent, proofs);
  cache.setVerdict(zone, dns::qtype::DS, nv, nv.bogus() ? kBogusTtl : ttl, nowSec());
  if (nv.secure()) co_return p;  // no zone cut here: the name is the parent's
  co_return untrusted(nv);
}

Task<sec::Verdict> Iterator::validateRRset(const sec::RRset& set,
                                           const std::vector<std::vector<uint8_t>>& sigs,
                                           const std::vector<Record>& proofs, Budget& b,
                                           uint32_t& ttl) {
  if (sigs.empty()) {
    ZoneTrust t = co_await trustOf(set.owner, b, 0);
    if (t.verdict.secure())
      co_return sec::bogus(sec::ede::RrsigsMissing, "no RRSIG in a signed zone");
    co_return t.verdict;
  }
  auto signer = signerOf(sigs);
  if (!signer || !set.owner.isPartOf(*signer))
    co_return sec::bogus(sec::ede::DnssecBogus, "RRSIG signer is not above the owner");
  ZoneTrust t = co_await trustOf(*signer, b, 0);
  if (!t.verdict.secure()) co_return t.verdict;
  sec::RRsetInfo info;
  sec::Verdict v = r_.validator().verifyRRset(set, sigs, *signer, t.keys, &info);
  if (!v.secure()) co_return v;
  ttl = std::min(ttl, info.ttl);
  if (info.wildcard) {
    auto verified = verifiedProofs(proofs, *signer, t);
    v = sec::worst(v,
                   r_.denial().wildcardAnswer(set.owner, info.wildcardLabels, *signer, verified));
  }
  co_return v;
}

Task<sec::Verdict> Iterator::validateNegative(Answer& a, Budget& b, uint32_t& ttl) {
  auto& cache = r_.cache();
  if (auto e = cache.get(a.negOwner, a.negType, nowSec());
      e && e->validated && e->kind != EntryKind::Positive)
    co_return e->verdict;
  auto groups = group(a.authority);
  const Group* soa = nullptr;
  for (const auto& g : groups)
    if (g.set.type == dns::qtype::SOA) soa = &g;
  sec::Verdict v;
  if (!soa || !a.negOwner.isPartOf(soa->set.owner)) {
    ZoneTrust t = co_await trustOf(a.negOwner, b, 0);
    v = t.verdict.secure() ? sec::bogus(sec::ede::NsecMissing, "denial without SOA") : t.verdict;
  } else {
    const dns::Name zone = soa->set.owner;
    ZoneTrust t = co_await trustOf(zone, b, 0);
    if (!t.verdict.secure()) {
      v = t.verdict;
    } else {
      sec::RRsetInfo info;
      v = r_.validator().verifyRRset(soa->set, soa->sigs, zone, t.keys, &info);
      if (v.secure()) {
        ttl = std::min(ttl, info.ttl);
        auto proofs = verifiedProofs(a.authority, zone, t);
        v = a.negType == RecordCache::kNxType
                ? r_.denial().nxdomain(a.negOwner, zone, proofs)
                : r_.denial().nodata(a.negOwner, a.negType, zone, proofs);
      }
    }
  }
  cache.setVerdict(a.negOwner, a.negType, v, v.bogus() ? kBogusTtl : ttl, nowSec());
  co_return v;
}

Task<sec::Verdict> Iterator::validateAnswer(Answer& a, Budget& b) {
  sec::Verdict verdict = sec::secure();
  auto& cache = r_.cache();
  auto groups = group(a.answer);
  for (const auto& g : groups) {
    // A CNAME synthesised from a DNAME of the answer is not signed (RFC 6672 5.3.1).
    if (g.set.type == dns::qtype::CNAME && g.sigs.empty() &&
        std::any_of(groups.begin(), groups.end(), [&](const Group& d) {
          return d.set.type == dns::qtype::DNAME && g.set.owner.isPartOf(d.set.owner) &&
                 !(g.set.owner == d.set.owner);
        }))
      continue;
    if (auto e = cache.get(g.set.owner, g.set.type, nowSec());
        e && e->validated && e->kind == EntryKind::Positive) {
      verdict = sec::worst(verdict, e->verdict);
      continue;
    }
    uint32_t ttl = UINT32_MAX;
    sec::Verdict v = co_await validateRRset(g.set, g.sigs, a.authority, b, ttl);
    cache.setVerdict(g.set.owner, g.set.type, v, v.bogus() ? kBogusTtl : ttl, nowSec());
    verdict = sec::worst(verdict, v);
  }
  if (a.negative) {
    uint32_t ttl = UINT32_MAX;
    verdict = sec::worst(verdict, co_await validateNegative(a, b, ttl));
  }
  co_return verdict;
}

Task<Answer> Iterator::resolveForClient(dns::Name qname, uint16_t qtype, Budget& b, bool validate) {
  b.validating = validate;
  Answer a = co_await resolve(qname, qtype, b, 0);
  if (!validate || (a.rcode != dns::rcode::NoError && a.rcode != dns::rcode::NXDomain)) co_return a;
  // A cache hit made of validated entries costs no lookup nor cryptography.
  a.verdict = a.allCachedValidated ? a.cachedVerdict : co_await validateAnswer(a, b);
  a.validated = true;
  if (a.verdict.bogus()) a.rcode = dns::rcode::ServFail;
  co_return a;
}

}  // namespace ballast::backends::resolver
