// SPDX-License-Identifier: GPL-2.0-only
#include "dns/message.hh"

#include "dns/types.hh"

namespace ballast::dns {
namespace {

inline uint16_t get16(const uint8_t* p) {
  return uint16_t((p[0] << 8) | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

// Fixed part of a resource record after its owner name: type, class, TTL, RDLENGTH.
constexpr size_t kRecordFixed = 10;

bool isRootOwner(std::span<const uint8_t> packet, size_t offset) {
  // A compressed root owner is odd but legal, so follow the pointer rather than reject it.
  return packet[offset] == 0 || NameRef(packet, uint16_t(offset)).labelCount() == 0;
}

}  // namespace

ParseError MessageView::parse(std::span<const uint8_t> packet, MessageView& out) {
  return parse(packet, out, ParseOptions{});
}

ParseError MessageView::parse(std::span<const uint8_t> packet, MessageView& out,
                              const ParseOptions& options) {
  if (packet.size() < kHeaderSize) return ParseError::TooShort;
  if (packet.size() > 65535) return ParseError::TooLong;
  const uint8_t* p = packet.data();
  const size_t size = packet.size();
  out.packet_ = packet;
  out.question_ = Question{};
  out.edns_ = Edns{};
  const HeaderView h(p);

  size_t o = kHeaderSize;
  for (unsigned i = 0; i < h.qdcount(); ++i) {
    // Nothing left at all where an entry should start: the header count lies.
    if (o == size) return ParseError::CountOverrun;
    size_t nameAt = o;
    if (ParseError e = readName(packet, o); e != ParseError::None) return e;
    if (size - o < 4) return ParseError::TooShort;
    if (i == 0)
      out.question_ = Question{NameRef(packet, uint16_t(nameAt)), get16(p + o), get16(p + o + 2)};
    o += 4;
  }
  out.questionEnd_ = uint16_t(o);

  const uint32_t answerAndAuthority = uint32_t(h.ancount()) + h.nscount();
  const uint32_t total = answerAndAuthority + h.arcount();
  for (uint32_t i = 0; i < total; ++i) {
    if (o == size) return ParseError::CountOverrun;
    size_t start = o;
    if (ParseError e = readName(packet, o); e != ParseError::None) return e;
    if (size - o < kRecordFixed) return ParseError::TooShort;
    const uint16_t type = get16(p + o);
    const uint16_t rdlen = get16(p + o + 8);
    const size_t fixedAt = o;
    o += kRecordFixed;
    if (size - o < rdlen) return ParseError::TruncatedRdata;
    if (type == qtype::OPT) {
      if (i < answerAndAuthority || !isRootOwner(packet, start)) return ParseError::BadOpt;
      if (out.edns_.present) return ParseError::MultipleOpt;
      auto opts = packet.subspan(o, rdlen);
      if (forEachEdnsOption(opts, [](uint16_t, std::span<const uint8_t>) {}) != ParseError::None) {
        return ParseError::BadOpt;
      }
      Edns& e = out.edns_;
      const uint32_t ttl = get32(p + fixedAt + 4);
      e.present = true;
      e.udpPayloadSize = get16(p + fixedAt + 2);
      e.extendedRcode = uint8_t(ttl >> 24);
      e.version = uint8_t(ttl >> 16);
      e.flags = uint16_t(ttl);
      e.dnssecOk = (ttl & 0x8000) != 0;
      e.recordOffset = uint16_t(start);
      e.optionsOffset = uint16_t(o);
      e.optionsLength = rdlen;
    }
    o += rdlen;
  }
  out.messageEnd_ = uint16_t(o);
  out.recordCount_ = total;
  if (options.rejectTrailingData && o != size) return ParseError::TrailingData;
  return ParseError::None;
}

RecordIterator MessageView::begin() const {
  return RecordIterator(this, 0, questionEnd_);
}
RecordIterator MessageView::end() const {
  return RecordIterator(this, recordCount_, messageEnd_);
}

RecordIterator::RecordIterator(const MessageView* m, uint32_t index, uint16_t offset)
    : msg_(m), index_(index), offset_(offset) {
  if (index_ < msg_->recordCount_) load();
}

RecordIterator& RecordIterator::operator++() {
  offset_ = uint16_t(current_.rdataOffset + current_.rdataLength);
  ++index_;
  if (index_ < msg_->recordCount_) load();
  return *this;
}

void RecordIterator::load() {
  // parse() validated every record, so the reads below stay inside the packet.
  const auto packet = msg_->packet_;
  const uint8_t* p = packet.data();
  const HeaderView h(p);
  RecordView& r = current_;
  r.name = NameRef(packet, offset_);
  r.offset = offset_;
  const size_t o = offset_ + r.name.inPacketLength();
  r.type = get16(p + o);
  r.klass = get16(p + o + 2);
  r.ttlOffset = uint16_t(o + 4);
  r.ttl = get32(p + o + 4);
  r.rdataLength = get16(p + o + 8);
  r.rdataOffset = uint16_t(o + kRecordFixed);
  if (index_ < h.ancount()) {
    r.section = Section::Answer;
  } else if (index_ < uint32_t(h.ancount()) + h.nscount()) {
    r.section = Section::Authority;
  } else {
    r.section = Section::Additional;
  }
}

}  // namespace ballast::dns
