// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The process's services, owned by the daemon and configured by Lua through
/// lua::ProcessSettings (each part the configuration interface of its component): the
/// listeners, health checks, maintenance, the control console, the web server and carbon
/// exporters, the resolver supervisor, and the configuration's start and stop hooks.
/// start() and stop() run them in the one order that loses no query.
#include <memory>
#include <string>
#include <vector>

#include "backends/health/health_checker.hh"
#include "backends/resolver/supervisor.hh"
#include "console/server.hh"
#include "core/runtime.hh"
#include "daemon/listeners.hh"
#include "daemon/maintenance.hh"
#include "daemon/options.hh"
#include "lua/config.hh"
#include "lua/process.hh"
#include "web/service.hh"

namespace ballast::daemon {

class Services {
 public:
  Services(core::Runtime& rt, const Options& opts);
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  /// What the configuration fills (lua::Host::process).
  lua::ProcessSettings& settings() { return settings_; }

  /// Binds the listeners and starts the servers, then the listeners, health checks,
  /// maintenance, console, web, the resolver supervisor and the configuration's afterStart
  /// hooks. Throws std::runtime_error with the reason; whatever had started is stopped.
  void start(lua::Host& host, lua::LuaConfig& lua);
  /// Stops taking queries, lets those taken finish (bounded), then stops the rest, the
  /// backends last but the delayed answers and afterStop hooks.
  void stop();
  /// LuaConfig::AdoptProcess: a reload's settings. The console's key, ACL and limits and
  /// the web's settings and handlers apply at once; the first resolvers start the
  /// supervisor. Returns what only a restart applies (binds and start-up sizes first).
  std::vector<std::string> adoptReload(const core::StartupConfig& startup,
                                       lua::ProcessSettings& fresh);

  size_t listenerCount() const { return listeners_.udpCount(); }

 private:
  void startServersAndListeners(lua::Host& host);
  void startOperations(lua::LuaConfig& lua);
  void startConsole(lua::LuaConfig& lua);
  void startSupervisor();
  void stopOperations();

  core::Runtime& rt_;
  const Options& opts_;
  lua::ProcessSettings settings_;
  web::Service web_;
  Listeners listeners_;
  std::unique_ptr<backends::health::HealthChecker> checker_;
  std::unique_ptr<Maintenance> maintenance_;
  std::unique_ptr<console::CommandRunner> commands_;
  std::unique_ptr<console::ConsoleServer> console_;
  std::shared_ptr<backends::resolver::Supervisor> supervisor_;
};

}  // namespace ballast::daemon
