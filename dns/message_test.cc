// SPDX-License-Identifier: GPL-2.0-only
#include "dns/message.hh"

#include <doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "dns/test_packet.hh"
#include "dns/types.hh"

using namespace ballast::dns;
using ballast::dns::testing::PacketBuilder;
using ballast::dns::testing::reason;

// Counts every allocation in this test binary, to prove the query-path calls make none.
namespace {
std::atomic<size_t> gAllocations{0};
}
void* operator new(size_t n) {
  ++gAllocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace {

ParseError parseOf(const PacketBuilder& p) {
  MessageView m;
  return MessageView::parse(p.span(), m);
}

// A query for "a." whose header announces `an` answers and `ar` additionals; the caller
// appends them.
PacketBuilder queryWith(uint16_t an, uint16_t ar) {
  PacketBuilder p;
  p.header(1, 0x0100, 1, an, 0, ar).name("a").u16(qtype::A).u16(qclass::IN);  // ends at 19
  return p;
}

}  // namespace

TEST_CASE("a compressed response parses with every offset right") {
  const auto pkt = testing::exampleResponse();
  MessageView m;
  REQUIRE(reason(MessageView::parse(pkt, m)) == reason(ParseError::None));
  CHECK(m.header().id() == 0x1234);
  CHECK(m.header().qr());
  CHECK(m.header().ra());
  CHECK(m.hasQuestion());
  CHECK(m.question().name.toString() == "www.example.com.");
  CHECK(m.question().name.offset() == 12);
  CHECK(m.question().qtype == qtype::A);
  CHECK(m.question().qclass == qclass::IN);
  CHECK(m.questionEnd() == 33);
  CHECK(m.messageEnd() == 140);

  struct Expected {
    std::string_view owner;
    uint16_t type;
    uint32_t ttl;
    uint16_t offset, ttlOffset, rdataOffset, rdataLength;
    Section section;
  };
  const Expected want[] = {
      {"www.example.com.", qtype::CNAME, 300, 33, 39, 45, 18, Section::Answer},
      {"edge.example.net.", qtype::A, 60, 63, 69, 75, 4, Section::Answer},
      {"example.net.", qtype::NS, 3600, 79, 85, 91, 6, Section::Authority},
      {"ns1.example.net.", qtype::A, 3600, 97, 103, 109, 4, Section::Additional},
      {".", qtype::OPT, 0x8000, 113, 118, 124, 16, Section::Additional},
  };
  size_t i = 0;
  for (const RecordView& r : m) {
    REQUIRE(i < std::size(want));
    const Expected& w = want[i++];
    CAPTURE(w.owner);
    CHECK(r.name.toString() == w.owner);
    CHECK(r.type == w.type);
    CHECK(r.ttl == w.ttl);
    CHECK(r.offset == w.offset);
    CHECK(r.ttlOffset == w.ttlOffset);
    CHECK(r.rdataOffset == w.rdataOffset);
    CHECK(r.rdataLength == w.rdataLength);
    CHECK(r.section == w.section);
  }
  CHECK(i == std::size(want));

  // Names inside RDATA are readable through NameRef at the RDATA offset.
  CHECK(NameRef(pkt, 45).toString() == "edge.example.net.");
  CHECK(NameRef(pkt, 91).toString() == "ns1.example.net.");
  CHECK(pkt[75] == 93);
  CHECK(pkt[112] == 53);
}

TEST_CASE("EDNS fields and options") {
  const auto pkt = testing::exampleResponse();
  MessageView m;
  REQUIRE(reason(MessageView::parse(pkt, m)) == reason(ParseError::None));
  const Edns& e = m.edns();
  CHECK(e.present);
  CHECK(e.udpPayloadSize == 1232);
  CHECK(e.dnssecOk);
  CHECK(e.version == 0);
  CHECK(e.extendedRcode == 0);
  CHECK(e.flags == 0x8000);
  CHECK(e.recordOffset == 113);
  CHECK(e.optionsOffset == 124);
  CHECK(e.optionsLength == 16);

  std::vector<std::pair<uint16_t, size_t>> seen;
  ParseError e2 = forEachEdnsOption(m.ednsOptions(), [&](uint16_t code, auto data) {
    seen.emplace_back(code, data.size());
    if (code == 10) CHECK(data[7] == 8);
  });
  CHECK(reason(e2) == reason(ParseError::None));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::pair<uint16_t, size_t>(10, 8));
  CHECK(seen[1] == std::pair<uint16_t, size_t>(12, 0));

  SUBCASE("version, extended rcode and DO clear") {
    auto p = queryWith(0, 1);
    p.name("").rr(qtype::OPT, 4096, 0x01020000, 0);
    MessageView q;
    REQUIRE(reason(MessageView::parse(p.span(), q)) == reason(ParseError::None));
    CHECK(q.edns().extendedRcode == 1);
    CHECK(q.edns().version == 2);
    CHECK_FALSE(q.edns().dnssecOk);
    CHECK(q.edns().udpPayloadSize == 4096);
    CHECK(q.ednsOptions().empty());
  }
  SUBCASE("no OPT") {
    MessageView q;
    auto p = queryWith(0, 0);
    REQUIRE(reason(MessageView::parse(p.span(), q)) == reason(ParseError::None));
    CHECK_FALSE(q.edns().present);
    CHECK(q.begin() == q.end());
  }
}

TEST_CASE("forEachEdnsOption stops at an overrunning option") {
  const uint8_t opts[] = {0, 10, 0, 2, 0xaa, 0xbb, 0, 12, 0, 9, 1};
  int calls = 0;
  ParseError e = forEachEdnsOption(opts, [&](uint16_t, auto) { ++calls; });
  CHECK(reason(e) == reason(ParseError::BadOpt));
  CHECK(calls == 1);
  const uint8_t shortHeader[] = {0, 10, 0};
  CHECK(reason(forEachEdnsOption(shortHeader, [](uint16_t, std::span<const uint8_t>) {})) ==
        reason(ParseError::BadOpt));
}

TEST_CASE("header too short") {
  PacketBuilder p;
  p.fill(11, 0);
  CHECK(reason(parseOf(p)) == reason(ParseError::TooShort));
  p.u8(0);
  CHECK(reason(parseOf(p)) ==
        reason(ParseError::None));  // a bare header with zero counts is well formed
}

TEST_CASE("compression loop") {
  PacketBuilder p;
  // @12 "a" then a pointer back to 12: each hop points backwards, yet it never ends.
  p.header(1, 0, 1, 0, 0, 0).labels("a").ptr(12).u16(1).u16(1);
  CHECK(reason(parseOf(p)) == reason(ParseError::CompressionLoop));
}

TEST_CASE("compression loop via a chain of pointers longer than the hop bound") {
  auto chain = [](int hops) {
    // The question is the root; an answer's RDATA holds a root byte followed by pointers
    // each to the one before, and a second answer's owner enters the chain at its end.
    auto p = queryWith(2, 0);
    p.name("").rr(qtype::TXT, 1, 0, uint16_t(1 + 2 * hops));
    const uint16_t root = uint16_t(p.size());
    p.u8(0);
    for (int k = 0; k < hops; ++k) p.ptr(uint16_t(k == 0 ? root : root + 1 + 2 * (k - 1)));
    p.ptr(uint16_t(root + 1 + 2 * (hops - 1))).rr(qtype::A, 1, 0, 4).u32(0);
    return p;
  };
  CHECK(reason(parseOf(chain(126))) ==
        reason(ParseError::None));  // the owner's own pointer makes 127 hops
  CHECK(reason(parseOf(chain(127))) == reason(ParseError::CompressionLoop));
}

TEST_CASE("a name reached through a pointer may not run into that pointer") {
  // A TXT RDATA whose first byte claims an 8-byte label, only 4 bytes of it left before the
  // next record, whose owner points there: read on, the name would swallow the pointer and
  // the record after it (found by the fuzzer through makeResponseInPlace).
  auto p = queryWith(2, 0);
  p.ptr(12).rr(qtype::TXT, 1, 0, 5);
  const uint16_t rdata = uint16_t(p.size());
  p.u8(8).fill(4, 'a');
  p.ptr(rdata).rr(qtype::A, 1, 0, 4).u32(0);
  CHECK(reason(parseOf(p)) == reason(ParseError::CompressionLoop));
}

TEST_CASE("forward pointer") {
  PacketBuilder p;
  p.header(1, 0, 1, 0, 0, 0).ptr(12).u16(1).u16(1);  // points at itself
  CHECK(reason(parseOf(p)) == reason(ParseError::ForwardPointer));
  PacketBuilder q;
  q.header(1, 0, 1, 0, 0, 0).ptr(16).u16(1).u16(1).name("");  // points ahead
  CHECK(reason(parseOf(q)) == reason(ParseError::ForwardPointer));
}

TEST_CASE("pointer into the header") {
  // 0xc0 0x02 points at the flags and counts: bytes that read as labels here but change
  // meaning as soon as the header is edited.
  PacketBuilder p;
  p.header(0x4242, 0x0100, 1, 0, 0, 0).ptr(2).u16(1).u16(1);
  CHECK(reason(parseOf(p)) == reason(ParseError::PointerIntoHeader));
}

TEST_CASE("label of 64 bytes and reserved label type") {
  PacketBuilder p;
  p.header(1, 0, 1, 0, 0, 0).u8(64).fill(64, 'a').u8(0).u16(1).u16(1);
  CHECK(reason(parseOf(p)) == reason(ParseError::LabelTooLong));
  PacketBuilder q;
  q.header(1, 0, 1, 0, 0, 0).u8(0x80).u8(0).u16(1).u16(1);
  CHECK(reason(parseOf(q)) == reason(ParseError::BadLabelType));
}

TEST_CASE("name of 256 bytes rejected, 255 accepted") {
  auto withLastLabel = [](uint8_t last) {
    PacketBuilder p;
    p.header(1, 0, 1, 0, 0, 0);
    for (int i = 0; i < 3; ++i) p.u8(63).fill(63, 'x');
    p.u8(last).fill(last, 'y').u8(0).u16(1).u16(1);
    return p;
  };
  CHECK(reason(parseOf(withLastLabel(61))) == reason(ParseError::None));  // 3*64 + 62 + 1 = 255
  CHECK(reason(parseOf(withLastLabel(62))) == reason(ParseError::NameTooLong));

  // Too long only once decompressed: 200 bytes in the question, 60 more in front of a pointer.
  PacketBuilder q;
  q.header(1, 0, 1, 1, 0, 0);
  for (int i = 0; i < 4; ++i) q.u8(49).fill(49, 'z');  // 4*50 = 200 bytes at 12
  q.u8(0).u16(1).u16(1);
  q.u8(59).fill(59, 'w').ptr(12).rr(1, 1, 0, 4).u32(0);
  CHECK(reason(parseOf(q)) == reason(ParseError::NameTooLong));
}

TEST_CASE("counts that overrun the packet") {
  auto p = queryWith(2, 0);
  p.ptr(12).rr(qtype::A, 1, 60, 4).u32(0x01020304);  // one answer of the two announced
  CHECK(reason(parseOf(p)) == reason(ParseError::CountOverrun));
  PacketBuilder q;
  q.header(1, 0, 2, 0, 0, 0).name("a").u16(1).u16(1);  // one question of two
  CHECK(reason(parseOf(q)) == reason(ParseError::CountOverrun));
  PacketBuilder r;
  r.header(1, 0, 1, 0, 0, 0);  // a question announced, nothing after the header
  CHECK(reason(parseOf(r)) == reason(ParseError::CountOverrun));
}

TEST_CASE("record cut inside its fixed part") {
  auto p = queryWith(1, 0);
  p.ptr(12).u16(qtype::A).u16(1).u16(0);  // TTL half there, no RDLENGTH
  CHECK(reason(parseOf(p)) == reason(ParseError::TooShort));
  PacketBuilder q;
  q.header(1, 0, 1, 0, 0, 0).name("a").u16(1);  // qclass missing
  CHECK(reason(parseOf(q)) == reason(ParseError::TooShort));
}

TEST_CASE("truncated rdata") {
  auto p = queryWith(1, 0);
  p.ptr(12).rr(qtype::TXT, 1, 60, 10).bytes({3, 'a', 'b', 'c'});
  CHECK(reason(parseOf(p)) == reason(ParseError::TruncatedRdata));
}

TEST_CASE("OPT rules") {
  SUBCASE("two OPT records") {
    auto p = queryWith(0, 2);
    p.name("").rr(qtype::OPT, 1232, 0, 0);
    p.name("").rr(qtype::OPT, 1232, 0, 0);
    CHECK(reason(parseOf(p)) == reason(ParseError::MultipleOpt));
  }
  SUBCASE("OPT owner not root") {
    auto p = queryWith(0, 1);
    p.ptr(12).rr(qtype::OPT, 1232, 0, 0);
    CHECK(reason(parseOf(p)) == reason(ParseError::BadOpt));
  }
  SUBCASE("OPT owner is a pointer to a root byte") {
    auto p = queryWith(1, 1);
    p.ptr(12).rr(qtype::NS, 1, 60, 1);
    const uint16_t rootAt = uint16_t(p.size());
    p.u8(0);  // RDATA: the root name
    p.ptr(rootAt).rr(qtype::OPT, 1232, 0, 0);
    MessageView m;
    REQUIRE(reason(MessageView::parse(p.span(), m)) == reason(ParseError::None));
    CHECK(m.edns().present);
  }
  SUBCASE("OPT in the answer section") {
    auto p = queryWith(1, 0);
    p.name("").rr(qtype::OPT, 1232, 0, 0);
    CHECK(reason(parseOf(p)) == reason(ParseError::BadOpt));
  }
  SUBCASE("option overruns the RDATA") {
    auto p = queryWith(0, 1);
    p.name("").rr(qtype::OPT, 1232, 0, 6).u16(10).u16(8).u16(0);
    CHECK(reason(parseOf(p)) == reason(ParseError::BadOpt));
  }
}

TEST_CASE("trailing data is reported only when asked") {
  auto p = queryWith(0, 0);
  p.u8(0xff);
  MessageView m;
  CHECK(reason(MessageView::parse(p.span(), m)) == reason(ParseError::None));
  CHECK(m.messageEnd() == 19);
  CHECK(reason(MessageView::parse(p.span(), m, ParseOptions{.rejectTrailingData = true})) ==
        reason(ParseError::TrailingData));
}

TEST_CASE("packets over 65535 bytes are refused") {
  std::vector<uint8_t> big(65536, 0);
  MessageView m;
  CHECK(reason(MessageView::parse(big, m)) == reason(ParseError::TooLong));
  big.resize(65535);
  CHECK(reason(MessageView::parse(big, m)) == reason(ParseError::None));
}

TEST_CASE("several questions are validated, the first is kept") {
  PacketBuilder p;
  p.header(7, 0, 2, 0, 0, 0).name("first").u16(1).u16(1).labels("x").ptr(12).u16(28).u16(1);
  MessageView m;
  REQUIRE(reason(MessageView::parse(p.span(), m)) == reason(ParseError::None));
  CHECK(m.question().name.toString() == "first.");
  CHECK(m.questionEnd() == p.size());
  PacketBuilder q;
  q.header(7, 0, 2, 0, 0, 0).name("first").u16(1).u16(1).ptr(40).u16(28).u16(1);
  CHECK(reason(MessageView::parse(q.span(), m)) == reason(ParseError::ForwardPointer));
}

TEST_CASE("parse, iteration, readName, NameRef compare and hash do not allocate") {
  const auto pkt = testing::exampleResponse();
  const Name target = Name::fromString("NS1.example.NET");
  bool allOk = true;
  size_t matches = 0, hashes = 0;
  const size_t before = gAllocations.load();
  for (int round = 0; round < 10; ++round) {
    MessageView m;
    allOk &= MessageView::parse(pkt, m) == ParseError::None;
    for (const RecordView& r : m) {
      matches += r.name.equals(target) ? 1 : 0;
      matches += r.name.equals(m.question().name) ? 1 : 0;
      hashes += r.name.hash() == target.hash() ? 1 : 0;
      size_t o = r.offset;
      uint8_t wire[kMaxNameLength];
      size_t len = 0;
      allOk &= readName(pkt, o, wire, &len) == ParseError::None;
    }
  }
  const size_t after = gAllocations.load();
  CHECK(allOk);
  CHECK(after == before);
  CHECK(matches == 20);
  CHECK(hashes == 10);
  // The counter does see allocations: this string is longer than the small-string buffer.
  const std::string text = NameRef(pkt, 12).toString() + "-and-some-more";
  CHECK(gAllocations.load() > after);
}
