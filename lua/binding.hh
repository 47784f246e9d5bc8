// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Helpers shared by the binding files: reaching the Host from a lua_State, turning C++
/// exceptions into Lua errors (which carry file:line), and reading option tables so that
/// an unknown option is an error naming it, never silently ignored.
#include <lua.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lua/host.hh"

namespace ballast::lua {

/// A configuration mistake; the message is shown after the file:line of the caller.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Host& host(lua_State* L);
void setHost(lua_State* L, Host* h);

using BindingFn = int (*)(lua_State* L, Host& h);

/// Runs a binding; a C++ exception becomes a Lua error with the caller's position.
template <BindingFn F>
int wrap(lua_State* L) {
  std::string message;
  try {
    return F(L, host(L));
  } catch (const std::exception& e) {
    message = e.what();
  }
  lua_pushstring(L, message.c_str());
  message = std::string();  // release before lua_error unwinds
  luaL_where(L, 1);
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

/// Loads a configuration file as a chunk (pushed on the stack) named so that
/// explainLuaError() can put its full path back into messages; returns lua_load's status.
int loadConfigFile(lua_State* L, Host& h, const std::string& path);
/// Rewrites Lua's messages into an operator's terms: full file names, "unknown function".
std::string explainLuaError(const Host& h, std::string message);

struct Binding {
  const char* name;
  lua_CFunction fn;
};
void registerAll(lua_State* L, const Binding* begin, const Binding* end);

/// Throws ConfigError("name cannot be used at runtime!") once the process has started.
void requireConfiguring(const Host& h, const char* name);

std::string checkString(lua_State* L, int idx, const char* fn, const char* what);
bool checkBool(lua_State* L, int idx, const char* fn);
double checkNumber(lua_State* L, int idx, const char* fn, const char* what);
/// A string or an array of strings.
std::vector<std::string> checkStrings(lua_State* L, int idx, const char* fn, const char* what);

/// Reads a table of options. Call done() after the reads: any key not read is an error.
class Options {
 public:
  Options(lua_State* L, int idx, const char* fn);
  std::optional<std::string> string(const char* key);
  std::optional<double> number(const char* key);
  std::optional<int64_t> integer(const char* key, int64_t min, int64_t max);
  std::optional<bool> boolean(const char* key);
  std::optional<std::vector<std::string>> strings(const char* key);
  /// An array of integers, each in [min, max].
  std::optional<std::vector<int64_t>> integers(const char* key, int64_t min, int64_t max);
  /// A table option: true with the table pushed on the stack (the caller pops it).
  bool table(const char* key);
  /// A function option: true with the function pushed on the stack (the caller pops it).
  bool function(const char* key);
  void done();

 private:
  bool push(const char* key);  // pushes the value; false (nothing pushed) when absent
  std::string where(const char* key) const;
  lua_State* L_;
  int idx_;
  const char* fn_;
  std::map<std::string, bool> keys_;  // key -> read
};

}  // namespace ballast::lua
