// SPDX-License-Identifier: GPL-2.0-only
#include "dns/name.hh"

#include <doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "dns/test_packet.hh"

using namespace ballast::dns;
using ballast::dns::testing::PacketBuilder;
using ballast::dns::testing::reason;

TEST_CASE("fromString and toString") {
  Name n = Name::fromString("www.Example.com");
  CHECK(n.toString() == "www.Example.com.");
  CHECK(n.wireLength() == 17);
  CHECK(n.labelCount() == 3);
  CHECK(n == Name::fromString("www.example.com."));
  CHECK(Name::fromString(".").isRoot());
  CHECK(Name().isRoot());
  CHECK(Name().toString() == ".");
  CHECK(Name().labelCount() == 0);
  const uint8_t wire[] = {3,   'w', 'w', 'w', 7,   'E', 'x', 'a', 'm',
                          'p', 'l', 'e', 3,   'c', 'o', 'm', 0};
  CHECK(std::equal(n.wire().begin(), n.wire().end(), std::begin(wire), std::end(wire)));
}

TEST_CASE("fromString escapes") {
  Name dot = Name::fromString("a\\.b.example");
  CHECK(dot.labelCount() == 2);
  CHECK(dot.wire()[0] == 3);
  CHECK(dot.wire()[2] == '.');
  CHECK(dot.toString() == "a\\.b.example.");

  CHECK(Name::fromString("\\065\\066c") == Name::fromString("abc"));
  Name bin = Name::fromString("\\000\\255\\032x\\\\");
  CHECK(bin.wire()[1] == 0);
  CHECK(bin.wire()[2] == 255);
  CHECK(bin.wire()[3] == ' ');
  CHECK(bin.wire()[5] == '\\');
  CHECK(bin.toString() == "\\000\\255\\032x\\\\.");
  CHECK(Name::fromString(bin.toString()) == bin);  // presentation form round-trips
}

TEST_CASE("fromString errors") {
  for (const char* bad : {"", "a..b", ".a", "..", "a\\", "a\\1", "a\\12", "a\\12x", "a\\256"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(Name::fromString(bad), std::invalid_argument);
  }
  std::string label63(63, 'a');
  CHECK_NOTHROW(Name::fromString(label63));
  CHECK_THROWS_WITH_AS(Name::fromString(label63 + "a"), doctest::Contains("label longer than 63"),
                       std::invalid_argument);
  // 3*64 + 62 + root = 255 fits; one more byte does not.
  std::string longest = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  CHECK(Name::fromString(longest).wireLength() == 255);
  CHECK_THROWS_WITH_AS(Name::fromString(longest + "b"), doctest::Contains("longer than 255"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Name::fromString(longest + ".c"), std::invalid_argument);
}

TEST_CASE("fromWire") {
  const uint8_t good[] = {1, 'a', 0};
  CHECK(Name::fromWire(good).toString() == "a.");
  const uint8_t root[] = {0};
  CHECK(Name::fromWire(root).isRoot());
  const uint8_t pointer[] = {0xc0, 12};
  const uint8_t trailing[] = {1, 'a', 0, 0};
  const uint8_t cut[] = {3, 'a', 0};
  CHECK_THROWS_AS(Name::fromWire(pointer), std::invalid_argument);
  CHECK_THROWS_AS(Name::fromWire(trailing), std::invalid_argument);
  CHECK_THROWS_AS(Name::fromWire(cut), std::invalid_argument);
  CHECK_THROWS_AS(Name::fromWire({}), std::invalid_argument);
}

TEST_CASE("case-insensitive equality and hash") {
  Name a = Name::fromString("WwW.ExAmPlE.CoM");
  Name b = Name::fromString("www.example.com");
  CHECK(a == b);
  CHECK(a.hash() == b.hash());
  CHECK(a.toLower().toString() == "www.example.com.");
  CHECK_FALSE(a == Name::fromString("www.example.org"));
  // The length bytes take part: same letters, different split.
  CHECK_FALSE(Name::fromString("ab.c") == Name::fromString("a.bc"));
  CHECK(Name::fromString("ab.c").hash() != Name::fromString("a.bc").hash());
  // Only ASCII letters fold; '[' (0x5b) and '{' (0x7b) differ by the same bit.
  CHECK_FALSE(Name::fromString("[") == Name::fromString("{"));

  std::unordered_set<Name, NameHash> set{a};
  CHECK(set.count(b) == 1);
}

TEST_CASE("NameRef compares and hashes like Name") {
  // Question "www.Example.COM" at 12, then "mail" + pointer to "Example.COM" at 16.
  PacketBuilder p;
  p.header(1, 0, 1, 0, 0, 0).name("www.Example.COM").u16(1).u16(1);
  const uint16_t mailAt = uint16_t(p.size());
  p.labels("mail").ptr(16);
  auto pkt = p.span();
  NameRef www(pkt, 12), mail(pkt, mailAt);

  Name wwwName = Name::fromString("WWW.example.com");
  CHECK(www.equals(wwwName));
  CHECK(www.hash() == wwwName.hash());
  CHECK(mail.equals(Name::fromString("mail.example.com")));
  CHECK(mail.hash() == Name::fromString("MAIL.EXAMPLE.COM").hash());
  CHECK_FALSE(mail.equals(wwwName));
  CHECK_FALSE(mail.equals(Name::fromString("mail.example")));
  CHECK_FALSE(mail.equals(Name::fromString("x.mail.example.com")));
  CHECK(mail.labelCount() == 3);
  CHECK(mail.inPacketLength() == 7);
  CHECK(www.inPacketLength() == 17);
  CHECK(mail.toString() == "mail.Example.COM.");
  CHECK(mail.toName() == Name::fromString("mail.example.com"));
  uint8_t out[kMaxNameLength];
  CHECK(mail.decompress(out) == 18);

  // The same name uncompressed in another packet, other case.
  PacketBuilder q;
  q.name("MAIL.example.com");
  NameRef other(q.span(), 0);
  CHECK(mail.equals(other));
  CHECK(other.equals(mail));
  CHECK(other.hash() == mail.hash());
  CHECK_FALSE(www.equals(other));
  CHECK(www.equals(www));
  CHECK(www.equalsWire(wwwName.wire()));
  const uint8_t malformed[] = {3, 'w', 'w', 'w', 9};
  CHECK_FALSE(www.equalsWire(malformed));
}

TEST_CASE("readName decompresses and advances past the name as it stands") {
  PacketBuilder p;
  p.header(1, 0, 1, 0, 0, 0).name("example.com").labels("www").ptr(12).u8(0xee);
  size_t off = 25;
  uint8_t out[kMaxNameLength];
  size_t len = 0;
  REQUIRE(reason(readName(p.span(), off, out, &len)) == reason(ParseError::None));
  CHECK(off == 31);  // 4 bytes of "www" plus the 2-byte pointer
  CHECK(Name::fromWire({out, len}) == Name::fromString("www.example.com"));
  off = 12;
  REQUIRE(reason(readName(p.span(), off)) == reason(ParseError::None));
  CHECK(off == 25);

  const uint8_t cutLabel[] = {5, 'a', 'b'};
  const uint8_t cutPointer[] = {0xc0};
  const uint8_t noRoot[] = {1, 'a'};
  for (auto bytes : {std::span<const uint8_t>(cutLabel), std::span<const uint8_t>(cutPointer),
                     std::span<const uint8_t>(noRoot)}) {
    size_t o = 0;
    CHECK(reason(readName(bytes, o)) == reason(ParseError::TooShort));
    CHECK(o == 0);  // untouched on error
  }
}

TEST_CASE("isPartOf") {
  Name zone = Name::fromString("Example.com");
  CHECK(Name::fromString("www.example.COM").isPartOf(zone));
  CHECK(zone.isPartOf(zone));
  CHECK(zone.isPartOf(Name()));
  CHECK_FALSE(Name::fromString("www.notexample.com").isPartOf(zone));
  CHECK_FALSE(Name::fromString("com").isPartOf(zone));
  CHECK_FALSE(Name().isPartOf(zone));
}

TEST_CASE("canonical ordering follows RFC 4034 section 6.1") {
  // The example list from the RFC, already in canonical order.
  std::vector<std::string> expected = {"example.",         "a.example.",      "yljkjljk.a.example.",
                                       "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
                                       "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
  std::vector<Name> names;
  for (auto it = expected.rbegin(); it != expected.rend(); ++it) {
    names.push_back(Name::fromString(*it));
  }
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); ++i) {
    CHECK(names[i].toString() == Name::fromString(expected[i]).toString());
  }
  CHECK_FALSE(Name::fromString("a.example") < Name::fromString("A.EXAMPLE"));
  CHECK_FALSE(Name::fromString("A.EXAMPLE") < Name::fromString("a.example"));
  CHECK(Name() < Name::fromString("com"));
}
