// SPDX-License-Identifier: GPL-2.0-only
#include "core/runtime.hh"

#include <algorithm>

namespace ballast::core {

Runtime::Runtime() : config(std::make_shared<RuntimeConfig>()) {
  stats.registerIn(registry);
}

void Runtime::update(const std::function<void(RuntimeConfig&)>& change) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<RuntimeConfig>(*config.load());
  change(*next);
  config.publish(std::move(next));
}

void Runtime::addServer(std::shared_ptr<Backend> b) {
  std::lock_guard lock(mutex_);
  if (running_) b->start();
  servers_.push_back(std::move(b));
  republishPools();
}

bool Runtime::removeServer(const std::shared_ptr<Backend>& b) {
  {
    std::lock_guard lock(mutex_);
    auto it = std::find(servers_.begin(), servers_.end(), b);
    if (it == servers_.end()) return false;
    servers_.erase(it);
    republishPools();
  }
  // Stopped outside the lock: stopping joins the responder, which may be waiting for the
  // health checker, which may be waiting for this lock in servers(). Queries still holding
  // an older snapshot keep the backend alive; they are sent but never answered.
  if (running_) b->stop();
  return true;
}

void Runtime::changeServer(const std::function<void()>& change) {
  std::lock_guard lock(mutex_);
  change();
  republishPools();
}

void Runtime::republishPools() {
  auto next = std::make_shared<RuntimeConfig>(*config.load());
  rebuildPools(*next, servers_);
  config.publish(std::move(next));
}

std::vector<std::shared_ptr<Backend>> Runtime::servers() const {
  std::lock_guard lock(mutex_);
  return servers_;
}

void Runtime::startServers() {
  std::lock_guard lock(mutex_);
  for (auto& b : servers_) b->start();
  running_ = true;
}

void Runtime::stopServers() {
  std::lock_guard lock(mutex_);
  for (auto& b : servers_) b->stop();
  running_ = false;
}

void Runtime::keepCache(std::shared_ptr<PacketCache> c) {
  std::lock_guard lock(mutex_);
  caches_.push_back(std::move(c));
}

std::vector<std::shared_ptr<PacketCache>> Runtime::caches() const {
  std::lock_guard lock(mutex_);
  return caches_;
}

}  // namespace ballast::core
