// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for the selectors that read a message's records from the wire
// (core/rules/message_selectors: RecordsTypeCountRule's count, which walks the question
// section itself, and EDNSOptionRule's option search). Checks: a section never holds more
// records of a type than its header count; the first question's type is counted; an option
// is found exactly when forEachEdnsOption visits its code.
#include <set>

#include "core/rules/message_selectors.hh"
#include "dns/header.hh"
#include "test/fuzz/fuzz_check.hh"

using namespace ballast;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dns::MessageView m;
  if (dns::MessageView::parse({data, size}, m) != dns::ParseError::None) return 0;
  dns::HeaderView h = m.header();
  const unsigned counts[] = {h.qdcount(), h.ancount(), h.nscount(), h.arcount()};
  std::set<uint16_t> types = {1, 28, 41, 255};
  if (m.hasQuestion()) types.insert(m.question().qtype);
  for (const auto& r : m) types.insert(r.type);
  for (uint8_t s = 0; s < 4; ++s)
    for (uint16_t t : types) FUZZ_CHECK(core::rules::countRecordsOfType(m, s, t) <= counts[s]);
  if (m.hasQuestion()) FUZZ_CHECK(core::rules::countRecordsOfType(m, 0, m.question().qtype) >= 1);
  std::set<uint16_t> codes;
  if (m.edns().present)
    dns::forEachEdnsOption(m.ednsOptions(), [&](uint16_t c, auto) { codes.insert(c); });
  for (uint16_t c : {uint16_t(3), uint16_t(8), uint16_t(10), uint16_t(12)})
    FUZZ_CHECK(core::rules::hasEdnsOption(m, c) == (codes.count(c) > 0));
  return 0;
}
