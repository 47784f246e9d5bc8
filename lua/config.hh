// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The shared Lua state that reads the configuration (and later serves the console):
/// LuaJIT with dnsdist's functions registered, one lock around every use.
#include <mutex>
#include <string>

#include "lua/binding.hh"
#include "lua/host.hh"

struct lua_State;

namespace ballast::lua {

class LuaConfig {
 public:
  explicit LuaConfig(Host& host);
  ~LuaConfig();
  LuaConfig(const LuaConfig&) = delete;
  LuaConfig& operator=(const LuaConfig&) = delete;

  /// Runs a configuration file. Throws ConfigError("FILE:LINE: reason") on any error.
  void loadFile(const std::string& path);
  /// Runs a chunk of Lua (e.g. from the command line); errors as loadFile.
  void run(const std::string& code, const std::string& chunkName);
  /// Calls the global maintenance() if the configuration defined one; returns the error
  /// message if it failed, empty otherwise.
  std::string callMaintenance();

 private:
  void runLoaded(int loadStatus);
  std::mutex mutex_;
  Host& host_;
  lua_State* L_;
};

}  // namespace ballast::lua
