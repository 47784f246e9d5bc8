// SPDX-License-Identifier: GPL-2.0-only
#include "dns/types.hh"

#include <doctest.h>

#include <set>
#include <string>

#include "dns/header.hh"
#include "dns/parse_error.hh"

using namespace ballast::dns;

TEST_CASE("qtype names") {
  CHECK(qtypeToString(qtype::A) == "A");
  CHECK(qtypeToString(qtype::AAAA) == "AAAA");
  CHECK(qtypeToString(qtype::HTTPS) == "HTTPS");
  CHECK(qtypeToString(65280) == "TYPE65280");
  CHECK(qtypeFromString("aaaa") == qtype::AAAA);
  CHECK(qtypeFromString("Nsec3Param") == qtype::NSEC3PARAM);
  CHECK(qtypeFromString("TYPE65280") == 65280);
  CHECK(qtypeFromString("type1") == qtype::A);
  for (const char* bad : {"", "TYPE", "TYPE65536", "TYPE-1", "TYPE1x", "AAAAA", "TYPE+1"}) {
    CAPTURE(bad);
    CHECK_FALSE(qtypeFromString(bad).has_value());
  }
  // Every mnemonic round-trips.
  for (unsigned t = 0; t < 300; ++t) {
    CAPTURE(t);
    CHECK(qtypeFromString(qtypeToString(uint16_t(t))) == t);
  }
}

TEST_CASE("qclass and rcode names") {
  CHECK(qclassToString(qclass::IN) == "IN");
  CHECK(qclassToString(qclass::CH) == "CH");
  CHECK(qclassToString(42) == "CLASS42");
  CHECK(qclassFromString("ch") == qclass::CH);
  CHECK(qclassFromString("CLASS42") == 42);
  CHECK_FALSE(qclassFromString("XX").has_value());
  CHECK(rcodeToString(rcode::NoError) == "NOERROR");
  CHECK(rcodeToString(rcode::NXDomain) == "NXDOMAIN");
  CHECK(rcodeToString(rcode::ServFail) == "SERVFAIL");
  CHECK(rcodeToString(16) == "BADVERS");
  CHECK(rcodeToString(15) == "15");
}

TEST_CASE("every parse error has its own reason") {
  std::set<std::string> reasons;
  for (int e = 0; e <= int(ParseError::PointerIntoHeader); ++e)
    reasons.insert(toString(ParseError(e)));
  CHECK(reasons.size() == size_t(ParseError::PointerIntoHeader) + 1);
  CHECK(std::string(toString(ParseError::CompressionLoop)) == "compression loop");
}

TEST_CASE("header accessors") {
  uint8_t h[kHeaderSize] = {};
  HeaderRef r(h);
  r.setId(0xabcd);
  r.setQr(true);
  r.setOpcode(opcode::Notify);
  r.setRd(true);
  r.setRcode(rcode::Refused);
  r.setAncount(513);
  HeaderView v(h);
  CHECK(v.id() == 0xabcd);
  CHECK(v.qr());
  CHECK(v.opcode() == opcode::Notify);
  CHECK(v.rd());
  CHECK_FALSE(v.aa());
  CHECK(v.rcode() == rcode::Refused);
  CHECK(v.ancount() == 513);
  r.setQr(false);
  CHECK_FALSE(v.qr());
  CHECK(v.opcode() == opcode::Notify);
}
