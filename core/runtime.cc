// SPDX-License-Identifier: GPL-2.0-only
#include "core/runtime.hh"

#include <algorithm>

namespace ballast::core {

Runtime::Runtime() : config(std::make_shared<RuntimeConfig>()) { stats.registerIn(registry); }

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
  auto next = std::make_shared<RuntimeConfig>(*config.load());
  rebuildPools(*next, servers_);
  config.publish(std::move(next));
}

void Runtime::removeServer(const std::shared_ptr<Backend>& b) {
  std::lock_guard lock(mutex_);
  servers_.erase(std::remove(servers_.begin(), servers_.end(), b), servers_.end());
  auto next = std::make_shared<RuntimeConfig>(*config.load());
  rebuildPools(*next, servers_);
  config.publish(std::move(next));
  if (running_) b->stop();
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

}  // namespace ballast::core
