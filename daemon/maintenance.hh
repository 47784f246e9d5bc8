// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The maintenance thread: once a second, per-server rates, the packet caches' purge (every
/// setCacheCleaningDelay seconds), the purge of expired dynamic blocks (every
/// setDynBlocksPurgeInterval seconds) and the configuration's maintenance() function.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/runtime.hh"
#include "lua/config.hh"

namespace ballast::daemon {

class Maintenance {
 public:
  Maintenance(core::Runtime& rt, lua::LuaConfig& lua);
  ~Maintenance() { stop(); }
  void start();
  void stop();

 private:
  void loop();
  void tick();
  void purgeCaches();
  void purgeDynBlocks();

  core::Runtime& rt_;
  lua::LuaConfig& lua_;
  uint32_t lastPurge_;
  uint32_t lastDynBlockPurge_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace ballast::daemon
