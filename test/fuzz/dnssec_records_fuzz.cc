// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for the DNSSEC validator's record handling (backends/resolver/dnssec/). The
// first byte chooses what the rest is:
//   0: a DNS message: its sections grouped into RRsets with their RRSIGs, each RRSIG parsed
//      and its signed data built, each RRset verified against the message's own DNSKEYs,
//      and the authority section's NSEC/NSEC3 run through every denial proof;
//   1: one RDATA, read as RRSIG, DNSKEY, DS, NSEC, NSEC3 and NSEC3PARAM;
//   2: presentation-format text (trust anchor files): records parsed, DNSSEC ones re-read.
// Invariants: views stay inside their RDATA, what the text parser writes parses back.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "backends/resolver/dnssec/denial.hh"
#include "backends/resolver/dnssec/records.hh"
#include "backends/resolver/dnssec/rrset.hh"
#include "backends/resolver/dnssec/trust_anchors.hh"
#include "backends/resolver/dnssec/validator.hh"
#include "backends/resolver/dnssec/zone_text.hh"
#include "dns/message.hh"
#include "dns/types.hh"
#include "test/fuzz/fuzz_check.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;

namespace {

bool inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void rdataViews(std::span<const uint8_t> r) {
  RrsigView s;
  if (parseRrsig(r, s)) {
    FUZZ_CHECK(s.signedPart.size() + s.signature.size() == r.size());
    FUZZ_CHECK(!s.signature.empty());
    FUZZ_CHECK(s.signer.wireLength() <= dns::kMaxNameLength);
  }
  DnskeyView k;
  if (parseDnskey(r, k)) {
    FUZZ_CHECK(inside(k.publicKey, r));
    (void)keyTag(r);
  }
  DsView d;
  if (parseDs(r, d)) FUZZ_CHECK(inside(d.digest, r));
  NsecView n;
  if (parseNsec(r, n)) {
    FUZZ_CHECK(inside(n.types.bytes, r));
    for (uint16_t t : {1, 2, 6, 43, 46, 47, 48, 50, 65535}) (void)n.types.has(t);
  }
  Nsec3View n3;
  if (parseNsec3(r, n3)) {
    FUZZ_CHECK(inside(n3.salt, r) && inside(n3.nextHashed, r) && inside(n3.types.bytes, r));
    FUZZ_CHECK(!n3.nextHashed.empty());
    (void)n3.types.has(dns::qtype::DS);
  }
  Nsec3ParamView p;
  if (parseNsec3Param(r, p)) FUZZ_CHECK(5 + p.salt.size() == r.size());
}

void message(std::span<const uint8_t> packet) {
  dns::MessageView m;
  if (dns::MessageView::parse(packet, m) != dns::ParseError::None) return;
  std::vector<SignedRRset> answer, authority;
  if (!collectRRsets(m, dns::Section::Answer, answer)) return;
  if (!collectRRsets(m, dns::Section::Authority, authority)) return;
  std::vector<std::vector<uint8_t>> keys;
  std::vector<RRset> denial;
  for (auto* sets : {&answer, &authority}) {
    for (const auto& s : *sets) {
      if (s.rrset.type == dns::qtype::DNSKEY) {
        keys.insert(keys.end(), s.rrset.rdatas.begin(), s.rrset.rdatas.end());
      }
      for (const auto& r : s.rrset.rdatas) rdataViews(r);
      for (const auto& r : s.rrsigs) rdataViews(r);
    }
  }
  ValidatorOptions o;
  o.now = [] { return int64_t(1700000000); };
  o.maxVerificationsPerRRset = 2;  // keep the fuzzer fast; the bound is what is tested
  Validator v(o);
  for (const auto& s : answer) {
    std::vector<uint8_t> data;
    for (const auto& r : s.rrsigs) {
      RrsigView sig;
      if (parseRrsig(r, sig) && signedData(s.rrset, sig, data)) FUZZ_CHECK(data.size() >= 19);
      if (parseRrsig(r, sig)) (void)v.verifyRRset(s.rrset, s.rrsigs, sig.signer, keys);
    }
    if (s.rrset.type == dns::qtype::DNSKEY) (void)v.validateDnskeys(s.rrset, s.rrsigs, {}, keys);
  }
  for (const auto& s : authority) denial.push_back(s.rrset);
  if (!m.hasQuestion()) return;
  dns::Name qname = m.question().name.toName();
  Denial d(20);  // a low iteration limit bounds the SHA-1 work per input
  for (const auto& s : authority) {
    if (s.rrset.type != dns::qtype::SOA && s.rrset.type != dns::qtype::NSEC &&
        s.rrset.type != dns::qtype::NSEC3) {
      continue;
    }
    dns::Name zone = s.rrset.type == dns::qtype::SOA ? s.rrset.owner : qname;
    Verdict results[] = {
        d.nxdomain(qname, zone, denial), d.nodata(qname, m.question().qtype, zone, denial),
        d.wildcardAnswer(qname, 1, zone, denial), d.insecureDelegation(qname, zone, denial)};
    for (const auto& r : results) FUZZ_CHECK(r.reason != nullptr);
  }
}

void text(std::string_view t) {
  std::vector<TextRecord> recs;
  try {
    recs = parseZoneText(t);
  } catch (const std::invalid_argument&) {
    return;
  }
  for (const auto& r : recs) {
    FUZZ_CHECK(r.rdata.size() <= 0xffff);
    RrsigView s;
    DnskeyView k;
    DsView d;
    NsecView n;
    Nsec3View n3;
    switch (r.type) {
      case dns::qtype::RRSIG:
        FUZZ_CHECK(parseRrsig(r.rdata, s));
        break;
      case dns::qtype::DNSKEY:
        FUZZ_CHECK(parseDnskey(r.rdata, k));
        break;
      case dns::qtype::DS:
        FUZZ_CHECK(parseDs(r.rdata, d));
        break;
      case dns::qtype::NSEC:
        FUZZ_CHECK(parseNsec(r.rdata, n));
        break;
      case dns::qtype::NSEC3:
        FUZZ_CHECK(parseNsec3(r.rdata, n3));
        break;
      default:
        break;
    }
  }
  TrustAnchors anchors;
  try {
    anchors.addText(t, "fuzz");
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      message(rest);
      break;
    case 1:
      rdataViews(rest);
      break;
    default:
      text({reinterpret_cast<const char*>(rest.data()), rest.size()});
      break;
  }
  return 0;
}
