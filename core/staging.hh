// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Stagings: configuration changes collected apart from the published state, then
/// published together (commit) or dropped (rollback). The console makes a ConsoleStaging
/// for each command and a reload a ReloadStaging for its run of the file; both hand it to
/// the Lua bindings as their ConfigTarget, so which changes are staged is decided by the
/// object the caller holds, never by the calling thread. The query path and every other
/// caller of the Runtime keep seeing the published state.
///
/// One staging at a time per Runtime (configuration changes come from the one Lua state,
/// whose lock serialises them): making a second one throws std::logic_error. A staging
/// still open when destroyed is rolled back.
#include <chrono>
#include <memory>
#include <vector>

#include "core/config_target.hh"

namespace ballast::core {

class Runtime;

class Staging : public ConfigTarget {
 public:
  ~Staging() override;
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  void update(const std::function<void(RuntimeConfig&)>& change) override;
  /// Staged: never started unless the staging is committed.
  void addServer(std::shared_ptr<Backend> b) override;
  /// Staged: stopped once the staging is committed.
  bool removeServer(const std::shared_ptr<Backend>& b) override;
  void changeServer(const std::function<void()>& change) override;
  /// The staged list.
  std::vector<std::shared_ptr<Backend>> servers() const override;
  /// Kept by the runtime at once (a console command's new cache stays referenced).
  void keepCache(std::shared_ptr<PacketCache> c) override;
  /// The staged snapshot, with this staging's changes.
  std::shared_ptr<const RuntimeConfig> current() const override;

  /// Drops the changes: servers added are never started, and the attributes servers hold
  /// themselves (admin state, weight, QPS limit, pools), which change in place, are put
  /// back as they were when the staging began. Throws std::logic_error once closed.
  void rollback();
  bool open() const { return open_; }

 protected:
  /// `fromRunning`: the staged state starts as a copy of the running one (and the servers'
  /// attributes are recorded for a rollback); otherwise as an empty RuntimeConfig with no
  /// server.
  Staging(Runtime& rt, bool fromRunning);
  /// Ends the staging; the caller holds the runtime's lock. Throws std::logic_error if it
  /// was already closed.
  void close();
  /// The staged snapshot with its pools rebuilt from the staged servers; caller holds the lock.
  void restagePools();

  Runtime& rt_;
  std::shared_ptr<RuntimeConfig> config_;
  std::vector<std::shared_ptr<Backend>> servers_;
  std::vector<std::shared_ptr<Backend>> added_, removed_;
  bool changed_ = false;

 private:
  friend class Runtime;
  /// Runtime::replaceServer, under its lock: the staging would otherwise publish the old
  /// server again on commit.
  void replace(const std::shared_ptr<Backend>& old, const std::shared_ptr<Backend>& fresh);

  struct ServerAttributes {
    std::shared_ptr<Backend> server;
    Backend::Admin admin;
    int weight;
    double qpsLimit;
    std::vector<std::string> pools;
  };
  std::vector<ServerAttributes> before_;
  bool open_ = true;
};

/// One console command's changes, published as one snapshot at commit.
class ConsoleStaging : public Staging {
 public:
  explicit ConsoleStaging(Runtime& rt) : Staging(rt, true) {}
  /// Publishes the staged snapshot once (nothing when the command only read), starting the
  /// servers added first and stopping those removed after. Throws std::logic_error when
  /// already closed, or what a new server's start() throws (then nothing is published).
  void commit();
};

/// A configuration reload: the file, run again in a fresh Lua state, builds the desired
/// state from nothing here (nothing it makes is started), then commit() applies it.
class ReloadStaging : public Staging {
 public:
  explicit ReloadStaging(Runtime& rt) : Staging(rt, false) {}
  /// Staged too: a cache joins the runtime's at commit, unless a running one is kept.
  void keepCache(std::shared_ptr<PacketCache> c) override;

  struct Outcome {
    std::vector<std::shared_ptr<Backend>> kept;       ///< running, still used
    std::vector<std::shared_ptr<Backend>> added;      ///< new, started
    std::vector<std::shared_ptr<Backend>> removed;    ///< drained and stopped
    std::vector<std::shared_ptr<Backend>> discarded;  ///< built by the file, a running one kept
    size_t cachesKept = 0;                            ///< running caches a pool keeps
    uint64_t leftInFlight = 0;  ///< queries the removed servers still held when stopped
  };
  /// Publishes the staging: each staged server whose reloadKey matches a running one's
  /// gives way to the running one (which takes the file's pools, weight, QPS limit and
  /// admin state, and keeps its health and queries in flight); the other staged servers
  /// start; running servers left out leave the pools at once and are stopped once their
  /// queries in flight are answered, waiting up to `drain`. A pool whose staged cache has
  /// the same options as the cache it has now keeps the running cache (and its entries).
  /// Dynamic blocks in force and the rings (same size) carry over.
  Outcome commit(std::chrono::milliseconds drain);

 private:
  /// Under the runtime's lock: matches, starts, publishes; the removed servers are left
  /// in the outcome for commit() to drain and stop.
  Outcome publish();
  std::vector<std::shared_ptr<PacketCache>> caches_;
};

}  // namespace ballast::core
