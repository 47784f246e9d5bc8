// SPDX-License-Identifier: GPL-2.0-only
#include "core/proxy_origin.hh"

#include <cstring>

namespace ballast::core {

Address addressOf(const dns::proxy::Endpoint& e) {
  if (e.v6) {
    sockaddr_in6 s{};
    s.sin6_family = AF_INET6;
    std::memcpy(&s.sin6_addr, e.addr, 16);
    s.sin6_port = htons(e.port);
    return Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&s), sizeof(s));
  }
  sockaddr_in s{};
  s.sin_family = AF_INET;
  std::memcpy(&s.sin_addr, e.addr, 4);
  s.sin_port = htons(e.port);
  return Address::fromSockaddr(reinterpret_cast<const sockaddr*>(&s), sizeof(s));
}

dns::proxy::Endpoint endpointOf(const Address& a) {
  dns::proxy::Endpoint e;
  e.v6 = a.isV6();
  std::memcpy(e.addr, a.bytes(), a.byteLength());
  e.port = a.port();
  return e;
}

void applyProxyHeader(const dns::proxy::Header& h, Destination& d,
                      std::vector<dns::proxy::Value>& values) {
  if (h.command != dns::proxy::Command::Proxy) return;
  d.proxied = true;
  d.peer = d.client;
  d.peerLocal = d.local;
  d.client = addressOf(h.source);
  d.local = addressOf(h.destination);
  dns::proxy::appendValues(h.tlvs, values);
}

bool takeProxyHeader(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats) {
  dns::proxy::Header h;
  if (dns::proxy::parse({q.packet, q.length}, cfg.settings.proxyProtocolMaxSize, h) !=
      dns::proxy::Status::Ok) {
    stats.proxyProtocolInvalid.inc();
    return false;
  }
  applyProxyHeader(h, q.destination, q.proxyValues);
  q.packet += h.size;
  q.length -= h.size;
  q.capacity -= h.size;
  return true;
}

bool writeProxyHeader(std::vector<uint8_t>& out, const Address* client, const Address* local,
                      bool stream, const std::vector<dns::proxy::Value>* values) {
  if (!client) {
    dns::proxy::write(out, nullptr, nullptr, stream, {});
    return true;
  }
  dns::proxy::Endpoint src = endpointOf(*client);
  dns::proxy::Endpoint dst = local ? endpointOf(*local) : dns::proxy::Endpoint{};
  std::span<const dns::proxy::Value> v;
  if (values) v = *values;
  size_t len = 36;  // the larger address block
  for (const auto& x : v) len += 3 + x.content.size();
  if (len > 0xFFFF) return false;  // checked here: the writer would throw
  dns::proxy::write(out, &src, local ? &dst : nullptr, stream, v);
  return true;
}

}  // namespace ballast::core
