// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A socket address, IPv4 or IPv6, with parsing and printing as operators write them:
/// "192.0.2.1", "192.0.2.1:53", "2001:db8::1", "[2001:db8::1]:53".
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ballast::core {

class Address {
 public:
  Address() {
    u_.sin4 = {};
    u_.sin4.sin_family = AF_INET;
  }
  /// Throws std::invalid_argument naming the text when it is not an address.
  static Address parse(std::string_view text, uint16_t defaultPort = 53);
  static Address fromSockaddr(const sockaddr* sa, socklen_t len);

  int family() const { return u_.sa.sa_family; }
  bool isV4() const { return family() == AF_INET; }
  bool isV6() const { return family() == AF_INET6; }
  uint16_t port() const { return ntohs(isV4() ? u_.sin4.sin_port : u_.sin6.sin6_port); }
  void setPort(uint16_t p);
  bool isWildcard() const;  ///< 0.0.0.0 or ::
  const sockaddr* sockaddr_() const { return &u_.sa; }
  sockaddr* sockaddr_() { return &u_.sa; }
  socklen_t length() const { return isV4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6); }
  const sockaddr_in& v4() const { return u_.sin4; }
  const sockaddr_in6& v6() const { return u_.sin6; }

  std::string toString() const;          ///< "192.0.2.1", "2001:db8::1"
  std::string toStringWithPort() const;  ///< "192.0.2.1:53", "[2001:db8::1]:53"
  /// Address bytes (4 or 16) for netmask matching.
  const uint8_t* bytes() const;
  size_t byteLength() const { return isV4() ? 4 : 16; }

  friend bool operator==(const Address& a, const Address& b);

 private:
  union {
    sockaddr sa;
    sockaddr_in sin4;
    sockaddr_in6 sin6;
  } u_;
};

}  // namespace ballast::core
