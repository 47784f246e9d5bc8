// SPDX-License-Identifier: GPL-2.0-only
/// Staging (what both kinds share) and ConsoleStaging; ReloadStaging is in reload_staging.cc.
#include "core/staging.hh"

#include <algorithm>
#include <stdexcept>

#include "core/runtime.hh"
#include "core/snapshots.hh"

namespace ballast::core {

Staging::Staging(Runtime& rt, bool fromRunning) : rt_(rt) {
  std::lock_guard lock(rt_.mutex_);
  if (rt_.staging_) throw std::logic_error("a configuration change is already being staged");
  if (fromRunning) {
    config_ = std::make_shared<RuntimeConfig>(*rt_.config.load());
    servers_ = rt_.servers_.list();
    for (const auto& b : servers_)
      before_.push_back({b, b->admin(), b->weight(), b->qpsLimit(), b->pools()});
  } else {
    config_ = std::make_shared<RuntimeConfig>();
    config_->acl = rt_.initialAcl_;  // --acl, as before the file's first run
  }
  rt_.staging_ = this;
}

Staging::~Staging() {
  if (open_) rollback();
}

void Staging::close() {
  if (!open_) throw std::logic_error("this configuration staging is already over");
  open_ = false;
  rt_.staging_ = nullptr;
}

void Staging::update(const std::function<void(RuntimeConfig&)>& change) {
  std::lock_guard lock(rt_.mutex_);
  config_ = editedCopy(*config_, change);
  changed_ = true;
}

void Staging::restagePools() {
  config_ = withPools(*config_, servers_);
  changed_ = true;
}

void Staging::addServer(std::shared_ptr<Backend> b) {
  std::lock_guard lock(rt_.mutex_);
  added_.push_back(b);
  servers_.push_back(std::move(b));
  restagePools();
}

bool Staging::removeServer(const std::shared_ptr<Backend>& b) {
  std::lock_guard lock(rt_.mutex_);
  auto it = std::find(servers_.begin(), servers_.end(), b);
  if (it == servers_.end()) return false;
  servers_.erase(it);
  auto added = std::find(added_.begin(), added_.end(), b);
  if (added != added_.end())
    added_.erase(added);  // never started, nothing to stop
  else
    removed_.push_back(b);
  restagePools();
  return true;
}

void Staging::changeServer(const std::function<void()>& change) {
  std::lock_guard lock(rt_.mutex_);
  change();
  restagePools();
}

std::vector<std::shared_ptr<Backend>> Staging::servers() const {
  std::lock_guard lock(rt_.mutex_);
  return servers_;
}

void Staging::keepCache(std::shared_ptr<PacketCache> c) {
  rt_.keepCache(std::move(c));
}

std::shared_ptr<const RuntimeConfig> Staging::current() const {
  std::lock_guard lock(rt_.mutex_);
  return config_;
}

void Staging::replace(const std::shared_ptr<Backend>& old, const std::shared_ptr<Backend>& fresh) {
  auto swap = [&](std::vector<std::shared_ptr<Backend>>& v) {
    std::replace(v.begin(), v.end(), old, fresh);
  };
  swap(servers_);
  swap(added_);
  swap(removed_);
  for (auto& a : before_)
    if (a.server == old) a.server = fresh;
  restagePools();
}

void Staging::rollback() {
  std::lock_guard lock(rt_.mutex_);
  close();
  for (auto& a : before_) {
    a.server->setAdmin(a.admin);
    a.server->setWeight(a.weight);
    a.server->setQpsLimit(a.qpsLimit);
    a.server->setPools(std::move(a.pools));
  }
}

void ConsoleStaging::commit() {
  std::vector<std::shared_ptr<Backend>> removed;
  {
    std::lock_guard lock(rt_.mutex_);
    close();
    // Started before they are published: a query must never reach a server without sockets.
    if (rt_.running())
      for (auto& b : added_) b->start();
    if (changed_) rt_.config.publish(std::move(config_));
    rt_.servers_.assign(std::move(servers_));
    removed = std::move(removed_);
  }
  // Stopped outside the lock, as in Runtime::removeServer().
  if (rt_.running())
    for (auto& b : removed) b->stop();
}

}  // namespace ballast::core
