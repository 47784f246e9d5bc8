// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What the Lua bindings act on: the runtime, where output goes, and whether the process is
/// still reading its configuration (some functions only make sense before start-up).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime.hh"
#include "lua/process.hh"

struct lua_State;

namespace ballast::lua {

struct Host {
  Host(core::Runtime& rt, ProcessSettings& p, std::function<void(std::string_view)> output)
      : runtime(rt), process(p), out(std::move(output)) {}
  core::Runtime& runtime;
  /// The process's services as the configuration sets them up (owned by the daemon).
  ProcessSettings& process;
  /// The staging of the console command or reload in progress (core/staging.hh), set by
  /// LuaConfig for the length of its run; null: changes go to the runtime at once.
  core::ConfigTarget* staging = nullptr;
  /// Where the bindings send configuration changes and read the configuration back from.
  core::ConfigTarget& target() { return staging ? *staging : runtime; }
  /// Where show*() and print() write: stdout for the configuration, the connection for
  /// the console.
  std::function<void(std::string_view)> out;
  bool configuring = true;  ///< false once frontends and servers have started
  bool configCheck = false;    ///< --check-config: the file is only checked (inConfigCheck)
  bool clientStartup = false;  ///< ballast -c reads the file for its key (inClientStartup)
  /// Files loaded so far; Lua knows them by index (its chunk names are cut at 60 bytes,
  /// and an operator needs the whole path in an error).
  std::vector<std::string> files;
  /// Runs `fn` on the shared Lua state under its lock, from any thread (web handlers).
  std::function<void(const std::function<void(lua_State*)>&)> withLua;
  /// Where addLocal, setLocal and the UDP sizes go: the runtime's start-up settings, or
  /// during a reload the copy that is compared with them (lua/reload.cc).
  core::StartupConfig* startupTarget = nullptr;
  core::StartupConfig& startup() { return startupTarget ? *startupTarget : runtime.startup; }
  /// True while a reload runs the file in a fresh state: what newResolver and the like
  /// would register for good waits until the reload is committed.
  bool reloading = false;
  /// Set by reloadConfig(); the console command or maintenance() call that asked reloads
  /// once it has finished (it holds the Lua lock and a staging of its own until then).
  bool reloadRequested = false;
  /// Reloads done and refused (config-reloads, config-reload-failures; registered by the
  /// daemon).
  metrics::Counter reloads, reloadFailures;
};

}  // namespace ballast::lua
