// SPDX-License-Identifier: GPL-2.0-only
#include "dns/proxy_protocol.hh"

#include <cstring>
#include <stdexcept>

namespace ballast::dns::proxy {

namespace {

constexpr uint8_t kVersion2 = 0x20;
constexpr uint8_t kFamilyInet = 0x10, kFamilyInet6 = 0x20;
constexpr uint8_t kTransportStream = 0x01, kTransportDgram = 0x02;
constexpr size_t kInetSize = 12, kInet6Size = 36;  // two addresses and two ports

uint16_t read16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}

void put16(std::vector<uint8_t>& out, size_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

Status checkTlvs(std::span<const uint8_t> tlvs) {
  size_t p = 0;
  while (p < tlvs.size()) {
    if (tlvs.size() - p < 3) return Status::BadTlv;
    size_t len = read16(tlvs.data() + p + 1);
    if (tlvs.size() - p - 3 < len) return Status::BadTlv;
    p += 3 + len;
  }
  return Status::Ok;
}

void readEndpoints(const uint8_t* p, bool v6, Header& h) {
  size_t a = v6 ? 16 : 4;
  h.source.v6 = h.destination.v6 = v6;
  std::memcpy(h.source.addr, p, a);
  std::memcpy(h.destination.addr, p + a, a);
  h.source.port = read16(p + 2 * a);
  h.destination.port = read16(p + 2 * a + 2);
}

}  // namespace

const char* describe(Status s) {
  switch (s) {
    case Status::Ok:
      return "ok";
    case Status::Incomplete:
      return "incomplete";
    case Status::BadSignature:
      return "bad signature";
    case Status::BadVersion:
      return "bad version or command";
    case Status::BadFamily:
      return "unsupported family or transport";
    case Status::TooLarge:
      return "header too large";
    case Status::BadLength:
      return "length too short for the addresses";
    case Status::BadTlv:
      return "malformed TLV";
  }
  return "unknown";
}

Status parse(std::span<const uint8_t> data, size_t maxSize, Header& out) {
  // A prefix that already differs from the signature is rejected at once, so a stream
  // that does not start with a header is not waited on.
  size_t n = std::min(data.size(), sizeof(kSignature));
  if (std::memcmp(data.data(), kSignature, n) != 0) return Status::BadSignature;
  if (data.size() < kFixedSize) return Status::Incomplete;
  uint8_t vc = data[12], ft = data[13];
  if ((vc & 0xF0) != kVersion2) return Status::BadVersion;
  uint8_t cmd = vc & 0x0F;
  if (cmd > 1) return Status::BadVersion;
  size_t len = read16(data.data() + 14);
  size_t total = kFixedSize + len;
  if (total > maxSize) return Status::TooLarge;
  out = Header{};
  out.command = Command(cmd);
  out.stream = (ft & 0x0F) == kTransportStream;
  if (out.command == Command::Proxy) {
    uint8_t family = ft & 0xF0, transport = ft & 0x0F;
    if ((family != kFamilyInet && family != kFamilyInet6) ||
        (transport != kTransportStream && transport != kTransportDgram))
      return Status::BadFamily;
    size_t addrSize = family == kFamilyInet ? kInetSize : kInet6Size;
    if (len < addrSize) return Status::BadLength;
    if (data.size() < total) return Status::Incomplete;
    readEndpoints(data.data() + kFixedSize, family == kFamilyInet6, out);
    out.tlvs = data.subspan(kFixedSize + addrSize, len - addrSize);
    if (Status s = checkTlvs(out.tlvs); s != Status::Ok) return s;
  } else if (data.size() < total) {
    return Status::Incomplete;
  }
  // LOCAL: the sender speaks for itself; whatever follows the fixed part is ignored.
  out.size = total;
  return Status::Ok;
}

void appendValues(std::span<const uint8_t> tlvs, std::vector<Value>& out) {
  forEachValue(tlvs, [&](uint8_t type, std::span<const uint8_t> v) {
    out.push_back(Value{type, std::string(v.begin(), v.end())});
  });
}

void write(std::vector<uint8_t>& out, const Endpoint* source, const Endpoint* destination,
           bool stream, std::span<const Value> values) {
  out.insert(out.end(), kSignature, kSignature + sizeof(kSignature));
  if (!source) {
    out.push_back(kVersion2 | 0x00);
    out.push_back(0x00);  // UNSPEC, UNSPEC
    put16(out, 0);
    return;
  }
  bool v6 = source->v6;
  size_t a = v6 ? 16 : 4;
  size_t len = v6 ? kInet6Size : kInetSize;
  for (const Value& v : values) len += 3 + v.content.size();
  if (len > 0xFFFF) throw std::length_error("PROXY protocol values too large");
  out.push_back(kVersion2 | 0x01);
  out.push_back(
      uint8_t((v6 ? kFamilyInet6 : kFamilyInet) | (stream ? kTransportStream : kTransportDgram)));
  put16(out, len);
  Endpoint dst;  // the unspecified address of the source's family, the port kept
  if (destination && destination->v6 == v6) dst = *destination;
  if (destination) dst.port = destination->port;
  out.insert(out.end(), source->addr, source->addr + a);
  out.insert(out.end(), dst.addr, dst.addr + a);
  put16(out, source->port);
  put16(out, dst.port);
  for (const Value& v : values) {
    out.push_back(v.type);
    put16(out, v.content.size());
    out.insert(out.end(), v.content.begin(), v.content.end());
  }
}

}  // namespace ballast::dns::proxy
