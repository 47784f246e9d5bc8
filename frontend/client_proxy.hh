// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A stream connection (TCP, DoT, DoH) from a client in setProxyProtocolACL starts with a
/// PROXY v2 header, before any TLS: ClientProxy reads it off the socket without taking a
/// byte past it, then gives every query of the connection the addresses and values it
/// named. A connection whose client is not in the ACL has none (no cost).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/query_context.hh"
#include "core/runtime_config.hh"
#include "core/stats.hh"
#include "dns/proxy_protocol.hh"

namespace ballast::frontend {

class ClientProxy {
 public:
  enum class Step : uint8_t {
    Ready,    ///< the header is read and applied (or was already)
    Wait,     ///< more bytes are needed: wait until the socket is readable
    Closed,   ///< the client closed before sending anything
    Invalid,  ///< not a valid header (counted in proxy-protocol-invalid): close
  };

  /// Null unless `client` must send a header.
  static std::unique_ptr<ClientProxy> forClient(const core::Address& client,
                                                const core::Address& local,
                                                const core::RuntimeConfig& cfg);
  ClientProxy(const core::Address& client, const core::Address& local);

  bool waiting() const { return !ready_; }
  /// Reads (plain recv on `fd`) what is missing of the header.
  Step advance(int fd, const core::RuntimeConfig& cfg, core::GlobalStats& stats);
  /// The addresses and values of the header, for one query of the connection.
  void fill(core::QueryContext& q) const;

 private:
  std::vector<uint8_t> buf_;  ///< released once the header is read
  core::Destination origin_;  ///< client, local, proxied, peer, peerLocal
  std::vector<dns::proxy::Value> values_;
  bool ready_ = false;
};

}  // namespace ballast::frontend
