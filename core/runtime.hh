// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The live state of the process: the immutable start-up part (binds, buffer sizes), the
/// published runtime snapshot, the server list and the statistics. Configuration code
/// (Lua, console) changes it only through ConfigTarget: the runtime itself or a staging.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/backend.hh"
#include "core/config_target.hh"
#include "core/local_bind.hh"
#include "core/published.hh"
#include "core/runtime_config.hh"
#include "core/server_registry.hh"
#include "core/staging.hh"
#include "core/stats.hh"
#include "metrics/registry.hh"

namespace ballast::core {

/// Settings fixed once the frontends and servers are started (the binds themselves are
/// frontend::StreamConfig's, with the other listeners).
struct StartupConfig {
  size_t udpRecvBufferSize = 4 * 1024 * 1024;  ///< well above the kernel's 208 KB default
  size_t udpSendBufferSize = 4 * 1024 * 1024;
  uint32_t maxUDPOutstanding = 65535;
  /// setUDPMultipleMessagesVectorSize: datagrams one recvmmsg of a UDP listener takes at
  /// most (capped by the listener's own batch, 64).
  uint32_t udpVectorSize = 64;
  /// Outgoing TLS session cache (setOutgoingTLSSessionsCache*), per backend.
  size_t outgoingTlsMaxTickets = 20;
  int64_t outgoingTlsTicketValiditySec = 600;
  int64_t outgoingTlsCleanupDelaySec = 60;
};

/// The live process state and its one lock. Backends, the web API and the daemon call it
/// directly (each change published at once); configuration code calls it through
/// ConfigTarget, or a Staging of it (core/staging.hh) made by the console or a reload.
/// Its parts: the ServerRegistry (servers, caches, running), the published snapshot
/// (`config`, new ones made by core/snapshots.hh) and the one staging in progress.
class Runtime : public ConfigTarget {
 public:
  Runtime();
  ~Runtime() override;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  StartupConfig startup;
  GlobalStats stats;
  metrics::Registry registry;
  Published<RuntimeConfig> config;

  /// Copies the published snapshot, lets `change` edit it, and publishes the result.
  /// Changes are serialised; if `change` throws, nothing is published.
  void update(const std::function<void(RuntimeConfig&)>& change) override;

  /// The command line's --acl netmasks, added to the default ACL before the configuration
  /// runs (so its setACL replaces them and addACL adds to them, as dnsdist), now and before
  /// every reload's run of it. Throws std::invalid_argument for a bad netmask.
  void setInitialAcl(const std::vector<std::string>& netmasks);
  /// Adds a server (and to its pools); started at once if the runtime is running.
  void addServer(std::shared_ptr<Backend> b) override;
  /// Takes the server out of its pools and stops it. Returns false if it was not there.
  bool removeServer(const std::shared_ptr<Backend>& b) override;
  /// Puts `fresh` in `old`'s place (same position in the list and its pools, so policies
  /// choose it at the next query) and starts it if running. `old` is neither stopped nor
  /// released here: an embedded resolver's supervisor replaces an instance whose thread is
  /// stuck and cannot be joined. Also applied to the staging in progress, if any.
  /// False if `old` is not a server.
  bool replaceServer(const std::shared_ptr<Backend>& old, std::shared_ptr<Backend> fresh);
  /// Lets `change` edit a server's pools or weight under the configuration lock, then
  /// rebuilds the pools and publishes them, so policies see the change at the next query.
  void changeServer(const std::function<void()>& change) override;
  /// The running servers (a staging's list is Staging::servers()).
  std::vector<std::shared_ptr<Backend>> servers() const override;

  /// Keeps a packet cache for the life of the process: pools refer to it by pointer, and a
  /// query in flight may still insert into it after its pool dropped it.
  void keepCache(std::shared_ptr<PacketCache> c) override;
  std::vector<std::shared_ptr<PacketCache>> caches() const;
  /// The published snapshot.
  std::shared_ptr<const RuntimeConfig> current() const override { return config.load(); }

  /// Starts every server; later additions start as they come.
  void startServers();
  void stopServers();
  bool running() const { return servers_.running(); }

 private:
  friend class Staging;
  friend class ConsoleStaging;
  friend class ReloadStaging;
  /// Publishes a snapshot with the pools rebuilt from the running servers; the caller
  /// holds mutex_.
  void publishPools();

  mutable std::mutex mutex_;  // serialises configuration changes, not the query path
  NetmaskGroup initialAcl_ = defaultAcl();  ///< setInitialAcl; under mutex_
  ServerRegistry servers_;
  Staging* staging_ = nullptr;  ///< the staging in progress (it registers itself)
};

}  // namespace ballast::core
