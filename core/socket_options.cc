// SPDX-License-Identifier: GPL-2.0-only
#include "core/socket_options.hh"

#include <fmt/format.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ballast::core {

OutgoingSource OutgoingSource::parse(std::string_view text) {
  OutgoingSource s;
  auto at = text.find('@');
  std::string_view addr = text, itf;
  if (at != std::string_view::npos) {
    addr = text.substr(0, at);
    itf = text.substr(at + 1);
    if (addr.empty() || itf.empty())
      throw std::invalid_argument(fmt::format("source '{}': expected address@interface", text));
    s.address = Address::parse(addr, 0);
    s.interface = std::string(itf);
    return s;
  }
  if (text.empty()) throw std::invalid_argument("source: empty");
  // Not an address: an interface name, as dnsdist reads it.
  try {
    s.address = Address::parse(text, 0);
  } catch (const std::invalid_argument&) {
    s.interface = std::string(text);
  }
  return s;
}

void bindToDevice(int fd, const std::string& interface, const std::string& what) {
  if (interface.empty()) return;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.data(), socklen_t(interface.size())) !=
      0)
    throw std::runtime_error(
        fmt::format("{}: binding to interface '{}': {}", what, interface, strerror(errno)));
}

void bindSource(int fd, int family, const OutgoingSource& source, bool noPort,
                const std::string& what) {
  bindToDevice(fd, source.interface, what);
  if (!source.address) return;
  if (source.address->family() != family)
    throw std::runtime_error(fmt::format("{}: source {} is not of the server's address family",
                                         what, source.address->toString()));
  if (noPort) {
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));  // best effort
  }
  if (::bind(fd, source.address->sockaddr_(), source.address->length()) != 0)
    throw std::runtime_error(fmt::format("{}: binding to source {}: {}", what,
                                         source.address->toString(), strerror(errno)));
}

void setThreadAffinity(const std::vector<int>& cpus, const std::string& what) noexcept {
  if (cpus.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
  int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (err != 0) fmt::print(stderr, "Warning: {}: setting CPU affinity: {}\n", what, strerror(err));
}

}  // namespace ballast::core
