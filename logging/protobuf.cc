// SPDX-License-Identifier: GPL-2.0-only
#include "logging/protobuf.hh"

#include <fmt/format.h>

#include <random>

namespace ballast::logging {

namespace {
constexpr uint32_t kVarint = 0, kLengthDelimited = 2, kFixed32 = 5;

std::string_view addressBytes(const core::Address& a) {
  return {reinterpret_cast<const char*>(a.bytes()), a.byteLength()};
}
uint32_t family(const core::Address& a) {
  return a.isV4() ? 1 : 2;
}
}  // namespace

void PbWriter::rawVarint(uint64_t v) {
  while (v >= 0x80) {
    out_ += char(uint8_t(v) | 0x80);
    v >>= 7;
  }
  out_ += char(v);
}

void PbWriter::varint(uint32_t field, uint64_t v) {
  rawVarint(uint64_t(field) << 3 | kVarint);
  rawVarint(v);
}

void PbWriter::fixed32(uint32_t field, uint32_t v) {
  rawVarint(uint64_t(field) << 3 | kFixed32);
  for (int i = 0; i < 4; ++i) out_ += char(uint8_t(v >> (8 * i)));
}

void PbWriter::bytes(uint32_t field, std::string_view v) {
  rawVarint(uint64_t(field) << 3 | kLengthDelimited);
  rawVarint(v.size());
  out_.append(v);
}

size_t PbWriter::begin(uint32_t field) {
  rawVarint(uint64_t(field) << 3 | kLengthDelimited);
  out_ += '\0';
  return out_.size();
}

void PbWriter::end(size_t mark) {
  size_t len = out_.size() - mark;
  if (len < 0x80) {
    out_[mark - 1] = char(len);
    return;
  }
  std::string prefix;
  PbWriter p(prefix);
  p.rawVarint(len);
  out_[mark - 1] = prefix[0];
  out_.insert(mark, prefix, 1, std::string::npos);
}

void PbMessage::encode(std::string& out) const {
  // PBDNSMessage field numbers (dnsmessage.proto).
  out.clear();
  PbWriter w(out);
  w.varint(1, response ? 2 : 1);
  w.bytes(2, {reinterpret_cast<const char*>(messageId.data()), messageId.size()});
  if (!serverIdentity.empty()) w.bytes(3, serverIdentity);
  w.varint(4, family(from));
  w.varint(5, uint64_t(transport));
  w.bytes(6, addressBytes(from));
  w.bytes(7, addressBytes(to));
  w.varint(8, inBytes);
  w.varint(9, timeSec);
  w.varint(10, timeUsec);
  w.varint(11, id);
  size_t question = w.begin(12);
  w.bytes(1, qname);
  w.varint(2, qtype);
  w.varint(3, qclass);
  w.end(question);
  size_t resp = w.begin(13);
  if (rcode) w.varint(1, *rcode);
  for (const RR& rr : rrs) {
    size_t one = w.begin(2);
    w.bytes(1, rr.name);
    w.varint(2, rr.type);
    w.varint(3, rr.qclass);
    w.varint(4, rr.ttl);
    w.bytes(5, rr.rdata);
    w.end(one);
  }
  for (const std::string& t : tags) w.bytes(4, t);
  w.varint(5, queryTimeSec);
  w.varint(6, queryTimeUsec);
  w.end(resp);
  if (!ednsSubnet.empty()) w.bytes(14, ednsSubnet);
  w.varint(20, from.port());
  w.varint(21, to.port());
}

std::string PbMessage::debugString() const {
  std::string uuid;
  for (uint8_t b : messageId) uuid += fmt::format("{:02x}", b);
  std::string out = fmt::format(
      "type: {}\nmessageId: {}\nserverIdentity: \"{}\"\nfrom: {}\nto: {}\nprotocol: {}\n"
      "inBytes: {}\ntime: {}.{:06}\nid: {}\nquestion: {} {} {}\n",
      response ? "DNSResponseType" : "DNSQueryType", uuid, serverIdentity, from.toStringWithPort(),
      to.toStringWithPort(), int(transport), inBytes, timeSec, timeUsec, id, qname, qtype, qclass);
  if (rcode) out += fmt::format("rcode: {}\n", *rcode);
  for (const RR& rr : rrs)
    out += fmt::format("rr: {} {} {} {} ({} bytes)\n", rr.name, rr.type, rr.qclass, rr.ttl,
                       rr.rdata.size());
  for (const std::string& t : tags) out += fmt::format("tag: \"{}\"\n", t);
  out += fmt::format("queryTime: {}.{:06}\n", queryTimeSec, queryTimeUsec);
  return out;
}

void DnstapMessage::encode(std::string& out) const {
  // Dnstap and Message field numbers (dnstap.proto).
  out.clear();
  PbWriter w(out);
  w.bytes(1, identity);
  w.bytes(2, version);
  if (!extra.empty()) w.bytes(3, extra);
  size_t msg = w.begin(14);
  w.varint(1, uint64_t(type));
  w.varint(2, family(requestor));
  w.varint(3, uint64_t(transport));
  w.bytes(4, addressBytes(requestor));
  w.bytes(5, addressBytes(responder));
  w.varint(6, requestor.port());
  w.varint(7, responder.port());
  w.varint(8, uint64_t(queryTimeSec));
  w.fixed32(9, queryTimeNsec);
  bool qr = packet.size() > 2 && (uint8_t(packet[2]) & 0x80);
  if (responseTime) {
    w.varint(12, uint64_t(responseTime->first));
    w.fixed32(13, responseTime->second);
  }
  w.bytes(qr ? 14 : 10, packet);
  w.end(msg);
  w.varint(15, 1);  // Dnstap.Type MESSAGE
}

std::array<uint8_t, 16> randomUuid() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = gen();
    for (int k = 0; k < 8; ++k) b[size_t(i + k)] = uint8_t(r >> (8 * k));
  }
  b[6] = uint8_t((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = uint8_t((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return b;
}

}  // namespace ballast::logging
