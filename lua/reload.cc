// SPDX-License-Identifier: GPL-2.0-only
/// LuaConfig::reload: SIGHUP and reloadConfig(). The file runs again in a fresh Lua state
/// against a reload staging of the runtime (core::ReloadStaging), which builds the desired
/// state from nothing without starting anything; on success its commit() publishes it,
/// keeping what did not change, and the fresh state replaces the old one.
#include <fmt/format.h>

#include <chrono>
#include <set>

#include "backends/resolver/cache_file.hh"
#include "backends/resolver/instance.hh"
#include "core/log.hh"
#include "lua/config.hh"
#include "lua/reload.hh"

namespace ballast::lua {

namespace {

namespace res = backends::resolver;

/// How long a reload waits for the queries in flight on the servers it removes.
constexpr std::chrono::milliseconds kRemovedServerDrain{3000};

/// The resolvers whose instances are among `servers`.
std::set<std::shared_ptr<res::Resolver>> resolversOf(
    const std::vector<std::shared_ptr<core::Backend>>& servers) {
  std::set<std::shared_ptr<res::Resolver>> out;
  for (const auto& b : servers)
    if (auto* inst = dynamic_cast<res::ResolverInstance*>(b.get())) out.insert(inst->resolver());
  return out;
}

/// Statistics and cache files follow the resolvers: those stopped save their cache and
/// leave the statistics, those started join them.
void settleResolvers(Host& h, const core::ReloadStaging::Outcome& out) {
  auto kept = resolversOf(out.kept);
  for (const auto& r : resolversOf(out.removed)) {
    if (kept.count(r)) continue;
    unregisterResolverStats(h.runtime, r->config().name);
    if (r->cacheFile()) r->cacheFile()->stop();  // writes the cache one last time
  }
  for (const auto& r : resolversOf(out.added)) {
    registerResolverStats(h.runtime, r);
    if (r->cacheFile()) {
      r->cacheFile()->start();
      h.process.afterStop.push_back([r] { r->cacheFile()->stop(); });
    }
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

}  // namespace

void LuaConfig::setReloadSource(std::string path, std::function<void(Host&)> afterFile,
                                AdoptProcess adopt) {
  std::lock_guard lock(mutex_);
  reloadPath_ = std::move(path);
  afterFile_ = std::move(afterFile);
  adoptProcess_ = std::move(adopt);
}

std::string LuaConfig::reload() {
  std::lock_guard lock(mutex_);
  return reloadLocked();
}

std::string LuaConfig::runRequestedReload() {
  if (!host_.reloadRequested) return {};
  host_.reloadRequested = false;
  std::string error = reloadLocked();
  if (!error.empty())
    return "Error: reload failed, the running configuration is unchanged: " + error + "\n";
  return fmt::format("Configuration reloaded from {}\n", reloadPath_);
}

std::string LuaConfig::reloadLocked() {
  auto& rt = host_.runtime;
  auto fail = [&](const std::string& why) {
    host_.reloadFailures.inc();
    core::warnLog("ballast: configuration reload failed, nothing changed: {}", why);
    return why;
  };
  if (reloadPath_.empty()) return fail("no configuration file to reload");
  core::StartupConfig startup;  // what this run of the file asks for
  ProcessSettings process;      // the same for the process's services: never started
  Host fresh(rt, process, host_.out);
  fresh.files = host_.files;  // chunk numbers go on from the running ones
  fresh.startupTarget = &startup;
  fresh.reloading = true;
  fresh.withLua = host_.withLua;
  std::unique_ptr<core::ReloadStaging> staging;
  try {
    staging = std::make_unique<core::ReloadStaging>(rt);
  } catch (const std::logic_error&) {
    return fail("another configuration change is in progress");
  }
  fresh.staging = staging.get();
  lua_State* L = nullptr;
  try {
    L = newState(fresh);
    int status = loadConfigFile(L, fresh, reloadPath_);
    if (status == 0) status = lua_pcall(L, 0, 0, 0);
    if (status != 0) {
      const char* msg = lua_tostring(L, -1);
      throw ConfigError(explainLuaError(fresh, msg ? msg : "unknown error"));
    }
    if (afterFile_) afterFile_(fresh);
  } catch (const std::exception& e) {
    std::string why = e.what();
    staging->rollback();
    if (L) lua_close(L);  // nothing the failed run made is referenced elsewhere
    return fail(why);
  }
  std::vector<std::string> restartOnly;
  core::ReloadStaging::Outcome out;
  try {
    out = staging->commit(kRemovedServerDrain);
  } catch (const std::exception& e) {  // a new server that could not start: nothing published
    lua_close(L);
    return fail(e.what());
  }
  settleResolvers(host_, out);
  // The process's services (listeners, console, web, supervisor) take what applies while
  // running; the daemon says what only a restart would change.
  if (adoptProcess_) restartOnly = adoptProcess_(startup, process);
  // The fresh state takes over: maintenance(), console commands, web handlers and the
  // objects the file made (dynamic block groups, Lua rules) live in it.
  retired_.push_back(L_);
  L_ = L;
  setHost(L_, &host_);
  host_.files = fresh.files;
  host_.reloads.inc();
  core::warnLog(
      "ballast: configuration reloaded from {}: {} server(s) kept, {} added, {} removed{}, {} "
      "cache(s) kept",
      reloadPath_, out.kept.size(), out.added.size(), out.removed.size(),
      out.leftInFlight ? fmt::format(" ({} queries in flight cut)", out.leftInFlight) : "",
      out.cachesKept);
  if (!restartOnly.empty())
    core::warnLog(
        "ballast: configuration reload: {} changed in {}; a restart is needed to apply that, "
        "the running listeners are kept",
        join(restartOnly), reloadPath_);
  return {};
}

}  // namespace ballast::lua
