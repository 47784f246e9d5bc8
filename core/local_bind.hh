// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One addLocal/setLocal bind: a UDP listener, and a TCP one unless doTCP=false. Declared
/// with the process's other binds in frontend::StreamConfig::locals.
#include <atomic>
#include <cstdint>
#include <memory>

#include "core/address.hh"
#include "core/socket_options.hh"
#include "metrics/counter.hh"

namespace ballast::core {

/// What a UDP frontend counts, read by the web API (dnsdist's per-frontend figures), and
/// its one runtime switch.
struct FrontendStats {
  metrics::Counter queries;   ///< datagrams received
  metrics::Counter answered;  ///< answered from the listener itself (cache hits, local)
  /// ClientState.muted: queries are processed as usual but no UDP answer is sent.
  std::atomic<bool> muted{false};
};

struct LocalBind {
  Address address;
  bool reusePort = false;
  bool tcp = true;                           ///< doTCP: listen on TCP too
  uint32_t maxInFlight = 0;                  ///< TCP queries processed at once (0: one)
  uint64_t maxConcurrentTCPConnections = 0;  ///< 0: unlimited
  ListenOptions listen{};                    ///< interface, cpus, TCP queue sizes
  /// Shared by the copies of this bind (the listener's and the configuration's).
  std::shared_ptr<FrontendStats> stats = std::make_shared<FrontendStats>();
};

}  // namespace ballast::core
