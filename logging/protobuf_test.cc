// SPDX-License-Identifier: GPL-2.0-only
#include "logging/protobuf.hh"

#include <doctest.h>

#include <map>
#include <string>
#include <vector>

using namespace ballast;
using logging::PbMessage;

namespace {

/// A test-only protobuf reader: field number -> the values seen (varints as numbers,
/// length-delimited as bytes, fixed32 as numbers).
struct Fields {
  std::multimap<uint32_t, uint64_t> nums;
  std::multimap<uint32_t, std::string> bytes;
  uint64_t num(uint32_t f) const {
    REQUIRE(nums.count(f) == 1);
    return nums.find(f)->second;
  }
  std::string str(uint32_t f) const {
    REQUIRE(bytes.count(f) == 1);
    return bytes.find(f)->second;
  }
  std::vector<std::string> all(uint32_t f) const {
    std::vector<std::string> out;
    for (auto [it, end] = bytes.equal_range(f); it != end; ++it) out.push_back(it->second);
    return out;
  }
};

uint64_t readVarint(const std::string& s, size_t& i) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    REQUIRE(i < s.size());
    uint8_t b = uint8_t(s[i++]);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

Fields parse(const std::string& s) {
  Fields f;
  size_t i = 0;
  while (i < s.size()) {
    uint64_t key = readVarint(s, i);
    auto field = uint32_t(key >> 3);
    switch (key & 7) {
      case 0:
        f.nums.emplace(field, readVarint(s, i));
        break;
      case 2: {
        uint64_t len = readVarint(s, i);
        REQUIRE(i + len <= s.size());
        f.bytes.emplace(field, s.substr(i, len));
        i += len;
        break;
      }
      case 5: {
        REQUIRE(i + 4 <= s.size());
        uint32_t v = 0;
        for (int k = 0; k < 4; ++k) v |= uint32_t(uint8_t(s[i + size_t(k)])) << (8 * k);
        f.nums.emplace(field, v);
        i += 4;
        break;
      }
      default:
        FAIL("unexpected wire type");
    }
  }
  return f;
}

}  // namespace

TEST_CASE("PbWriter: varints, fixed32 and bytes as the protobuf wire format has them") {
  std::string out;
  logging::PbWriter w(out);
  w.varint(1, 150);
  CHECK(out == std::string("\x08\x96\x01", 3));
  out.clear();
  w.bytes(2, "testing");
  CHECK(out == std::string("\x12\x07testing", 9));
  out.clear();
  w.fixed32(9, 0x01020304);
  CHECK(out == std::string("\x4d\x04\x03\x02\x01", 5));
  out.clear();
  w.varint(20, 53);  // a field number above 15 takes two bytes of key
  CHECK(out == std::string("\xa0\x01\x35", 3));
  // Nested messages: a short one keeps its one length byte, a long one gets two.
  out.clear();
  size_t m = w.begin(3);
  w.bytes(1, "ab");
  w.end(m);
  CHECK(out == std::string("\x1a\x04\x0a\x02"
                           "ab",
                           6));
  out.clear();
  m = w.begin(3);
  w.bytes(1, std::string(200, 'z'));
  w.end(m);
  REQUIRE(out.size() == 1 + 2 + 3 + 200);
  CHECK(out.substr(0, 6) == std::string("\x1a\xcb\x01\x0a\xc8\x01", 6));  // 203, then 200
  CHECK(out.substr(6) == std::string(200, 'z'));
}

TEST_CASE("PbMessage: a query's fields under dnsmessage.proto's numbers") {
  PbMessage m;
  m.messageId = logging::randomUuid();
  m.from = core::Address::parse("192.0.2.7:5300");
  m.to = core::Address::parse("[2001:db8::1]:53");
  m.transport = logging::Transport::Tcp;
  m.inBytes = 33;
  m.timeSec = 1700000000;
  m.timeUsec = 12;
  m.id = 0xbeef;
  m.qname = "www.example.";
  m.qtype = 28;
  m.tags = {"a", "b"};
  Fields f = parse(m.encode());
  CHECK(f.num(1) == 1);
  CHECK(f.str(2).size() == 16);
  CHECK((uint8_t(f.str(2)[6]) >> 4) == 4);
  CHECK(f.bytes.count(3) == 0);
  CHECK(f.num(4) == 1);
  CHECK(f.num(5) == 2);
  CHECK(f.str(6) == std::string("\xc0\x00\x02\x07", 4));
  CHECK(f.str(7).size() == 16);
  CHECK(f.num(8) == 33);
  CHECK(f.num(9) == 1700000000);
  CHECK(f.num(10) == 12);
  CHECK(f.num(11) == 0xbeef);
  CHECK(f.num(20) == 5300);
  CHECK(f.num(21) == 53);
  Fields q = parse(f.str(12));
  CHECK(q.str(1) == "www.example.");
  CHECK(q.num(2) == 28);
  CHECK(q.num(3) == 1);
  Fields r = parse(f.str(13));
  CHECK(r.nums.count(1) == 0);  // a query has no rcode
  CHECK(r.all(4) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("PbMessage: a response's rcode, records, identity and subnet") {
  PbMessage m;
  m.response = true;
  m.from = core::Address::parse("127.0.0.1:1");
  m.to = core::Address::parse("127.0.0.2:53");
  m.serverIdentity = "edge-1";
  m.rcode = 3;
  m.rrs.push_back({"a.example.", 1, 1, 300, std::string("\x0a\x00\x00\x01", 4)});
  m.ednsSubnet = std::string("\xc6\x33\x64\x00", 4);
  Fields f = parse(m.encode());
  CHECK(f.num(1) == 2);
  CHECK(f.str(3) == "edge-1");
  CHECK(f.str(14) == std::string("\xc6\x33\x64\x00", 4));
  Fields r = parse(f.str(13));
  CHECK(r.num(1) == 3);
  Fields rr = parse(r.str(2));
  CHECK(rr.str(1) == "a.example.");
  CHECK(rr.num(2) == 1);
  CHECK(rr.num(4) == 300);
  CHECK(rr.str(5) == std::string("\x0a\x00\x00\x01", 4));
  CHECK(m.debugString().find("rcode: 3") != std::string::npos);
}

TEST_CASE("DnstapMessage: Dnstap and Message fields, the packet by its QR bit") {
  logging::DnstapMessage m;
  m.identity = "id";
  m.version = "ballast";
  m.extra = "x";
  m.type = logging::DnstapType::ClientResponse;
  m.requestor = core::Address::parse("[::1]:4000");
  m.responder = core::Address::parse("[::1]:53");
  m.queryTimeSec = 10;
  m.queryTimeNsec = 20;
  m.responseTime = std::make_pair(int64_t(11), uint32_t(30));
  m.packet = std::string("\x12\x34\x81\x80\0\0\0\0\0\0\0\0", 12);
  Fields d = parse(m.encode());
  CHECK(d.str(1) == "id");
  CHECK(d.str(2) == "ballast");
  CHECK(d.str(3) == "x");
  CHECK(d.num(15) == 1);
  Fields msg = parse(d.str(14));
  CHECK(msg.num(1) == 6);
  CHECK(msg.num(2) == 2);
  CHECK(msg.num(3) == 1);
  CHECK(msg.str(4).size() == 16);
  CHECK(msg.num(6) == 4000);
  CHECK(msg.num(7) == 53);
  CHECK(msg.num(8) == 10);
  CHECK(msg.num(9) == 20);
  CHECK(msg.num(12) == 11);
  CHECK(msg.num(13) == 30);
  CHECK(msg.str(14) == m.packet);
  CHECK(msg.bytes.count(10) == 0);
  m.packet[2] = 0x01;  // a query
  m.extra.clear();
  Fields q = parse(parse(m.encode()).str(14));
  CHECK(q.str(10) == m.packet);
  CHECK(parse(m.encode()).bytes.count(3) == 0);
  m.packet += std::string(300, 'p');  // a Message body over 127 bytes: a 2-byte length
  CHECK(parse(parse(m.encode()).str(14)).str(10) == m.packet);
}
