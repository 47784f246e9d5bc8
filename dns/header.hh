// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Accessors for the 12-byte DNS header, read and written in place in a packet.
/// The caller guarantees at least kHeaderSize bytes.
#include <cstddef>
#include <cstdint>

namespace ballast::dns {

constexpr size_t kHeaderSize = 12;

class HeaderRef {
 public:
  explicit HeaderRef(uint8_t* p) : p_(p) {}
  uint16_t id() const { return get16(0); }
  void setId(uint16_t v) { set16(0, v); }
  bool qr() const { return p_[2] & 0x80; }
  void setQr(bool v) { setBit(2, 0x80, v); }
  uint8_t opcode() const { return (p_[2] >> 3) & 0x0f; }
  void setOpcode(uint8_t v) { p_[2] = uint8_t((p_[2] & 0x87) | ((v & 0x0f) << 3)); }
  bool aa() const { return p_[2] & 0x04; }
  void setAa(bool v) { setBit(2, 0x04, v); }
  bool tc() const { return p_[2] & 0x02; }
  void setTc(bool v) { setBit(2, 0x02, v); }
  bool rd() const { return p_[2] & 0x01; }
  void setRd(bool v) { setBit(2, 0x01, v); }
  bool ra() const { return p_[3] & 0x80; }
  void setRa(bool v) { setBit(3, 0x80, v); }
  bool ad() const { return p_[3] & 0x20; }
  void setAd(bool v) { setBit(3, 0x20, v); }
  bool cd() const { return p_[3] & 0x10; }
  void setCd(bool v) { setBit(3, 0x10, v); }
  uint8_t rcode() const { return p_[3] & 0x0f; }
  void setRcode(uint8_t v) { p_[3] = uint8_t((p_[3] & 0xf0) | (v & 0x0f)); }
  uint16_t qdcount() const { return get16(4); }
  uint16_t ancount() const { return get16(6); }
  uint16_t nscount() const { return get16(8); }
  uint16_t arcount() const { return get16(10); }
  void setQdcount(uint16_t v) { set16(4, v); }
  void setAncount(uint16_t v) { set16(6, v); }
  void setNscount(uint16_t v) { set16(8, v); }
  void setArcount(uint16_t v) { set16(10, v); }

 private:
  uint16_t get16(size_t o) const { return uint16_t((p_[o] << 8) | p_[o + 1]); }
  void set16(size_t o, uint16_t v) {
    p_[o] = uint8_t(v >> 8);
    p_[o + 1] = uint8_t(v);
  }
  void setBit(size_t o, uint8_t mask, bool v) {
    p_[o] = v ? uint8_t(p_[o] | mask) : uint8_t(p_[o] & ~mask);
  }
  uint8_t* p_;
};

/// Read-only view for const packets.
class HeaderView {
 public:
  explicit HeaderView(const uint8_t* p) : h_(const_cast<uint8_t*>(p)) {}
  uint16_t id() const { return h_.id(); }
  bool qr() const { return h_.qr(); }
  uint8_t opcode() const { return h_.opcode(); }
  bool aa() const { return h_.aa(); }
  bool tc() const { return h_.tc(); }
  bool rd() const { return h_.rd(); }
  bool ra() const { return h_.ra(); }
  bool ad() const { return h_.ad(); }
  bool cd() const { return h_.cd(); }
  uint8_t rcode() const { return h_.rcode(); }
  uint16_t qdcount() const { return h_.qdcount(); }
  uint16_t ancount() const { return h_.ancount(); }
  uint16_t nscount() const { return h_.nscount(); }
  uint16_t arcount() const { return h_.arcount(); }

 private:
  HeaderRef h_;  // never written through
};

}  // namespace ballast::dns
