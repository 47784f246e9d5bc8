// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The live state of the process: the immutable start-up part (binds, buffer sizes), the
/// published runtime snapshot, the server list and the statistics. Configuration code
/// (Lua, console) changes it only through update(), which publishes a new snapshot.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/backend.hh"
#include "core/published.hh"
#include "core/runtime_config.hh"
#include "core/stats.hh"
#include "metrics/registry.hh"

namespace ballast::core {

struct LocalBind {
  Address address;
  bool reusePort = false;
  bool tcp = true;                           ///< doTCP: listen on TCP too
  uint32_t maxInFlight = 0;                  ///< TCP queries processed at once (0: one)
  uint64_t maxConcurrentTCPConnections = 0;  ///< 0: unlimited
};

/// Settings fixed once the frontends are started.
struct StartupConfig {
  std::vector<LocalBind> locals;
  size_t udpRecvBufferSize = 4 * 1024 * 1024;  ///< well above the kernel's 208 KB default
  size_t udpSendBufferSize = 4 * 1024 * 1024;
  uint32_t maxUDPOutstanding = 65535;
};

class Runtime {
 public:
  Runtime();

  StartupConfig startup;
  GlobalStats stats;
  metrics::Registry registry;
  Published<RuntimeConfig> config;

  /// Copies the current snapshot, lets `change` edit it, and publishes the result. Changes
  /// are serialised; if `change` throws, nothing is published.
  void update(const std::function<void(RuntimeConfig&)>& change);

  /// Adds a server (and to its pools); started at once if the runtime is running.
  void addServer(std::shared_ptr<Backend> b);
  /// Takes the server out of its pools and stops it. Returns false if it was not there.
  bool removeServer(const std::shared_ptr<Backend>& b);
  /// Lets `change` edit a server's pools or weight under the configuration lock, then
  /// rebuilds the pools and publishes them, so policies see the change at the next query.
  void changeServer(const std::function<void()>& change);
  std::vector<std::shared_ptr<Backend>> servers() const;

  /// Starts every server; later additions start as they come.
  void startServers();
  void stopServers();
  bool running() const { return running_.load(); }

 private:
  /// A new snapshot with the pools rebuilt from servers_; the caller holds mutex_.
  void republishPools();

  mutable std::mutex mutex_;  // serialises configuration changes, not the query path
  std::vector<std::shared_ptr<Backend>> servers_;
  std::atomic<bool> running_{false};
};

}  // namespace ballast::core
