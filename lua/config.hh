// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The shared Lua state that reads the configuration (and later serves the console):
/// LuaJIT with dnsdist's functions registered, one lock around every use.
#include <functional>
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

  /// What the daemon does with the start-up and process settings a reload's run of the
  /// file filled: it adopts what applies while running and returns what only a restart
  /// would apply (named as the functions that set it, for the log). Listening sockets and
  /// start-up sizes always stay as started.
  using AdoptProcess = std::function<std::vector<std::string>(const core::StartupConfig& startup,
                                                              ProcessSettings& fresh)>;
  /// The file reload() runs again, what to apply after it as after the first run (the
  /// command line's overrides, on the reload's Host), and what to do with its process
  /// settings once the runtime's part is committed; set by the daemon once started.
  void setReloadSource(std::string path, std::function<void(Host&)> afterFile,
                       AdoptProcess adopt = nullptr);
  /// SIGHUP and reloadConfig() (lua/reload.cc): runs the file in a fresh Lua state that
  /// builds the desired runtime without starting anything, then publishes it, keeping the
  /// running servers, resolvers and caches that did not change; the fresh state replaces
  /// this one. Any error changes nothing. Returns "" on success, else the reason
  /// ("FILE:LINE: reason"), also logged. Listening sockets are never touched.
  std::string reload();

 private:
  void runLoaded(int loadStatus);
  /// A state with every binding registered, using `h` and this object's lock.
  lua_State* newState(Host& h);
  std::string reloadLocked();
  /// One console command in `staging` (console_command.cc): run, then committed when it
  /// succeeded, rolled back when it failed.
  void runStaged(const std::string& line, core::ConsoleStaging& staging, ConsoleReply& reply,
                 const std::function<void(std::string_view)>& append);
  /// After a console command or maintenance(): the reload reloadConfig() asked for.
  /// Returns what to report ("" when none was asked).
  std::string runRequestedReload();
  std::mutex mutex_;
  Host& host_;
  lua_State* L_;
  /// States replaced by reloads: rules, policies and check functions of snapshots still in
  /// use run in them (under mutex_), so they stay open until this object goes.
  std::vector<lua_State*> retired_;
  std::string reloadPath_;
  std::function<void(Host&)> afterFile_;
  AdoptProcess adoptProcess_;
};

}  // namespace ballast::lua
