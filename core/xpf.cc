// SPDX-License-Identifier: GPL-2.0-only
#include "core/xpf.hh"

#include <cstring>

#include "dns/header.hh"

namespace ballast::core {

std::string xpfPayload(bool tcp, const Address& source, const Address& destination) {
  if (source.family() != destination.family()) return {};
  std::string out;
  out.push_back(char(source.isV4() ? 4 : 6));
  out.push_back(char(tcp ? 6 : 17));
  out.append(reinterpret_cast<const char*>(source.bytes()), source.byteLength());
  out.append(reinterpret_cast<const char*>(destination.bytes()), destination.byteLength());
  for (uint16_t port : {source.port(), destination.port()}) {
    out.push_back(char(port >> 8));
    out.push_back(char(port & 0xff));
  }
  return out;
}

size_t appendXpf(uint8_t* packet, size_t messageEnd, size_t capacity, uint16_t rrType,
                 const std::string& payload) {
  size_t need = 1 + 10 + payload.size();
  if (payload.empty() || messageEnd + need > capacity || messageEnd + need > 65535) return 0;
  dns::HeaderRef h(packet);
  if (h.arcount() == 0xffff) return 0;
  uint8_t* p = packet + messageEnd;
  p[0] = 0;  // root owner
  p[1] = uint8_t(rrType >> 8);
  p[2] = uint8_t(rrType);
  p[3] = 0;  // class IN
  p[4] = 1;
  std::memset(p + 5, 0, 4);  // TTL
  p[9] = uint8_t(payload.size() >> 8);
  p[10] = uint8_t(payload.size());
  std::memcpy(p + 11, payload.data(), payload.size());
  h.setArcount(uint16_t(h.arcount() + 1));
  return messageEnd + need;
}

}  // namespace ballast::core
