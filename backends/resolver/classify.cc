// SPDX-License-Identifier: GPL-2.0-only
/// What a server's answer means, and what of it the cache may keep (the bailiwick rules).
#include <algorithm>
#include <map>

#include <sys/socket.h>
#include <unistd.h>

#include "backends/resolver/iterator.hh"
#include "dns/message.hh"
#include "dns/rdata.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver {

namespace {

/// The records of one section, owner names and RDATA decompressed.
struct Section {
  std::vector<Record> records;
};

bool readSections(const std::vector<uint8_t>& reply, Section (&s)[3]) {
  dns::MessageView m;
  if (dns::MessageView::parse(reply, m) != dns::ParseError::None) return false;
  std::vector<uint8_t> rdata;
  for (const auto& rv : m) {
    if (rv.type == dns::qtype::OPT || rv.klass != dns::qclass::IN) continue;
    if (!dns::canonicalRdata(m, rv, rdata)) return false;
    int idx = rv.section == dns::Section::Answer      ? 0
              : rv.section == dns::Section::Authority ? 1
                                                      : 2;
    s[idx].records.push_back({rv.name.toName(), rv.type, rv.ttl, rdata});
  }
  return true;
}

/// Records of `type` owned by `owner`.
std::vector<const Record*> rrset(const Section& s, const dns::Name& owner, uint16_t type) {
  std::vector<const Record*> out;
  for (const auto& r : s.records)
    if (r.type == type && r.owner == owner) out.push_back(&r);
  return out;
}

void cacheRRset(RecordCache& cache, const std::vector<const Record*>& set, Rank rank,
                int64_t nowSec, Signatures sigs = {}) {
  if (set.empty()) return;
  uint32_t ttl = set[0]->ttl;
  std::vector<std::vector<uint8_t>> rdatas;
  for (const Record* r : set) {
    ttl = std::min(ttl, r->ttl);
    rdatas.push_back(r->rdata);
  }
  cache.putRRset(set[0]->owner, set[0]->type, ttl, rank, std::move(rdatas), nowSec,
                 std::move(sigs));
}

uint16_t typeCovered(const Record& rrsig) {
  return rrsig.rdata.size() >= 2 ? uint16_t(rrsig.rdata[0] << 8 | rrsig.rdata[1]) : 0;
}

/// The RRSIG records of `s` over (owner, type).
std::vector<const Record*> rrsigsOver(const Section& s, const dns::Name& owner, uint16_t type) {
  std::vector<const Record*> out;
  for (const auto& r : s.records)
    if (r.type == dns::qtype::RRSIG && typeCovered(r) == type && r.owner == owner)
      out.push_back(&r);
  return out;
}

Signatures signaturesOf(const std::vector<const Record*>& rrsigs) {
  Signatures sigs;
  for (const Record* r : rrsigs) sigs.rrsigs.push_back(r->rdata);
  return sigs;
}

/// `set` then its RRSIGs, appended to `out` (what a DO client is given).
void appendSigned(std::vector<Record>& out, const std::vector<const Record*>& set,
                  const std::vector<const Record*>& rrsigs) {
  for (const Record* r : set) out.push_back(*r);
  for (const Record* r : rrsigs) out.push_back(*r);
}

/// The authority records that prove a denial or a wildcard expansion: NSEC and NSEC3, and
/// the RRSIGs over them and over the SOA, inside the cut's zone.
std::vector<Record> proofRecords(const Section& authority, const Cut& cut) {
  std::vector<Record> out;
  for (const auto& r : authority.records) {
    if (!cut.forward && !r.owner.isPartOf(cut.zone)) continue;
    uint16_t t = r.type == dns::qtype::RRSIG ? typeCovered(r) : r.type;
    if (t == dns::qtype::NSEC || t == dns::qtype::NSEC3 ||
        (r.type == dns::qtype::RRSIG && t == dns::qtype::SOA))
      out.push_back(r);
  }
  return out;
}

/// The SOA proving a negative answer for `name`: owned by an ancestor of it inside the cut.
std::optional<Record> proofSoa(const Section& authority, const dns::Name& name, const Cut& cut) {
  for (const auto& r : authority.records) {
    if (r.type != dns::qtype::SOA || !name.isPartOf(r.owner)) continue;
    if (!cut.forward && !r.owner.isPartOf(cut.zone)) continue;
    Record soa = r;
    uint32_t minimum = 0;
    if (dns::soaMinimum(soa.rdata, minimum)) soa.ttl = std::min(soa.ttl, minimum);
    return soa;
  }
  return std::nullopt;
}

/// A delegation below the cut towards `name` in the authority section, if any.
std::optional<Step> referral(const Section (&s)[3], const Cut& cut, const dns::Name& name,
                             uint16_t type, RecordCache& cache, int64_t nowSec) {
  const Record* first = nullptr;
  for (const auto& r : s[1].records) {
    // A DS is the parent's: a referral to the zone it names would ask the child for it.
    if (r.type == dns::qtype::NS && name.isPartOf(r.owner) && r.owner.isPartOf(cut.zone) &&
        !(r.owner == cut.zone) && !(type == dns::qtype::DS && r.owner == name)) {
      first = &r;
      break;
    }
  }
  if (!first) return std::nullopt;
  Step step;
  step.kind = Step::Kind::Referral;
  step.cut.zone = first->owner;
  auto ns = rrset(s[1], first->owner, dns::qtype::NS);
  cacheRRset(cache, ns, Rank::Referral, nowSec);
  for (const Record* r : ns) {
    dns::Name target;
    if (!dns::rdataTarget(dns::qtype::NS, r->rdata, target)) continue;
    step.cut.nsNames.push_back(target);
    // Glue is believed only for the servers named and only inside the bailiwick of the
    // server that sent it: an answer from poison.test. cannot plant an address for
    // ns.example.test.
    if (!target.isPartOf(cut.zone)) continue;
    for (uint16_t type : {dns::qtype::A, dns::qtype::AAAA}) {
      auto glue = rrset(s[2], target, type);
      cacheRRset(cache, glue, Rank::Glue, nowSec);
      for (const Record* g : glue)
        if (auto a = serverAddress(type, g->rdata)) step.cut.addresses.push_back(*a);
    }
  }
  if (step.cut.nsNames.empty()) return std::nullopt;
  return step;
}

}  // namespace

namespace {
bool hostHasIpv6() {
  static const bool has = [] {
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    close(fd);
    return true;
  }();
  return has;
}
}  // namespace

std::optional<core::Address> serverAddress(uint16_t type, const std::vector<uint8_t>& rdata) {
  if (type == dns::qtype::A && rdata.size() == 4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(53);
    std::copy(rdata.begin(), rdata.end(), reinterpret_cast<uint8_t*>(&sin.sin_addr));
    return core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  }
  if (type == dns::qtype::AAAA && rdata.size() == 16 && hostHasIpv6()) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(53);
    std::copy(rdata.begin(), rdata.end(), reinterpret_cast<uint8_t*>(&sin6.sin6_addr));
    return core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6));
  }
  return std::nullopt;
}

bool dnameSubstitute(const dns::Name& name, const dns::Name& owner, const dns::Name& target,
                     dns::Name& out) {
  auto w = name.wire();
  size_t prefix = w.size() - owner.wireLength();
  if (prefix + target.wireLength() > dns::kMaxNameLength) return false;
  std::vector<uint8_t> wire(w.begin(), w.begin() + long(prefix));
  auto t = target.wire();
  wire.insert(wire.end(), t.begin(), t.end());
  out = dns::Name::fromWire(wire);
  return true;
}

dns::Name ancestor(const dns::Name& name, size_t labels) {
  size_t have = name.labelCount();
  if (labels >= have) return name;
  auto w = name.wire();
  size_t pos = 0;
  for (size_t skip = have - labels; skip > 0; --skip) pos += 1 + size_t(w[pos]);
  return dns::Name::fromWire(w.subspan(pos));
}

Step classify(const std::vector<uint8_t>& reply, const Cut& cut, const dns::Name& askName,
              uint16_t askType, int maxChain, RecordCache& cache, int64_t nowSec, bool minimised) {
  Step step;
  step.kind = Step::Kind::Lame;
  Section s[3];
  if (!readSections(reply, s)) return step;
  dns::HeaderView h(reply.data());
  const uint8_t rc = h.rcode();
  if (rc != dns::rcode::NoError && rc != dns::rcode::NXDomain) return step;
  const Rank rank = h.aa() ? Rank::AuthAnswer : Rank::NonAuth;
  if (!h.aa() && !cut.forward && rc == dns::rcode::NoError && s[0].records.empty()) {
    // Without AA only a referral is meaningful from an authoritative server.
    if (auto r = referral(s, cut, askName, askType, cache, nowSec)) return *r;
    if (!proofSoa(s[1], askName, cut)) return step;
  }

  // The answer section: the chain from askName, only inside the cut's bailiwick.
  dns::Name cur = askName;
  int links = 0;
  for (;;) {
    if (!cut.forward && !cur.isPartOf(cut.zone)) break;
    auto data = rrset(s[0], cur, askType);
    if (!data.empty()) {
      auto sigs = rrsigsOver(s[0], cur, askType);
      // NSEC/NSEC3 beside an answer prove a wildcard expansion: kept with the RRset.
      step.proofs = proofRecords(s[1], cut);
      Signatures kept = signaturesOf(sigs);
      kept.proofs = step.proofs;
      cacheRRset(cache, data, rank, nowSec, std::move(kept));
      appendSigned(step.records, data, sigs);
      // An NS answer (root priming) brings its servers' addresses: kept as glue, for the
      // servers named and inside the bailiwick only, as for a referral.
      if (askType == dns::qtype::NS && !cut.forward) {
        for (const Record* r : data) {
          dns::Name target;
          if (!dns::rdataTarget(dns::qtype::NS, r->rdata, target) || !target.isPartOf(cut.zone))
            continue;
          for (uint16_t type : {dns::qtype::A, dns::qtype::AAAA})
            cacheRRset(cache, rrset(s[2], target, type), Rank::Glue, nowSec);
        }
      }
      step.kind = Step::Kind::Answer;
      return step;
    }
    if (askType == dns::qtype::CNAME) break;
    // A DNAME above the name wins over the CNAME a server synthesised from it, so that
    // the client sees the DNAME (and we cache it, and make the CNAME ourselves).
    const Record* dname = nullptr;
    for (const auto& r : s[0].records)
      if (r.type == dns::qtype::DNAME && cur.isPartOf(r.owner) && !(cur == r.owner) &&
          (cut.forward || r.owner.isPartOf(cut.zone)))
        dname = &r;
    dns::Name next, target;
    auto cname = rrset(s[0], cur, dns::qtype::CNAME);
    if (dname && dns::rdataTarget(dns::qtype::DNAME, dname->rdata, target) &&
        dnameSubstitute(cur, dname->owner, target, next)) {
      // Only the DNAME is cached: the CNAME is made from it again for every name below it.
      auto sigs = rrsigsOver(s[0], dname->owner, dns::qtype::DNAME);
      cacheRRset(cache, {dname}, rank, nowSec, signaturesOf(sigs));
      appendSigned(step.records, {dname}, sigs);
      auto w = next.wire();
      step.records.push_back({cur, dns::qtype::CNAME, dname->ttl, {w.begin(), w.end()}});
    } else if (!cname.empty() && dns::rdataTarget(dns::qtype::CNAME, cname[0]->rdata, next)) {
      auto sigs = rrsigsOver(s[0], cur, dns::qtype::CNAME);
      cacheRRset(cache, {cname[0]}, rank, nowSec, signaturesOf(sigs));
      appendSigned(step.records, {cname[0]}, sigs);
    } else {
      break;
    }
    if (++links > maxChain) {
      step.kind = Step::Kind::Fail;
      return step;
    }
    cur = next;
  }

  // The rcode speaks only for the last name of the chain inside the server's zone: a chain
  // that left the zone (x.evil.test. NXDOMAIN, CNAME www.victim.test.) says nothing about
  // where it points, which is asked of that name's own servers.
  const bool leftZone = !step.records.empty() && !cut.forward && !cur.isPartOf(cut.zone);
  if (rc == dns::rcode::NXDomain && !leftZone) {
    step.kind = Step::Kind::NxDomain;
    step.soa = proofSoa(s[1], cur, cut);
    step.proofs = proofRecords(s[1], cut);
    if (step.soa && !minimised && (cut.forward || cur.isPartOf(cut.zone)))
      cache.putNegative(cur, 0, EntryKind::NxDomain, step.soa->ttl, step.soa, rank, nowSec,
                        Signatures{{}, step.proofs});
    return step;
  }
  if (!step.records.empty()) {
    // The chain left the answer: resolve where it points (a NODATA proof for `cur` may be
    // here, but resolving again is simpler and the cache makes it cheap).
    step.kind = Step::Kind::Cname;
    step.next = cur;
    return step;
  }
  if (!cut.forward) {
    if (auto r = referral(s, cut, askName, askType, cache, nowSec)) return *r;
  }
  step.soa = proofSoa(s[1], askName, cut);
  if (!step.soa && !h.aa() && !cut.forward) return step;  // lame: neither data nor proof
  step.kind = Step::Kind::NoData;
  step.proofs = proofRecords(s[1], cut);
  if (step.soa)
    cache.putNegative(askName, askType, EntryKind::NoData, step.soa->ttl, step.soa, rank, nowSec,
                      Signatures{{}, step.proofs});
  return step;
}

}  // namespace ballast::backends::resolver
