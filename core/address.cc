// SPDX-License-Identifier: GPL-2.0-only
#include "core/address.hh"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace ballast::core {

namespace {

bool parsePort(std::string_view s, uint16_t& port) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535 || s.empty()) return false;
  port = uint16_t(v);
  return true;
}

}  // namespace

Address Address::parse(std::string_view text, uint16_t defaultPort) {
  auto bad = [&](const char* why) {
    return std::invalid_argument("'" + std::string(text) + "' is not a valid address: " + why);
  };
  std::string host;
  uint16_t port = defaultPort;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) throw bad("missing ']'");
    host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !parsePort(rest.substr(1), port)) throw bad("bad port");
    }
  } else {
    auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
      host = std::string(text.substr(0, colon));  // v4:port
      if (!parsePort(text.substr(colon + 1), port)) throw bad("bad port");
    } else {
      host = std::string(text);  // bare v4 or bare v6
    }
  }
  Address a;
  if (inet_pton(AF_INET, host.c_str(), &a.u_.sin4.sin_addr) == 1) {
    a.u_.sin4.sin_family = AF_INET;
    a.u_.sin4.sin_port = htons(port);
    return a;
  }
  a.u_.sin6 = {};
  if (inet_pton(AF_INET6, host.c_str(), &a.u_.sin6.sin6_addr) == 1) {
    a.u_.sin6.sin6_family = AF_INET6;
    a.u_.sin6.sin6_port = htons(port);
    return a;
  }
  throw bad("not an IPv4 or IPv6 address");
}

Address Address::fromSockaddr(const sockaddr* sa, socklen_t len) {
  Address a;
  if (sa->sa_family == AF_INET6 && len >= socklen_t(sizeof(sockaddr_in6))) {
    std::memcpy(&a.u_.sin6, sa, sizeof(sockaddr_in6));
  } else if (sa->sa_family == AF_INET && len >= socklen_t(sizeof(sockaddr_in))) {
    std::memcpy(&a.u_.sin4, sa, sizeof(sockaddr_in));
  }
  return a;
}

void Address::setPort(uint16_t p) {
  if (isV4())
    u_.sin4.sin_port = htons(p);
  else
    u_.sin6.sin6_port = htons(p);
}

bool Address::isWildcard() const {
  if (isV4()) return u_.sin4.sin_addr.s_addr == INADDR_ANY;
  return IN6_IS_ADDR_UNSPECIFIED(&u_.sin6.sin6_addr);
}

const uint8_t* Address::bytes() const {
  return isV4() ? reinterpret_cast<const uint8_t*>(&u_.sin4.sin_addr)
                : reinterpret_cast<const uint8_t*>(&u_.sin6.sin6_addr);
}

std::string Address::toString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(family(), bytes(), buf, sizeof(buf));
  return buf;
}

std::string Address::toStringWithPort() const {
  if (isV4()) return toString() + ":" + std::to_string(port());
  return "[" + toString() + "]:" + std::to_string(port());
}

bool operator==(const Address& a, const Address& b) {
  return a.family() == b.family() && a.port() == b.port() &&
         std::memcmp(a.bytes(), b.bytes(), a.byteLength()) == 0;
}

}  // namespace ballast::core
