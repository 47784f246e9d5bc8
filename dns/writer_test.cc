// SPDX-License-Identifier: GPL-2.0-only
#include "dns/writer.hh"

#include <doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "dns/ecs.hh"
#include "dns/test_packet.hh"
#include "dns/types.hh"

using namespace ballast::dns;
using ballast::dns::testing::PacketBuilder;
using ballast::dns::testing::reason;

namespace {

// Writes the same message as testing::exampleResponse(), through the writer.
std::vector<uint8_t> writeExample(bool compress) {
  std::vector<uint8_t> buf;
  MessageWriter w(buf, 0x1234, Name::fromString("www.example.com"), qtype::A);
  w.header().setQr(true);
  w.header().setRd(true);
  w.header().setRa(true);
  const Name edge = Name::fromString("edge.example.net");
  const Name ns1 = Name::fromString("ns1.example.net");
  w.startRecord(Name::fromString("www.example.com"), qtype::CNAME, qclass::IN, 300,
                Section::Answer);
  w.putName(edge, compress);
  w.commit();
  w.startRecord(edge, qtype::A, qclass::IN, 60, Section::Answer);
  w.putBytes(std::vector<uint8_t>{93, 184, 216, 34});
  w.commit();
  w.startRecord(Name::fromString("example.net"), qtype::NS, qclass::IN, 3600, Section::Authority);
  w.putName(ns1, compress);
  w.commit();
  w.startRecord(ns1, qtype::A, qclass::IN, 3600, Section::Additional);
  w.putU32(0xc0000235);  // 192.0.2.53
  w.commit();
  const uint8_t options[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 12, 0, 0};
  w.addOpt(1232, true, options);
  return buf;
}

}  // namespace

TEST_CASE("writer output matches a hand-compressed response byte for byte") {
  auto written = writeExample(true);
  CHECK(written == testing::exampleResponse());
}

TEST_CASE("writer round-trips through parse and actually compresses") {
  auto compressed = writeExample(true);
  auto plain = writeExample(false);
  // Owners are always compressed; RDATA names only when asked. Uncompressed, the CNAME
  // target stays 18 bytes (it is new either way) and "ns1.example.net" grows 6 -> 17.
  CHECK(plain.size() == compressed.size() + 11);

  MessageView m;
  REQUIRE(reason(MessageView::parse(plain, m)) == reason(ParseError::None));
  CHECK(m.question().name.equals(Name::fromString("www.example.com")));
  std::vector<std::string> owners;
  for (const auto& r : m) owners.push_back(r.name.toString());
  CHECK(owners == std::vector<std::string>{"www.example.com.", "edge.example.net.", "example.net.",
                                           "ns1.example.net.", "."});
  CHECK(m.edns().dnssecOk);
  CHECK(m.edns().optionsLength == 16);

  // A response with no compression at all would be far larger: every owner spelled out.
  size_t uncompressedOwners = 17 + 18 + 13 + 17;
  CHECK(compressed.size() + uncompressedOwners - 4 * 2 > plain.size());
}

TEST_CASE("compression is case-insensitive and picks the longest suffix") {
  std::vector<uint8_t> buf;
  MessageWriter w(buf, 1, Name::fromString("www.example.com"), qtype::A);
  const size_t afterQuestion = w.size();
  w.startRecord(Name::fromString("WWW.EXAMPLE.COM"), qtype::A, qclass::IN, 1, Section::Answer);
  CHECK(w.size() == afterQuestion + 2 + 10);  // owner became one pointer
  w.putU32(0);
  w.commit();
  w.startRecord(Name::fromString("mail.Example.com"), qtype::A, qclass::IN, 1, Section::Answer);
  w.putU32(0);
  w.commit();
  MessageView m;
  REQUIRE(reason(MessageView::parse(buf, m)) == reason(ParseError::None));
  auto it = m.begin();
  CHECK(it->offset == afterQuestion);
  CHECK(buf[afterQuestion] == 0xc0);
  CHECK(buf[afterQuestion + 1] == 12);
  ++it;
  // "mail" then a pointer to "example.com" inside the question (offset 16); the spelling of
  // the first occurrence wins.
  CHECK(it->name.inPacketLength() == 5 + 2);
  CHECK(it->name.toString() == "mail.example.com.");
}

TEST_CASE("names beyond the 14-bit pointer range are not used as targets") {
  std::vector<uint8_t> buf;
  MessageWriter w(buf, 1, Name::fromString("example.org"), qtype::TXT);
  const std::vector<uint8_t> chunk(250, 'x');
  while (w.size() < 0x4000) {
    w.startRecord(Name::fromString("example.org"), qtype::TXT, qclass::IN, 1, Section::Answer);
    w.putU8(uint8_t(chunk.size() - 1));
    w.putBytes({chunk.data(), chunk.size() - 1});
    w.commit();
  }
  const Name late = Name::fromString("late.example.net");
  w.startRecord(late, qtype::A, qclass::IN, 1, Section::Answer);
  w.putU32(0);
  w.commit();
  const size_t before = w.size();
  w.startRecord(late, qtype::A, qclass::IN, 1, Section::Answer);
  w.putU32(0);
  w.commit();
  CHECK(w.size() - before == late.wireLength() + 10 + 4);  // written out in full again

  MessageView m;
  REQUIRE(reason(MessageView::parse(buf, m)) == reason(ParseError::None));
  size_t lateCount = 0;
  for (const auto& r : m) lateCount += r.name.equals(late) ? 1 : 0;
  CHECK(lateCount == 2);
}

TEST_CASE("writer refuses misuse") {
  std::vector<uint8_t> buf;
  MessageWriter w(buf, 1, Name::fromString("a"), qtype::A);
  CHECK_THROWS_AS(w.putU8(1), std::logic_error);
  CHECK_THROWS_AS(w.commit(), std::logic_error);
  CHECK_THROWS_AS(w.startRecord(Name(), qtype::A, 1, 0, Section::Question), std::logic_error);
  w.startRecord(Name(), qtype::A, 1, 0, Section::Authority);
  CHECK_THROWS_AS(w.startRecord(Name(), qtype::A, 1, 0, Section::Authority), std::logic_error);
  w.putU32(0);
  w.commit();
  CHECK_THROWS_AS(w.startRecord(Name(), qtype::A, 1, 0, Section::Answer), std::logic_error);
  HeaderView h(buf.data());
  CHECK(h.qdcount() == 1);
  CHECK(h.nscount() == 1);
  CHECK(h.ancount() == 0);
}

namespace {

// A query for example.com A with an OPT (DO, payload 4096, a cookie) in a roomy buffer.
std::vector<uint8_t> ednsQuery(bool withEdns) {
  PacketBuilder p;
  p.header(0xbeef, 0x0130, 1, 0, 0, withEdns ? 1 : 0);  // RD, AD, CD set
  p.name("Example.com").u16(qtype::A).u16(qclass::IN);
  if (withEdns) p.name("").rr(qtype::OPT, 4096, 0x8000, 12).u16(10).u16(8).u32(1).u32(2);
  return p.vec();
}

}  // namespace

TEST_CASE("makeResponseInPlace keeps the question and re-adds OPT") {
  for (bool withEdns : {true, false}) {
    CAPTURE(withEdns);
    auto pkt = ednsQuery(withEdns);
    const size_t len = pkt.size();
    MessageView q;
    REQUIRE(reason(MessageView::parse(pkt, q)) == reason(ParseError::None));
    const size_t questionEnd = q.questionEnd();
    pkt.resize(512);
    size_t n = makeResponseInPlace(pkt.data(), len, pkt.size(), q, rcode::Refused, false);
    CHECK(n == questionEnd + (withEdns ? 11 : 0));

    MessageView r;
    REQUIRE(reason(MessageView::parse({pkt.data(), n}, r)) == reason(ParseError::None));
    CHECK(r.header().id() == 0xbeef);
    CHECK(r.header().qr());
    CHECK(r.header().rd());
    CHECK(r.header().cd());
    CHECK_FALSE(r.header().ad());
    CHECK_FALSE(r.header().ra());
    CHECK(r.header().rcode() == rcode::Refused);
    CHECK(r.header().ancount() == 0);
    CHECK(r.question().name.toString() == "Example.com.");  // case kept for 0x20 clients
    CHECK(r.question().qtype == qtype::A);
    CHECK(r.edns().present == withEdns);
    if (withEdns) {
      CHECK(r.edns().udpPayloadSize == 1232);
      CHECK(r.edns().dnssecOk);
      CHECK(r.edns().optionsLength == 0);
    }
  }
}

TEST_CASE("makeResponseInPlace puts an extended rcode in the OPT") {
  auto pkt = ednsQuery(true);
  MessageView q;
  REQUIRE(reason(MessageView::parse(pkt, q)) == reason(ParseError::None));
  const size_t len = pkt.size();
  size_t n = makeResponseInPlace(pkt.data(), len, len, q, 16 /* BADVERS */);
  MessageView r;
  REQUIRE(reason(MessageView::parse({pkt.data(), n}, r)) == reason(ParseError::None));
  CHECK(r.header().rcode() == 0);
  CHECK(r.edns().extendedRcode == 1);
  CHECK(r.header().ra());
}

TEST_CASE("truncateToQuestion keeps the question and the OPT record") {
  auto pkt = testing::exampleResponse();
  MessageView m;
  REQUIRE(reason(MessageView::parse(pkt, m)) == reason(ParseError::None));
  size_t n = truncateToQuestion(pkt.data(), pkt.size(), pkt.size(), m);
  CHECK(n == 33 + 11 + 16);
  MessageView r;
  REQUIRE(
      reason(MessageView::parse({pkt.data(), n}, r, ParseOptions{.rejectTrailingData = true})) ==
      reason(ParseError::None));
  CHECK(r.header().tc());
  CHECK(r.header().ancount() == 0);
  CHECK(r.header().nscount() == 0);
  CHECK(r.header().arcount() == 1);
  CHECK(r.question().name.toString() == "www.example.com.");
  CHECK(r.edns().dnssecOk);
  CHECK(r.edns().udpPayloadSize == 1232);
  int options = 0;
  ParseError e = forEachEdnsOption(r.ednsOptions(), [&](uint16_t, auto) { ++options; });
  CHECK(reason(e) == reason(ParseError::None));
  CHECK(options == 2);

  SUBCASE("without EDNS") {
    PacketBuilder p;
    p.header(1, 0x8180, 1, 1, 0, 0).name("a").u16(1).u16(1).ptr(12).rr(1, 1, 1, 4).u32(0);
    MessageView v;
    REQUIRE(reason(MessageView::parse(p.span(), v)) == reason(ParseError::None));
    size_t k = truncateToQuestion(p.vec().data(), p.size(), p.size(), v);
    CHECK(k == 19);
    CHECK(HeaderView(p.vec().data()).tc());
    CHECK(HeaderView(p.vec().data()).arcount() == 0);
  }
}

TEST_CASE("addOptIfMissing, undone by removeOptRecord") {
  auto pkt = ednsQuery(false);
  const size_t len = pkt.size();
  MessageView q;
  REQUIRE(reason(MessageView::parse(pkt, q)) == reason(ParseError::None));
  CHECK(addOptIfMissing(pkt.data(), len, len + 10, q, 4096) == 0);  // no room
  pkt.resize(len + 11);
  size_t n = addOptIfMissing(pkt.data(), len, pkt.size(), q, 4096);
  REQUIRE(n == len + 11);
  MessageView with;
  REQUIRE(reason(MessageView::parse({pkt.data(), n}, with, ParseOptions{.rejectTrailingData = true})) ==
          reason(ParseError::None));
  CHECK(with.edns().present);
  CHECK(with.edns().udpPayloadSize == 4096);
  CHECK_FALSE(with.edns().dnssecOk);
  CHECK(addOptIfMissing(pkt.data(), n, pkt.size(), with, 4096) == 0);  // has one already

  // Removed again, the message is the original one.
  size_t back = removeOptRecord(pkt.data(), n, with);
  CHECK(back == len);
  CHECK(std::vector<uint8_t>(pkt.begin(), pkt.begin() + long(back)) == ednsQuery(false));

  // A response whose OPT (with two options) follows glue in the additional section.
  auto resp = testing::exampleResponse();
  MessageView r;
  REQUIRE(reason(MessageView::parse(resp, r)) == reason(ParseError::None));
  const uint16_t ar = r.header().arcount();
  size_t m = removeOptRecord(resp.data(), resp.size(), r);
  CHECK(m == resp.size() - (11 + 16));
  MessageView without;
  REQUIRE(reason(MessageView::parse({resp.data(), m}, without,
                                    ParseOptions{.rejectTrailingData = true})) ==
          reason(ParseError::None));
  CHECK_FALSE(without.edns().present);
  CHECK(without.header().arcount() == ar - 1);
  CHECK(removeOptRecord(resp.data(), m, without) == m);
}
