// SPDX-License-Identifier: GPL-2.0-only
#include "core/server_registry.hh"

#include <algorithm>

namespace ballast::core {

void ServerRegistry::add(std::shared_ptr<Backend> b) {
  if (running_) b->start();
  servers_.push_back(std::move(b));
}

bool ServerRegistry::remove(const std::shared_ptr<Backend>& b) {
  auto it = std::find(servers_.begin(), servers_.end(), b);
  if (it == servers_.end()) return false;
  servers_.erase(it);
  return true;
}

bool ServerRegistry::replace(const std::shared_ptr<Backend>& old,
                             const std::shared_ptr<Backend>& fresh) {
  auto it = std::find(servers_.begin(), servers_.end(), old);
  if (it == servers_.end()) return false;
  if (running_) fresh->start();
  *it = fresh;
  return true;
}

void ServerRegistry::startAll() {
  for (auto& b : servers_) b->start();
  running_ = true;
}

void ServerRegistry::stopAll() {
  for (auto& b : servers_) b->stop();
  running_ = false;
}

}  // namespace ballast::core
