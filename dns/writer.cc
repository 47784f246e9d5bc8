// SPDX-License-Identifier: GPL-2.0-only
#include "dns/writer.hh"

#include <cstring>
#include <stdexcept>

#include "dns/types.hh"

namespace ballast::dns {
namespace {

// Compression pointers carry 14 bits of offset.
constexpr size_t kMaxPointerTarget = 0x3fff;
constexpr size_t kOptRecordSize = 11;  // root owner, type, class, TTL, RDLENGTH 0

inline void set16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

uint32_t optTtl(uint8_t extendedRcode, uint8_t version, bool dnssecOk) {
  return (uint32_t(extendedRcode) << 24) | (uint32_t(version) << 16) | (dnssecOk ? 0x8000u : 0u);
}

}  // namespace

MessageWriter::MessageWriter(std::vector<uint8_t>& buf, uint16_t id, const Name& qname,
                             uint16_t qtype, uint16_t qclass)
    : buf_(buf) {
  buf_.clear();
  buf_.reserve(512);  // one allocation covers a classic UDP answer
  buf_.resize(kHeaderSize, 0);
  header().setId(id);
  writeName(qname, true);
  append16(qtype);
  append16(qclass);
  header().setQdcount(1);
}

void MessageWriter::startRecord(const Name& owner, uint16_t type, uint16_t klass, uint32_t ttl,
                                Section s) {
  if (inRecord_) throw std::logic_error("MessageWriter: startRecord before commit");
  if (s == Section::Question || s < section_) {
    throw std::logic_error("MessageWriter: sections must be written in order");
  }
  section_ = s;
  writeName(owner, true);
  append16(type);
  append16(klass);
  append16(uint16_t(ttl >> 16));
  append16(uint16_t(ttl));
  rdlenPos_ = buf_.size();
  append16(0);
  inRecord_ = true;
}

void MessageWriter::putName(const Name& n, bool compress) {
  requireRecord();
  writeName(n, compress);
}

void MessageWriter::putU8(uint8_t v) {
  requireRecord();
  buf_.push_back(v);
}

void MessageWriter::putU16(uint16_t v) {
  requireRecord();
  append16(v);
}

void MessageWriter::putU32(uint32_t v) {
  requireRecord();
  append16(uint16_t(v >> 16));
  append16(uint16_t(v));
}

void MessageWriter::putBytes(std::span<const uint8_t> b) {
  requireRecord();
  buf_.insert(buf_.end(), b.begin(), b.end());
}

void MessageWriter::commit() {
  requireRecord();
  const size_t rdlen = buf_.size() - rdlenPos_ - 2;
  if (rdlen > 0xffff || buf_.size() > 0xffff) {
    throw std::length_error("MessageWriter: record or message over 65535 bytes");
  }
  set16(buf_.data() + rdlenPos_, uint16_t(rdlen));
  HeaderRef h = header();
  switch (section_) {
    case Section::Answer:
      h.setAncount(bumpCount(h.ancount()));
      break;
    case Section::Authority:
      h.setNscount(bumpCount(h.nscount()));
      break;
    case Section::Additional:
      h.setArcount(bumpCount(h.arcount()));
      break;
    case Section::Question:
      break;  // startRecord refuses it
  }
  inRecord_ = false;
}

void MessageWriter::addOpt(uint16_t udpPayloadSize, bool dnssecOk, std::span<const uint8_t> options,
                           uint8_t extendedRcode, uint8_t version) {
  startRecord(Name(), qtype::OPT, udpPayloadSize, optTtl(extendedRcode, version, dnssecOk),
              Section::Additional);
  putBytes(options);
  commit();
}

void MessageWriter::requireRecord() const {
  if (!inRecord_) throw std::logic_error("MessageWriter: RDATA written outside a record");
}

uint16_t MessageWriter::bumpCount(uint16_t count) {
  if (count == 0xffff) throw std::length_error("MessageWriter: section count over 65535");
  return uint16_t(count + 1);
}

void MessageWriter::append16(uint16_t v) {
  buf_.push_back(uint8_t(v >> 8));
  buf_.push_back(uint8_t(v));
}

std::optional<uint16_t> MessageWriter::findSuffix(std::span<const uint8_t> suffix) const {
  const std::span<const uint8_t> written(buf_.data(), buf_.size());
  for (uint16_t off : nameOffsets_) {
    // Every recorded offset starts a label, so the length byte is a cheap first filter.
    if (buf_[off] != suffix[0]) continue;
    if (NameRef(written, off).equalsWire(suffix)) return off;
  }
  return std::nullopt;
}

void MessageWriter::writeName(const Name& n, bool compress) {
  const auto wire = n.wire();
  // Longest suffix first: the first match found saves the most bytes. The root alone is
  // never worth a two-byte pointer.
  size_t stop = wire.size() - 1;
  std::optional<uint16_t> target;
  if (compress) {
    for (size_t s = 0; wire[s] != 0; s += 1 + size_t(wire[s])) {
      target = findSuffix(wire.subspan(s));
      if (target) {
        stop = s;
        break;
      }
    }
  }
  for (size_t s = 0; s < stop; s += 1 + size_t(wire[s])) {
    // Later names may point at any suffix written here, uncompressed RDATA names included.
    if (buf_.size() <= kMaxPointerTarget) nameOffsets_.push_back(uint16_t(buf_.size()));
    buf_.insert(buf_.end(), wire.begin() + s, wire.begin() + s + 1 + wire[s]);
  }
  if (target) {
    append16(uint16_t(0xc000 | *target));
  } else {
    buf_.push_back(0);
  }
}

size_t makeResponseInPlace(uint8_t* packet, size_t len, size_t capacity, const MessageView& query,
                           uint8_t rcode, bool recursionAvailable, uint16_t ednsPayload) {
  (void)len;  // everything after the question is dropped, whatever its length
  HeaderRef h(packet);
  h.setQr(true);
  h.setRa(recursionAvailable);
  // Flags that only an authority or a validator may set, and TC, make no sense on a
  // locally made answer that holds the question alone.
  h.setAa(false);
  h.setAd(false);
  h.setTc(false);
  h.setRcode(uint8_t(rcode & 0x0f));
  h.setAncount(0);
  h.setNscount(0);
  h.setArcount(0);
  size_t end = query.questionEnd();
  const Edns& e = query.edns();
  // The query's own OPT occupied at least 11 bytes after the question, so this always fits
  // when the caller passes the query's buffer; the check guards other uses.
  if (e.present && capacity >= end + kOptRecordSize) {
    uint8_t* o = packet + end;
    o[0] = 0;
    set16(o + 1, qtype::OPT);
    set16(o + 3, ednsPayload);
    const uint32_t ttl = optTtl(uint8_t(rcode >> 4), 0, e.dnssecOk);
    set16(o + 5, uint16_t(ttl >> 16));
    set16(o + 7, uint16_t(ttl));
    set16(o + 9, 0);
    h.setArcount(1);
    end += kOptRecordSize;
  }
  return end;
}

size_t addOptIfMissing(uint8_t* packet, size_t len, size_t capacity, const MessageView& query,
                       uint16_t ednsPayload) {
  HeaderView h(packet);
  if (query.edns().present || len + kOptRecordSize > capacity || h.arcount() == 0xffff) return 0;
  uint8_t* o = packet + len;
  o[0] = 0;
  set16(o + 1, qtype::OPT);
  set16(o + 3, ednsPayload);
  set16(o + 5, 0);
  set16(o + 7, 0);
  set16(o + 9, 0);
  HeaderRef(packet).setArcount(uint16_t(h.arcount() + 1));
  return len + kOptRecordSize;
}

size_t truncateToQuestion(uint8_t* packet, size_t len, size_t capacity,
                          const MessageView& response) {
  (void)len;
  (void)capacity;  // the result is never longer than the input
  HeaderRef h(packet);
  h.setTc(true);
  h.setAncount(0);
  h.setNscount(0);
  h.setArcount(0);
  size_t end = response.questionEnd();
  const Edns& e = response.edns();
  if (e.present) {
    // Rewrite the owner as a plain root byte: a compressed owner could point into the
    // records being dropped. Then move type..RDATA down behind it.
    const size_t ownerLen = NameRef(response.packet(), e.recordOffset).inPacketLength();
    const size_t fixedAt = e.recordOffset + ownerLen;
    const size_t bodyLen = e.optionsOffset + e.optionsLength - fixedAt;
    packet[end] = 0;
    std::memmove(packet + end + 1, packet + fixedAt, bodyLen);
    end += 1 + bodyLen;
    h.setArcount(1);
  }
  return end;
}

}  // namespace ballast::dns
