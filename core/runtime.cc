// SPDX-License-Identifier: GPL-2.0-only
#include "core/runtime.hh"

#include "core/delay_queue.hh"

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "core/reload_plan.hh"

namespace ballast::core {

Runtime::Runtime() : config(std::make_shared<RuntimeConfig>()) {
  stats.registerIn(registry);
  registry.add("delayed-responses", delayQueue().delayed,
               "Number of UDP answers held back by DelayAction or DelayResponseAction");
  registry.add("delayed-responses-dropped", delayQueue().dropped,
               "Number of delayed UDP answers dropped because too many were waiting");
}

void Runtime::update(const std::function<void(RuntimeConfig&)>& change) {
  std::lock_guard lock(mutex_);
  if (Staged* s = mine()) {
    auto next = std::make_shared<RuntimeConfig>(*s->config);
    change(*next);
    s->config = std::move(next);
    s->changed = true;
    return;
  }
  auto next = std::make_shared<RuntimeConfig>(*config.load());
  change(*next);
  config.publish(std::move(next));
}

void Runtime::addServer(std::shared_ptr<Backend> b) {
  std::lock_guard lock(mutex_);
  if (Staged* s = mine()) {
    s->added.push_back(b);
    s->servers.push_back(std::move(b));
    republishPools();
    return;
  }
  if (running_) b->start();
  servers_.push_back(std::move(b));
  republishPools();
}

bool Runtime::removeServer(const std::shared_ptr<Backend>& b) {
  {
    std::lock_guard lock(mutex_);
    if (Staged* s = mine()) {
      auto it = std::find(s->servers.begin(), s->servers.end(), b);
      if (it == s->servers.end()) return false;
      s->servers.erase(it);
      auto added = std::find(s->added.begin(), s->added.end(), b);
      if (added != s->added.end())
        s->added.erase(added);  // never started, nothing to stop
      else
        s->removed.push_back(b);
      republishPools();
      return true;
    }
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

bool Runtime::replaceServer(const std::shared_ptr<Backend>& old, std::shared_ptr<Backend> fresh) {
  std::lock_guard lock(mutex_);
  auto it = std::find(servers_.begin(), servers_.end(), old);
  if (it == servers_.end()) return false;
  if (running_) fresh->start();
  *it = fresh;
  if (staged_) {
    // The staging would otherwise publish the old server again on commit.
    auto swap = [&](std::vector<std::shared_ptr<Backend>>& v) {
      std::replace(v.begin(), v.end(), old, fresh);
    };
    swap(staged_->servers);
    swap(staged_->added);
    swap(staged_->removed);
    for (auto& a : staged_->before)
      if (a.server == old) a.server = fresh;
    auto next = std::make_shared<RuntimeConfig>(*staged_->config);
    rebuildPools(*next, staged_->servers);
    staged_->config = std::move(next);
    staged_->changed = true;
  }
  auto next = std::make_shared<RuntimeConfig>(*config.load());
  rebuildPools(*next, servers_);
  config.publish(std::move(next));
  return true;
}

void Runtime::changeServer(const std::function<void()>& change) {
  std::lock_guard lock(mutex_);
  change();
  republishPools();
}

void Runtime::republishPools() {
  if (Staged* s = mine()) {
    auto next = std::make_shared<RuntimeConfig>(*s->config);
    rebuildPools(*next, s->servers);
    s->config = std::move(next);
    s->changed = true;
    return;
  }
  auto next = std::make_shared<RuntimeConfig>(*config.load());
  rebuildPools(*next, servers_);
  config.publish(std::move(next));
}

std::vector<std::shared_ptr<Backend>> Runtime::servers() const {
  std::lock_guard lock(mutex_);
  if (const Staged* s = mine()) return s->servers;
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
  if (Staged* s = mine(); s && s->reload) {
    s->caches.push_back(std::move(c));
    return;
  }
  caches_.push_back(std::move(c));
}

std::vector<std::shared_ptr<PacketCache>> Runtime::caches() const {
  std::lock_guard lock(mutex_);
  return caches_;
}

Runtime::Staged* Runtime::mine() const {
  return staged_ && staged_->owner == std::this_thread::get_id() ? staged_.get() : nullptr;
}

std::shared_ptr<const RuntimeConfig> Runtime::current() const {
  std::lock_guard lock(mutex_);
  if (const Staged* s = mine()) return s->config;
  return config.load();
}

void Runtime::beginStaging() {
  std::lock_guard lock(mutex_);
  if (staged_) throw std::logic_error("a configuration change is already being staged");
  auto s = std::make_unique<Staged>();
  s->owner = std::this_thread::get_id();
  s->config = std::make_shared<RuntimeConfig>(*config.load());
  s->servers = servers_;
  for (const auto& b : servers_)
    s->before.push_back({b, b->admin(), b->weight(), b->qpsLimit(), b->pools()});
  staged_ = std::move(s);
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

void Runtime::beginReloadStaging() {
  std::lock_guard lock(mutex_);
  if (staged_) throw std::logic_error("a configuration change is already being staged");
  auto s = std::make_unique<Staged>();
  s->owner = std::this_thread::get_id();
  s->config = std::make_shared<RuntimeConfig>();
  s->config->acl = initialAcl_;
  s->reload = true;
  staged_ = std::move(s);
}

namespace {

/// Pools whose new cache has the options of the cache the pool has now keep the running
/// one; returns how many did. The new caches that stay go to `fresh`.
size_t keepRunningCaches(RuntimeConfig& next, const RuntimeConfig& old,
                         const std::vector<std::shared_ptr<PacketCache>>& staged,
                         std::vector<std::shared_ptr<PacketCache>>& fresh) {
  std::unordered_map<PacketCache*, PacketCache*> replace;
  std::vector<PacketCache*> used;
  for (const auto& [name, pool] : next.pools) {
    if (!pool->cache || replace.count(pool->cache)) continue;
    const Pool* before = old.findPool(name);
    PacketCache* running = before ? before->cache : nullptr;
    if (!running || std::find(used.begin(), used.end(), running) != used.end()) continue;
    if (!sameCacheOptions(running->options(), pool->cache->options())) continue;
    replace[pool->cache] = running;
    used.push_back(running);
  }
  for (auto& [name, pool] : next.pools) {
    auto it = pool->cache ? replace.find(pool->cache) : replace.end();
    if (it == replace.end()) continue;
    auto copy = std::make_shared<Pool>(*pool);
    copy->cache = it->second;
    pool = std::move(copy);
  }
  for (const auto& c : staged)
    if (!replace.count(c.get())) fresh.push_back(c);
  return used.size();
}

}  // namespace

Runtime::ReloadOutcome Runtime::commitReload(std::chrono::milliseconds drain) {
  ReloadOutcome out;
  {
    std::lock_guard lock(mutex_);
    Staged* mineNow = mine();
    if (!mineNow || !mineNow->reload)
      throw std::logic_error("commitReload() without beginReloadStaging()");
    auto s = std::move(staged_);
    auto matches = matchServers(servers_, s->servers);
    std::vector<std::shared_ptr<Backend>> next;
    for (size_t i = 0; i < s->servers.size(); ++i) {
      if (matches[i]) {
        out.kept.push_back(matches[i]);
        out.discarded.push_back(s->servers[i]);
        next.push_back(matches[i]);
      } else {
        out.added.push_back(s->servers[i]);
        next.push_back(s->servers[i]);
      }
    }
    out.removed = unmatchedServers(servers_, matches);
    auto old = config.load();
    auto cfg = std::make_shared<RuntimeConfig>(*s->config);
    std::vector<std::shared_ptr<PacketCache>> fresh;
    out.cachesKept = keepRunningCaches(*cfg, *old, s->caches, fresh);
    cfg->dynBlocks = old->dynBlocks;
    if (cfg->rings->capacity() == old->rings->capacity() &&
        cfg->rings->shardCount() == old->rings->shardCount())
      cfg->rings = old->rings;
    // Started before they are published: a query must never reach a server without sockets.
    if (running_)
      for (auto& b : out.added) b->start();
    // Only now, when nothing can fail any more, do the kept servers change.
    for (size_t i = 0; i < out.kept.size(); ++i) adoptAttributes(*out.kept[i], *out.discarded[i]);
    rebuildPools(*cfg, next);  // with the kept servers' pools now the file's
    for (auto& c : fresh) caches_.push_back(std::move(c));
    config.publish(std::move(cfg));
    servers_ = std::move(next);
  }
  if (!running_ || out.removed.empty()) return out;
  // A query that read the previous snapshot just before the publish may still be on its
  // way to a removed server: give it a moment, then wait for the answers (bounded).
  auto deadline = std::chrono::steady_clock::now() + drain;
  std::this_thread::sleep_for(std::min(drain, std::chrono::milliseconds(50)));
  for (;;) {
    out.leftInFlight = 0;
    for (const auto& b : out.removed) out.leftInFlight += b->outstanding();
    if (out.leftInFlight == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Stopped outside the lock, as in removeServer().
  for (auto& b : out.removed) b->stop();
  return out;
}

void Runtime::commitStaging() {
  std::vector<std::shared_ptr<Backend>> removed;
  {
    std::lock_guard lock(mutex_);
    if (!mine() || mine()->reload) throw std::logic_error("commitStaging() without beginStaging()");
    auto s = std::move(staged_);
    // Started before they are published: a query must never reach a server without sockets.
    if (running_)
      for (auto& b : s->added) b->start();
    if (s->changed) config.publish(std::move(s->config));
    servers_ = std::move(s->servers);
    removed = std::move(s->removed);
  }
  // Stopped outside the lock, as in removeServer().
  if (running_)
    for (auto& b : removed) b->stop();
}

void Runtime::rollbackStaging() {
  std::lock_guard lock(mutex_);
  if (!mine()) throw std::logic_error("rollbackStaging() without beginStaging()");
  for (auto& a : staged_->before) {
    a.server->setAdmin(a.admin);
    a.server->setWeight(a.weight);
    a.server->setQpsLimit(a.qpsLimit);
    a.server->setPools(std::move(a.pools));
  }
  staged_.reset();
}

}  // namespace ballast::core
