// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/xfr_tracker.hh"

#include "dns/message.hh"
#include "dns/name.hh"
#include "dns/types.hh"

namespace ballast::backends::remote {

namespace {
/// The SERIAL of an SOA record's RDATA (after MNAME and RNAME, which may be compressed
/// pointers into `packet`); false when the RDATA is malformed.
bool soaSerial(std::span<const uint8_t> packet, const dns::RecordView& r, uint32_t& out) {
  size_t off = r.rdataOffset;
  const size_t end = size_t(r.rdataOffset) + r.rdataLength;
  if (dns::readName(packet, off) != dns::ParseError::None || off > end) return false;
  if (dns::readName(packet, off) != dns::ParseError::None || off > end) return false;
  if (end - off != 20) return false;  // SERIAL REFRESH RETRY EXPIRE MINIMUM
  out = uint32_t(packet[off]) << 24 | uint32_t(packet[off + 1]) << 16 |
        uint32_t(packet[off + 2]) << 8 | uint32_t(packet[off + 3]);
  return true;
}
}  // namespace

XfrTracker::State XfrTracker::feed(std::span<const uint8_t> message) {
  if (state_ != State::More) return state_ = State::Failed;  // nothing may follow the end
  ++messages_;
  dns::MessageView m;
  if (dns::MessageView::parse(message, m) != dns::ParseError::None) return state_ = State::Failed;
  if (!m.header().qr() || m.header().rcode() != 0) return state_ = State::Failed;
  // The records of this message's answer section.
  for (const dns::RecordView& r : m) {
    if (r.section != dns::Section::Answer) break;
    if (state_ != State::More) return state_ = State::Failed;  // records after the end
    uint32_t serial = 0;
    bool soa = r.type == dns::qtype::SOA;
    if (soa && !soaSerial(message, r, serial)) return state_ = State::Failed;
    record(soa, serial);
  }
  if (state_ == State::More && qtype_ == dns::qtype::IXFR && records_ == 1)
    state_ = State::Done;  // the lone SOA: the client is current (RFC 1995 section 4)
  return state_;
}

XfrTracker::State XfrTracker::record(bool soa, uint32_t serial) {
  ++records_;
  if (records_ == 1) {
    if (!soa) return state_ = State::Failed;  // a transfer opens with the zone's SOA
    serial_ = serial;
    serialSeen_ = 1;
    return state_;
  }
  if (records_ == 2 && qtype_ == dns::qtype::IXFR) incremental_ = soa;
  if (!soa) return state_;
  if (qtype_ == dns::qtype::AXFR) return state_ = State::Done;
  if (serial == serial_) ++serialSeen_;
  if (serialSeen_ >= (incremental_ ? 3u : 2u)) state_ = State::Done;
  return state_;
}

}  // namespace ballast::backends::remote
