// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What a configuration file sets up in the process beyond core::Runtime. Each part is the
/// configuration interface of the component that owns it (plain settings, no service):
/// the daemon owns one ProcessSettings (daemon::Services) and starts its services from it
/// (listeners, web and carbon, console, the resolver supervisor, the start and stop hooks).
/// A reload fills a fresh one; the daemon adopts from it what applies while running
/// (LuaConfig::setReloadSource).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "backends/resolver/supervision.hh"
#include "console/settings.hh"
#include "frontend/tcp_config.hh"
#include "web/settings.hh"

namespace ballast::lua {

struct ProcessSettings {
  /// addTLSLocal, addDOHLocal and the setMaxTCP* settings (bind_tcp, bind_doh). The plain
  /// TCP binds are addLocal's (core::StartupConfig::locals), made by the daemon at start.
  frontend::StreamConfig stream;
  console::Settings console;  ///< controlSocket, setKey, the console's ACL and limits
  web::Settings web;          ///< webserver, setWebserverConfig, registerWebHandler, carbonServer
  /// Set by the first newResolver (and setResolverSupervision): the daemon then runs the
  /// one resolver supervisor with these settings.
  std::optional<backends::resolver::SupervisionSettings> supervision;
  /// Run by the daemon once everything has started, and once the backends have stopped on
  /// the way out (the resolvers' cache files).
  std::vector<std::function<void()>> afterStart, afterStop;
  /// The running TCP workers' connection counts, for showTCPStats; set by the daemon once
  /// they run.
  std::function<std::vector<int64_t>()> tcpConnectionsPerThread;
};

}  // namespace ballast::lua
