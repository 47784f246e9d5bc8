// SPDX-License-Identifier: GPL-2.0-only
/// ReloadStaging: a configuration file's desired state, applied keeping what did not change.
#include <thread>

#include "core/reload_plan.hh"
#include "core/runtime.hh"
#include "core/snapshots.hh"
#include "core/staging.hh"

namespace ballast::core {

void ReloadStaging::keepCache(std::shared_ptr<PacketCache> c) {
  std::lock_guard lock(rt_.mutex_);
  caches_.push_back(std::move(c));
}

ReloadStaging::Outcome ReloadStaging::publish() {
  std::lock_guard lock(rt_.mutex_);
  close();
  Outcome out;
  const auto& running = rt_.servers_.list();
  auto matches = matchServers(running, servers_);
  std::vector<std::shared_ptr<Backend>> next;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (matches[i]) {
      out.kept.push_back(matches[i]);
      out.discarded.push_back(servers_[i]);
      next.push_back(matches[i]);
    } else {
      out.added.push_back(servers_[i]);
      next.push_back(servers_[i]);
    }
  }
  out.removed = unmatchedServers(running, matches);
  auto cfg = std::make_shared<RuntimeConfig>(*config_);
  std::vector<std::shared_ptr<PacketCache>> fresh;
  out.cachesKept = carryOver(*cfg, *rt_.config.load(), caches_, fresh);
  // Started before they are published: a query must never reach a server without sockets.
  if (rt_.running())
    for (auto& b : out.added) b->start();
  // Only now, when nothing can fail any more, do the kept servers change.
  for (size_t i = 0; i < out.kept.size(); ++i) adoptAttributes(*out.kept[i], *out.discarded[i]);
  rebuildPools(*cfg, next);  // with the kept servers' pools now the file's
  for (auto& c : fresh) rt_.servers_.keepCache(std::move(c));
  rt_.config.publish(std::move(cfg));
  rt_.servers_.assign(std::move(next));
  return out;
}

ReloadStaging::Outcome ReloadStaging::commit(std::chrono::milliseconds drain) {
  Outcome out = publish();
  if (!rt_.running() || out.removed.empty()) return out;
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
  // Stopped outside the lock, as in Runtime::removeServer().
  for (auto& b : out.removed) b->stop();
  return out;
}

}  // namespace ballast::core
