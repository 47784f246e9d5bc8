// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Test-only helper: builds packets byte by byte, so tests can craft exactly the malformed
/// input they are about (the MessageWriter cannot produce bad packets, on purpose).
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "dns/parse_error.hh"

namespace ballast::dns::testing {

/// The reason text of `e`, for CHECKs. doctest prints operands through an unqualified
/// toString(), which for ParseError finds dns::toString (returning const char*) and does
/// not compile; comparing reasons compiles and makes a failure readable.
inline std::string_view reason(ParseError e) {
  return toString(e);
}

/// Appends raw wire pieces; every method returns *this for chaining.
class PacketBuilder {
 public:
  PacketBuilder& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                        uint16_t ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  PacketBuilder& u8(uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  PacketBuilder& u16(uint16_t v) { return u8(uint8_t(v >> 8)).u8(uint8_t(v)); }
  PacketBuilder& u32(uint32_t v) { return u16(uint16_t(v >> 16)).u16(uint16_t(v)); }
  PacketBuilder& bytes(std::initializer_list<uint8_t> v) {
    b_.insert(b_.end(), v.begin(), v.end());
    return *this;
  }
  PacketBuilder& fill(size_t n, uint8_t v) {
    b_.insert(b_.end(), n, v);
    return *this;
  }
  /// Labels of a dotted name without the root byte ("" writes nothing), to put a pointer after.
  PacketBuilder& labels(std::string_view dotted) {
    while (!dotted.empty()) {
      size_t dot = dotted.find('.');
      std::string_view label = dotted.substr(0, dot);
      u8(uint8_t(label.size()));
      b_.insert(b_.end(), label.begin(), label.end());
      dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
    }
    return *this;
  }
  /// An uncompressed name, root byte included ("" is the root).
  PacketBuilder& name(std::string_view dotted) { return labels(dotted).u8(0); }
  PacketBuilder& ptr(uint16_t offset) { return u16(uint16_t(0xc000 | offset)); }
  /// Type, class, TTL and RDLENGTH of a record (the owner written before).
  PacketBuilder& rr(uint16_t type, uint16_t klass, uint32_t ttl, uint16_t rdlen) {
    return u16(type).u16(klass).u32(ttl).u16(rdlen);
  }
  size_t size() const { return b_.size(); }
  std::vector<uint8_t>& vec() { return b_; }
  std::span<const uint8_t> span() const { return b_; }

 private:
  std::vector<uint8_t> b_;
};

/// A response as a recursive server would send it for "www.example.com. A", with a CNAME,
/// an NS in authority, glue and an OPT record carrying a cookie and empty padding. Every
/// name after the question is compressed. The offsets tests rely on are in the comments.
inline std::vector<uint8_t> exampleResponse() {
  PacketBuilder p;
  p.header(0x1234, 0x8180, 1, 2, 1, 2);                  // QR RD RA, NOERROR
  p.name("www.example.com").u16(1).u16(1);               // @12, question ends at 33
  p.ptr(12).rr(5, 1, 300, 18).name("edge.example.net");  // @33 CNAME, rdata @45
  p.ptr(45).rr(1, 1, 60, 4).bytes({93, 184, 216, 34});   // @63 A, rdata @75
  p.ptr(50).rr(2, 1, 3600, 6).labels("ns1").ptr(50);     // @79 NS example.net, rdata @91
  p.ptr(91).rr(1, 1, 3600, 4).bytes({192, 0, 2, 53});    // @97 A glue, rdata @109
  p.name("").rr(41, 1232, 0x8000, 16);                   // @113 OPT, DO, rdata @124
  p.u16(10).u16(8).bytes({1, 2, 3, 4, 5, 6, 7, 8});      // COOKIE (client part)
  p.u16(12).u16(0);                                      // PADDING, empty; ends at 140
  return p.vec();
}

}  // namespace ballast::dns::testing
