// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Socket and thread options shared by listening binds (addLocal, addTLSLocal, addDOHLocal)
/// and outgoing sockets to backends (newServer's source), with dnsdist's meanings.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hh"

namespace ballast::core {

/// What addLocal, addTLSLocal and addDOHLocal share about their listening sockets.
struct ListenOptions {
  std::string interface;         ///< SO_BINDTODEVICE; empty: any interface
  std::vector<int> cpus;         ///< CPU affinity of the bind's listener threads; empty: any
  int tcpListenQueueSize = 0;    ///< listen() backlog; 0: SOMAXCONN
  int tcpFastOpenQueueSize = 0;  ///< TCP Fast Open queue; 0: off
};

/// newServer's source: "address", "interface" or "address@interface".
struct OutgoingSource {
  std::optional<Address> address;  ///< port 0: the kernel picks one
  std::string interface;           ///< empty: the routing table's
  bool empty() const { return !address && interface.empty(); }
  /// Throws std::invalid_argument on an empty part or a bad address.
  static OutgoingSource parse(std::string_view text);
};

/// SO_BINDTODEVICE to `interface` (nothing when empty); throws std::runtime_error naming
/// `what` and the reason (an unknown interface, or not allowed).
void bindToDevice(int fd, const std::string& interface, const std::string& what);
/// Binds `fd` (of `family`) to the source's interface and address; with `noPort` the port is
/// chosen at connect() (IP_BIND_ADDRESS_NO_PORT), so a TCP source address is not limited
/// to the ephemeral ports a bind() alone could reserve. Throws std::runtime_error.
void bindSource(int fd, int family, const OutgoingSource& source, bool noPort,
                const std::string& what);
/// Pins the calling thread to `cpus` (nothing when empty). Called at a thread's start, so a
/// failure is a warning on stderr naming `what`, not an exception.
void setThreadAffinity(const std::vector<int>& cpus, const std::string& what) noexcept;

}  // namespace ballast::core
