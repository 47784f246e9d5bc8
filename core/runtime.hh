// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The live state of the process: the immutable start-up part (binds, buffer sizes), the
/// published runtime snapshot, the server list and the statistics. Configuration code
/// (Lua, console) changes it only through update(), which publishes a new snapshot.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/address.hh"
#include "core/backend.hh"
#include "core/published.hh"
#include "core/runtime_config.hh"
#include "core/stats.hh"
#include "metrics/registry.hh"

namespace ballast::core {

/// What a UDP frontend counts, read by the web API (dnsdist's per-frontend figures).
struct FrontendStats {
  metrics::Counter queries;   ///< datagrams received
  metrics::Counter answered;  ///< answered from the listener itself (cache hits, local)
};

struct LocalBind {
  Address address;
  bool reusePort = false;
  bool tcp = true;                           ///< doTCP: listen on TCP too
  uint32_t maxInFlight = 0;                  ///< TCP queries processed at once (0: one)
  uint64_t maxConcurrentTCPConnections = 0;  ///< 0: unlimited
  /// Shared by the copies of this bind (the listener's and the start-up list's).
  std::shared_ptr<FrontendStats> stats = std::make_shared<FrontendStats>();
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

  /// The command line's --acl netmasks, added to the default ACL before the configuration
  /// runs (so its setACL replaces them and addACL adds to them, as dnsdist), now and before
  /// every reload's run of it. Throws std::invalid_argument for a bad netmask.
  void setInitialAcl(const std::vector<std::string>& netmasks);

  /// Adds a server (and to its pools); started at once if the runtime is running.
  void addServer(std::shared_ptr<Backend> b);
  /// Takes the server out of its pools and stops it. Returns false if it was not there.
  bool removeServer(const std::shared_ptr<Backend>& b);
  /// Puts `fresh` in `old`'s place (same position in the list and its pools, so policies
  /// choose it at the next query) and starts it if running. `old` is neither stopped nor
  /// released here: an embedded resolver's supervisor replaces an instance whose thread is
  /// stuck and cannot be joined. Also applied to a staging in progress on another thread.
  /// False if `old` is not a server.
  bool replaceServer(const std::shared_ptr<Backend>& old, std::shared_ptr<Backend> fresh);
  /// Lets `change` edit a server's pools or weight under the configuration lock, then
  /// rebuilds the pools and publishes them, so policies see the change at the next query.
  void changeServer(const std::function<void()>& change);
  std::vector<std::shared_ptr<Backend>> servers() const;

  /// Keeps a packet cache for the life of the process: pools refer to it by pointer, and a
  /// query in flight may still insert into it after its pool dropped it.
  void keepCache(std::shared_ptr<PacketCache> c);
  std::vector<std::shared_ptr<PacketCache>> caches() const;

  /// Starts every server; later additions start as they come.
  void startServers();
  void stopServers();
  bool running() const { return running_.load(); }

  /// Staging, for console commands: between beginStaging() and commitStaging() or
  /// rollbackStaging(), every change made by the calling thread through update(),
  /// addServer(), removeServer() and changeServer() goes into one staged snapshot that the
  /// query path does not see, and servers() on that thread lists the staged servers.
  /// Commit publishes it once (starting the servers added, stopping those removed);
  /// rollback drops it: servers added are never started, and the attributes servers hold
  /// themselves (admin state, weight, QPS limit, pools), which change in place, are put
  /// back as they were at beginStaging(). Other threads keep seeing the published state.
  /// Configuration changes come from the one Lua state, whose lock serialises them, so
  /// one staging at a time is enough; a second beginStaging() throws std::logic_error.
  void beginStaging();
  void commitStaging();
  void rollbackStaging();
  /// Reload staging: as beginStaging(), but the staged snapshot starts as a fresh
  /// RuntimeConfig with no server and no cache, so that a configuration file run again in
  /// a fresh Lua state builds the desired state from nothing (nothing it makes is started).
  /// Ends with commitReload() or rollbackStaging(); keepCache() is staged too.
  void beginReloadStaging();
  struct ReloadOutcome {
    std::vector<std::shared_ptr<Backend>> kept;       ///< running, still used
    std::vector<std::shared_ptr<Backend>> added;      ///< new, started
    std::vector<std::shared_ptr<Backend>> removed;    ///< drained and stopped
    std::vector<std::shared_ptr<Backend>> discarded;  ///< built by the file, a running one kept
    size_t cachesKept = 0;                            ///< running caches a pool keeps
    uint64_t leftInFlight = 0;  ///< queries the removed servers still held when stopped
  };
  /// Publishes the reload staging: each staged server whose reloadKey matches a running
  /// one's gives way to the running one (which takes the file's pools, weight, QPS limit
  /// and admin state, and keeps its health and queries in flight); the other staged
  /// servers start; running servers left out leave the pools at once and are stopped once
  /// their queries in flight are answered, waiting up to `drain`. A pool whose staged
  /// cache has the same options as the cache it has now keeps the running cache (and its
  /// entries). Dynamic blocks in force and the rings (same size) carry over.
  ReloadOutcome commitReload(std::chrono::milliseconds drain);
  /// The snapshot configuration code should read: the staged one on the staging thread
  /// (so a command sees its own changes), the published one elsewhere.
  std::shared_ptr<const RuntimeConfig> current() const;

 private:
  /// A new snapshot with the pools rebuilt from servers_; the caller holds mutex_.
  void republishPools();

  mutable std::mutex mutex_;  // serialises configuration changes, not the query path
  NetmaskGroup initialAcl_ = defaultAcl();  ///< setInitialAcl
  std::vector<std::shared_ptr<Backend>> servers_;
  std::vector<std::shared_ptr<PacketCache>> caches_;
  std::atomic<bool> running_{false};

  struct ServerAttributes {
    std::shared_ptr<Backend> server;
    Backend::Admin admin;
    int weight;
    double qpsLimit;
    std::vector<std::string> pools;
  };
  struct Staged {
    std::thread::id owner;
    std::shared_ptr<RuntimeConfig> config;
    std::vector<std::shared_ptr<Backend>> servers;
    std::vector<std::shared_ptr<Backend>> added, removed;
    std::vector<ServerAttributes> before;
    bool changed = false;
    bool reload = false;  ///< beginReloadStaging: keepCache() goes to `caches`
    std::vector<std::shared_ptr<PacketCache>> caches;
  };
  /// The staging of the calling thread, or null; the caller holds mutex_.
  Staged* mine() const;
  std::unique_ptr<Staged> staged_;
};

}  // namespace ballast::core
