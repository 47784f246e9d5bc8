// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for what the embedded resolver does with a server's reply: classify() over
// arbitrary bytes, as a server of "test." asked about its question (or www.example.test.).
// Besides "no crash, no UB", it checks the bailiwick invariants the cache relies on: every
// record handed on is owned inside the zone asked, a referral goes strictly below it, and
// nothing outside the zone was cached.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "test/fuzz/fuzz_check.hh"

#include "backends/resolver/iterator.hh"
#include "dns/message.hh"
#include "dns/rdata.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::backends::resolver;

namespace {}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> reply(data, data + size);
  dns::MessageView m;
  if (dns::MessageView::parse(reply, m) != dns::ParseError::None) return 0;
  Cut cut;
  cut.zone = dns::Name::fromString("test.");
  dns::Name ask = dns::Name::fromString("www.example.test.");
  uint16_t type = dns::qtype::A;
  if (m.hasQuestion() && m.question().name.toName().isPartOf(cut.zone)) {
    ask = m.question().name.toName();
    type = m.question().qtype;
  }
  RecordCache cache({});
  Step s = classify(reply, cut, ask, type, 12, cache, 0);
  for (const auto& r : s.records) FUZZ_CHECK(r.owner.isPartOf(cut.zone));
  if (s.kind == Step::Kind::Referral) {
    FUZZ_CHECK(s.cut.zone.isPartOf(cut.zone) && !(s.cut.zone == cut.zone));
    FUZZ_CHECK(ask.isPartOf(s.cut.zone));
  }
  // Whatever was cached must be inside the zone: probe every owner the reply mentions.
  std::vector<uint8_t> rdata;
  for (const auto& rv : m) {
    dns::Name owner = rv.name.toName();
    if (dns::canonicalRdata(m, rv, rdata)) {
      dns::Name target;
      if (rv.type == dns::qtype::NS || rv.type == dns::qtype::CNAME) {
        FUZZ_CHECK(dns::rdataTarget(rv.type, rdata, target));
      }
    }
    if (owner.isPartOf(cut.zone)) continue;
    for (uint16_t t : {rv.type, uint16_t(0)}) FUZZ_CHECK(!cache.get(owner, t, 0));
  }
  return 0;
}
