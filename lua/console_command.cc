// SPDX-License-Identifier: GPL-2.0-only
/// LuaConfig::runConsoleCommand: one console command against the live process, its
/// runtime changes staged and published only when it succeeds, its result printed as
/// dnsdist's console prints it.
#include <lua.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "lua/config.hh"

namespace ballast::lua {

namespace {

/// A number as dnsdist prints it: whole numbers without a fraction.
std::string numberText(double d) {
  if (d > -1e15 && d < 1e15 && d == std::floor(d)) return fmt::format("{}", int64_t(d));
  return fmt::format("{}", d);
}

std::string valueText(lua_State* L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      return numberText(lua_tonumber(L, idx));
    case LUA_TSTRING:
      return lua_tostring(L, idx);
    case LUA_TBOOLEAN:
      return lua_toboolean(L, idx) ? "true" : "false";
    default:
      break;
  }
  lua_getglobal(L, "tostring");
  lua_pushvalue(L, idx);
  std::string s = lua_pcall(L, 1, 1, 0) == 0 && lua_isstring(L, -1) ? lua_tostring(L, -1) : "?";
  lua_pop(L, 1);
  return s;
}

/// A table as dnsdist prints a map: {"key": value, ...}, keys sorted.
std::string tableText(lua_State* L, int idx) {
  std::vector<std::pair<std::string, std::string>> items;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    std::string value = valueText(L, -1);
    if (lua_type(L, -1) == LUA_TSTRING) value = "\"" + value + "\"";
    lua_pop(L, 1);
    lua_pushvalue(L, -1);  // tostring on a copy: lua_next needs the key untouched
    std::string key = valueText(L, -1);
    lua_pop(L, 1);
    items.emplace_back(std::move(key), std::move(value));
  }
  std::sort(items.begin(), items.end());
  std::string out = "{";
  for (const auto& [k, v] : items) out += (out.size() > 1 ? ", \"" : "\"") + k + "\": " + v;
  return out + "}";
}

/// The returned value at `idx`: strings and numbers as they are, objects with a
/// getName() method (servers) by name as dnsdist does, tables as maps.
std::string resultText(lua_State* L, int idx) {
  if (lua_isnil(L, idx)) return "";
  if (lua_type(L, idx) == LUA_TTABLE) return tableText(L, idx) + "\n";
  if (lua_type(L, idx) == LUA_TUSERDATA) {
    lua_getfield(L, idx, "getName");
    if (lua_isfunction(L, -1)) {
      lua_pushvalue(L, idx);
      if (lua_pcall(L, 1, 1, 0) == 0 && lua_type(L, -1) == LUA_TSTRING) {
        std::string name = lua_tostring(L, -1);
        lua_pop(L, 1);
        return name + "\n";
      }
    }
    lua_pop(L, 1);
  }
  return valueText(L, idx) + "\n";
}

}  // namespace

void LuaConfig::runStaged(const std::string& line, core::ConsoleStaging& staging,
                          ConsoleReply& reply,
                          const std::function<void(std::string_view)>& append) {
  int top = lua_gettop(L_);
  std::string withReturn = "return " + line;
  int status = luaL_loadbuffer(L_, withReturn.data(), withReturn.size(), "=console");
  if (status == LUA_ERRSYNTAX) {
    lua_pop(L_, 1);
    status = luaL_loadbuffer(L_, line.data(), line.size(), "=console");
  }
  if (status == 0) status = lua_pcall(L_, 0, LUA_MULTRET, 0);
  if (status != 0) {
    const char* msg = lua_tostring(L_, -1);
    std::string error = explainLuaError(host_, msg ? msg : "unknown error");
    staging.rollback();
    reply.failed = true;
    append("Error: " + error + "\n");
  } else {
    if (lua_gettop(L_) > top) append(resultText(L_, top + 1));
    try {
      staging.commit();
    } catch (const std::exception& e) {  // a new server that could not start
      reply.failed = true;
      append(std::string("Error: ") + e.what() + "\n");
    }
  }
  lua_settop(L_, top);
}

LuaConfig::ConsoleReply LuaConfig::runConsoleCommand(const std::string& line, size_t maxOutput) {
  std::lock_guard lock(mutex_);
  ConsoleReply reply;
  bool cut = false;
  auto append = [&](std::string_view s) {
    if (cut) return;
    if (reply.text.size() + s.size() > maxOutput) {
      reply.text.append(s.substr(0, maxOutput - std::min(maxOutput, reply.text.size())));
      cut = true;
      return;
    }
    reply.text.append(s);
  };
  struct RestoreOut {
    Host& h;
    std::function<void(std::string_view)> saved;
    ~RestoreOut() { h.out = std::move(saved); }
  } restore{host_, std::move(host_.out)};
  host_.out = append;
  {
    core::ConsoleStaging staging(host_.runtime);
    struct StagingScope {
      Host& h;
      ~StagingScope() { h.staging = nullptr; }
    } scope{host_};
    host_.staging = &staging;
    runStaged(line, staging, reply, append);
  }
  if (reply.failed) host_.reloadRequested = false;  // the command asking for it failed
  // reloadConfig(): now that the command's own staging is over.
  std::string reloaded = runRequestedReload();
  if (!reloaded.empty()) {
    reply.failed = reply.failed || reloaded.rfind("Error: ", 0) == 0;
    append(reloaded);
  }
  if (cut)
    reply.text +=
        fmt::format("\n[output cut at {} bytes: see setConsoleOutputMaxMsgSize()]\n", maxOutput);
  return reply;
}

std::vector<std::string> LuaConfig::functionNames() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  lua_pushvalue(L_, LUA_GLOBALSINDEX);
  lua_pushnil(L_);
  while (lua_next(L_, -2) != 0) {
    if (lua_type(L_, -2) == LUA_TSTRING && lua_isfunction(L_, -1))
      names.emplace_back(lua_tostring(L_, -2));
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
  // Methods of the objects the bindings hand out (metatables "ballast.*"), for
  // getServer(0):setD<tab>.
  lua_pushnil(L_);
  while (lua_next(L_, LUA_REGISTRYINDEX) != 0) {
    if (lua_type(L_, -2) == LUA_TSTRING && lua_istable(L_, -1) &&
        std::string_view(lua_tostring(L_, -2)).rfind("ballast.", 0) == 0) {
      lua_getfield(L_, -1, "__index");
      if (!lua_istable(L_, -1)) {  // attributes served by a function: methods in __methods
        lua_pop(L_, 1);
        lua_getfield(L_, -1, "__methods");
      }
      if (lua_istable(L_, -1)) {
        lua_pushnil(L_);
        while (lua_next(L_, -2) != 0) {
          if (lua_type(L_, -2) == LUA_TSTRING) names.emplace_back(lua_tostring(L_, -2));
          lua_pop(L_, 1);
        }
      }
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace ballast::lua
