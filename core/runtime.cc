// SPDX-License-Identifier: GPL-2.0-only
#include "core/runtime.hh"

#include "core/clock.hh"
#include "core/delay_queue.hh"
#include "core/snapshots.hh"
#include "metrics/process_stats.hh"

namespace ballast::core {

Runtime::Runtime() : config(std::make_shared<RuntimeConfig>()) {
  stats.registerIn(registry);
  registry.add("delayed-responses", delayQueue().delayed,
               "Number of UDP answers held back by DelayAction or DelayResponseAction");
  registry.add("delayed-responses-dropped", delayQueue().dropped,
               "Number of delayed UDP answers dropped because too many were waiting");
  registry.addGauge(
      "dyn-block-nmg-size", [this] { return double(config.load()->dynBlocks->size()); },
      "Number of networks currently dynamically blocked");
  metrics::registerProcessStats(registry, monotonicUsec());
}

Runtime::~Runtime() = default;

void Runtime::update(const std::function<void(RuntimeConfig&)>& change) {
  std::lock_guard lock(mutex_);
  config.publish(editedCopy(*config.load(), change));
}

void Runtime::addServer(std::shared_ptr<Backend> b) {
  std::lock_guard lock(mutex_);
  servers_.add(std::move(b));
  publishPools();
}

bool Runtime::removeServer(const std::shared_ptr<Backend>& b) {
  {
    std::lock_guard lock(mutex_);
    if (!servers_.remove(b)) return false;
    publishPools();
  }
  // Stopped outside the lock: stopping joins the responder, which may be waiting for the
  // health checker, which may be waiting for this lock in servers(). Queries still holding
  // an older snapshot keep the backend alive; they are sent but never answered.
  if (running()) b->stop();
  return true;
}

bool Runtime::replaceServer(const std::shared_ptr<Backend>& old, std::shared_ptr<Backend> fresh) {
  std::lock_guard lock(mutex_);
  if (!servers_.replace(old, fresh)) return false;
  if (staging_) staging_->replace(old, fresh);
  publishPools();
  return true;
}

void Runtime::changeServer(const std::function<void()>& change) {
  std::lock_guard lock(mutex_);
  change();
  publishPools();
}

void Runtime::publishPools() {
  config.publish(withPools(*config.load(), servers_.list()));
}

std::vector<std::shared_ptr<Backend>> Runtime::servers() const {
  std::lock_guard lock(mutex_);
  return servers_.list();
}

void Runtime::startServers() {
  std::lock_guard lock(mutex_);
  servers_.startAll();
}

void Runtime::stopServers() {
  std::lock_guard lock(mutex_);
  servers_.stopAll();
}

void Runtime::keepCache(std::shared_ptr<PacketCache> c) {
  std::lock_guard lock(mutex_);
  servers_.keepCache(std::move(c));
}

void Runtime::setInitialAcl(const std::vector<std::string>& netmasks) {
  NetmaskGroup acl = defaultAcl();
  for (const auto& m : netmasks) acl.add(m);
  {
    std::lock_guard lock(mutex_);
    initialAcl_ = acl;
  }
  update([&](RuntimeConfig& c) { c.acl = acl; });
}

std::vector<std::shared_ptr<PacketCache>> Runtime::caches() const {
  std::lock_guard lock(mutex_);
  return servers_.caches();
}

}  // namespace ballast::core
