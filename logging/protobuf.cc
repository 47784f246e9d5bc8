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

std::string PbMessage::encode() const {
  // PBDNSMessage field numbers (dnsmessage.proto).
  std::string out;
  out.reserve(160 + qname.size());
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
  std::string question;
  PbWriter q(question);
  q.bytes(1, qname);
  q.varint(2, qtype);
  q.varint(3, qclass);
  w.bytes(12, question);
  std::string resp;
  PbWriter r(resp);
  if (rcode) r.varint(1, *rcode);
  for (const RR& rr : rrs) {
    std::string one;
    PbWriter o(one);
    o.bytes(1, rr.name);
    o.varint(2, rr.type);
    o.varint(3, rr.qclass);
    o.varint(4, rr.ttl);
    o.bytes(5, rr.rdata);
    r.bytes(2, one);
  }
  for (const std::string& t : tags) r.bytes(4, t);
  r.varint(5, queryTimeSec);
  r.varint(6, queryTimeUsec);
  w.bytes(13, resp);
  if (!ednsSubnet.empty()) w.bytes(14, ednsSubnet);
  w.varint(20, from.port());
  w.varint(21, to.port());
  return out;
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

std::string DnstapMessage::encode() const {
  // Dnstap and Message field numbers (dnstap.proto).
  std::string msg;
  PbWriter m(msg);
  m.varint(1, uint64_t(type));
  m.varint(2, family(requestor));
  m.varint(3, uint64_t(transport));
  m.bytes(4, addressBytes(requestor));
  m.bytes(5, addressBytes(responder));
  m.varint(6, requestor.port());
  m.varint(7, responder.port());
  m.varint(8, uint64_t(queryTimeSec));
  m.fixed32(9, queryTimeNsec);
  bool qr = packet.size() > 2 && (uint8_t(packet[2]) & 0x80);
  if (responseTime) {
    m.varint(12, uint64_t(responseTime->first));
    m.fixed32(13, responseTime->second);
  }
  m.bytes(qr ? 14 : 10, packet);
  std::string out;
  out.reserve(msg.size() + identity.size() + version.size() + extra.size() + 16);
  PbWriter w(out);
  w.bytes(1, identity);
  w.bytes(2, version);
  if (!extra.empty()) w.bytes(3, extra);
  w.bytes(14, msg);
  w.varint(15, 1);  // Dnstap.Type MESSAGE
  return out;
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
