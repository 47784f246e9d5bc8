// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/maintenance.hh"

#include <fmt/format.h>

#include <chrono>

#include "core/clock.hh"

namespace ballast::daemon {

Maintenance::Maintenance(core::Runtime& rt, lua::LuaConfig& lua)
    : rt_(rt),
      lua_(lua),
      lastPurge_(uint32_t(core::monotonicUsec() / 1000000)),
      lastDynBlockPurge_(lastPurge_) {}

void Maintenance::start() {
  thread_ = std::thread([this] { loop(); });
}

void Maintenance::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Maintenance::loop() {
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    lock.unlock();
    tick();
    lock.lock();
  }
}

void Maintenance::tick() {
  for (const auto& b : rt_.servers()) {
    uint64_t q = b->stats.queries.value(), d = b->stats.drops.value();
    b->stats.qps.set(double(q - b->stats.lastQueries));
    b->stats.dropRate.set(double(d - b->stats.lastDrops));
    b->stats.lastQueries = q;
    b->stats.lastDrops = d;
  }
  purgeCaches();
  purgeDynBlocks();
  std::string error = lua_.callMaintenance();
  if (!error.empty())
    fmt::print(stderr, "Error during execution of maintenance function: {}\n", error);
}

/// Every setCacheCleaningDelay seconds, entries past their stale window leave the caches.
void Maintenance::purgeCaches() {
  auto cfg = rt_.config.load();
  uint32_t now = uint32_t(core::monotonicUsec() / 1000000);
  if (now - lastPurge_ < cfg->settings.cacheCleaningDelaySec) return;
  lastPurge_ = now;
  for (const auto& c : rt_.caches())
    c->purgeExpired(now, cfg->settings.staleCacheEntriesTTL,
                    cfg->settings.cleaningTarget(c->maxEntries()));
}

/// Every setDynBlocksPurgeInterval seconds (not at all when 0), expired dynamic blocks leave
/// the table; a new table is published only when one has expired.
void Maintenance::purgeDynBlocks() {
  uint32_t interval = rt_.config.load()->settings.dynBlocksPurgeIntervalSec;
  int64_t nowUsec = core::monotonicUsec();
  uint32_t now = uint32_t(nowUsec / 1000000);
  if (interval == 0 || now - lastDynBlockPurge_ < interval) return;
  lastDynBlockPurge_ = now;
  if (!rt_.config.load()->dynBlocks->withoutExpired(nowUsec)) return;
  rt_.update([&](core::RuntimeConfig& c) {
    if (auto next = c.dynBlocks->withoutExpired(nowUsec)) c.dynBlocks = std::move(next);
  });
}

}  // namespace ballast::daemon
