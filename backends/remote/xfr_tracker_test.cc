// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/xfr_tracker.hh"

#include <doctest/doctest.h>

#include <vector>

#include "dns/test_packet.hh"
#include "dns/types.hh"

using ballast::backends::remote::XfrTracker;
using ballast::dns::testing::PacketBuilder;
namespace qtype = ballast::dns::qtype;
using State = XfrTracker::State;

namespace {
/// A record of a transfer message: an SOA with this serial, or (serial 0) an A record.
struct Rec {
  uint32_t soa = 0;
};
constexpr Rec a{0};
Rec soa(uint32_t serial) {
  return Rec{serial};
}

/// One response message for example.com (question at offset 12), records compressed.
std::vector<uint8_t> message(uint16_t qt, std::initializer_list<Rec> recs, uint8_t rcode = 0) {
  PacketBuilder p;
  p.header(0x2a2a, uint16_t(0x8400 | rcode), 1, uint16_t(recs.size()), 0, 0);
  p.name("example.com").u16(qt).u16(1);
  for (const Rec& r : recs) {
    if (r.soa == 0) {
      p.ptr(12).rr(qtype::A, 1, 60, 4).bytes({192, 0, 2, 1});
      continue;
    }
    p.ptr(12).rr(qtype::SOA, 1, 3600, 39);
    p.labels("ns1").ptr(12).labels("hostmaster").ptr(12);
    p.u32(r.soa).u32(3600).u32(600).u32(86400).u32(300);
  }
  return p.vec();
}
}  // namespace

TEST_CASE("AXFR ends with the second SOA, across messages") {
  XfrTracker t(qtype::AXFR);
  CHECK(t.feed(message(qtype::AXFR, {soa(7), a, a})) == State::More);
  CHECK(t.serial() == 7);
  CHECK(t.feed(message(qtype::AXFR, {a, a, a})) == State::More);
  CHECK(t.feed(message(qtype::AXFR, {a, soa(7)})) == State::Done);
  CHECK(t.messages() == 3);
  CHECK(t.records() == 8);
  // Nothing may come after the end.
  CHECK(t.feed(message(qtype::AXFR, {a})) == State::Failed);
}

TEST_CASE("AXFR in one message, and one whose closing SOA is followed by more records") {
  XfrTracker one(qtype::AXFR);
  CHECK(one.feed(message(qtype::AXFR, {soa(1), a, soa(1)})) == State::Done);
  XfrTracker extra(qtype::AXFR);
  CHECK(extra.feed(message(qtype::AXFR, {soa(1), soa(1), a})) == State::Failed);
}

TEST_CASE("IXFR: current client, full zone, list of differences") {
  XfrTracker current(qtype::IXFR);
  CHECK(current.feed(message(qtype::IXFR, {soa(9)})) == State::Done);

  XfrTracker full(qtype::IXFR);
  CHECK(full.feed(message(qtype::IXFR, {soa(9), a})) == State::More);
  CHECK(full.feed(message(qtype::IXFR, {a, soa(9)})) == State::Done);

  // 9 is current; the client had 7: 7 -> 8 -> 9, each a deletion and an addition.
  XfrTracker diffs(qtype::IXFR);
  CHECK(diffs.feed(message(qtype::IXFR, {soa(9), soa(7), a, soa(8)})) == State::More);
  CHECK(diffs.feed(message(qtype::IXFR, {a, soa(8), a})) == State::More);
  CHECK(diffs.feed(message(qtype::IXFR, {soa(9), a})) == State::More);  // last addition
  CHECK(diffs.feed(message(qtype::IXFR, {soa(9)})) == State::Done);
  CHECK(diffs.records() == 10);
}

TEST_CASE("failures: error rcode, no opening SOA, malformed message or SOA") {
  XfrTracker refused(qtype::AXFR);
  CHECK(refused.feed(message(qtype::AXFR, {}, 5)) == State::Failed);
  XfrTracker noSoa(qtype::AXFR);
  CHECK(noSoa.feed(message(qtype::AXFR, {a, soa(1)})) == State::Failed);
  XfrTracker cut(qtype::AXFR);
  auto m = message(qtype::AXFR, {soa(1), a});
  m.resize(m.size() - 3);
  CHECK(cut.feed(m) == State::Failed);
  // An SOA whose RDATA is too short for its fixed fields.
  PacketBuilder p;
  p.header(1, 0x8400, 1, 1, 0, 0).name("example.com").u16(qtype::AXFR).u16(1);
  p.ptr(12).rr(qtype::SOA, 1, 3600, 8).ptr(12).ptr(12).u32(5);
  XfrTracker shortSoa(qtype::AXFR);
  CHECK(shortSoa.feed(p.span()) == State::Failed);
  XfrTracker query(qtype::AXFR);
  auto q = message(qtype::AXFR, {soa(1)});
  q[2] &= 0x7f;  // QR clear: a query, not an answer
  CHECK(query.feed(q) == State::Failed);
}
