// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The servers and packet caches of the process, and whether the servers run. Not locked:
/// Runtime serialises every use under its configuration lock (running() excepted).
#include <atomic>
#include <memory>
#include <vector>

#include "core/backend.hh"
#include "core/packet_cache.hh"

namespace ballast::core {

class ServerRegistry {
 public:
  const std::vector<std::shared_ptr<Backend>>& list() const { return servers_; }
  /// Appends `b`, started first if the servers run.
  void add(std::shared_ptr<Backend> b);
  /// Takes `b` out of the list (it is not stopped here). False if it was not there.
  bool remove(const std::shared_ptr<Backend>& b);
  /// Puts `fresh` in `old`'s place, started first if the servers run. False if `old` is
  /// not in the list.
  bool replace(const std::shared_ptr<Backend>& old, const std::shared_ptr<Backend>& fresh);
  /// The list a committed staging made.
  void assign(std::vector<std::shared_ptr<Backend>> servers) { servers_ = std::move(servers); }

  void keepCache(std::shared_ptr<PacketCache> c) { caches_.push_back(std::move(c)); }
  const std::vector<std::shared_ptr<PacketCache>>& caches() const { return caches_; }

  void startAll();
  void stopAll();
  bool running() const { return running_.load(); }

 private:
  std::vector<std::shared_ptr<Backend>> servers_;
  std::vector<std::shared_ptr<PacketCache>> caches_;
  std::atomic<bool> running_{false};
};

}  // namespace ballast::core
