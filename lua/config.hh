// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The shared Lua state that reads the configuration (and later serves the console):
/// LuaJIT with dnsdist's functions registered, one lock around every use.
#include <mutex>
#include <string>
#include <vector>

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

  /// What a console command printed and returned, and whether it failed.
  struct ConsoleReply {
    std::string text;
    bool failed = false;
  };
  /// Runs one console command (lua/console_command.cc): as "return <line>" when that
  /// parses, else as is; print() and show*() output and the returned value, printed as
  /// dnsdist prints it, make the text, cut at `maxOutput` bytes. Every change to the
  /// runtime is staged and published only if the command succeeds; a failed command
  /// leaves the runtime as it was and its text ends with "Error: <Lua's message>".
  ConsoleReply runConsoleCommand(const std::string& line, size_t maxOutput);
  /// Names of the global functions and of the methods of ballast's objects, sorted and
  /// unique: the console client's completions.
  std::vector<std::string> functionNames();

 private:
  void runLoaded(int loadStatus);
  std::mutex mutex_;
  Host& host_;
  lua_State* L_;
};

}  // namespace ballast::lua
