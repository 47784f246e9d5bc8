// SPDX-License-Identifier: GPL-2.0-only
/// The control console's settings (controlSocket, setKey, makeKey, the console ACL and
/// limits) and the commands an operator types there beyond configuration: dumpStats,
/// showVersion, shutdown.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "lua/binding.hh"
#include "lua/bindings.hh"

namespace ballast::lua {

namespace {

int controlSocket(lua_State* L, Host& h) {
  requireConfiguring(h, "controlSocket");
  std::string addr = checkString(L, 1, "controlSocket", "the address");
  try {
    core::Address::parse(addr, 5199);  // validate now: the error then has the file and line
  } catch (const std::exception& e) {
    throw ConfigError(std::string("controlSocket: ") + e.what());
  }
  h.process.console.address = addr;
  return 0;
}

int setKey(lua_State* L, Host& h) {
  std::string key = checkString(L, 1, "setKey", "the key");
  if (!console::isValidKey(key))
    throw ConfigError("setKey: the key must be 32 bytes in base64, as makeKey() prints");
  std::lock_guard lock(h.process.console.mutex);
  h.process.console.key = key;
  return 0;
}

int makeKey(lua_State*, Host& h) {
  h.out(fmt::format("setKey(\"{}\")\n", console::newKey()));
  return 0;
}

int testCrypto(lua_State* L, Host& h) {
  std::string message = lua_isnoneornil(L, 1) ? "testStringForCryptoTests"
                                              : checkString(L, 1, "testCrypto", "the message");
  std::string key;
  {
    std::lock_guard lock(h.process.console.mutex);
    key = h.process.console.key;
  }
  h.out(console::testCrypto(key, message));
  return 0;
}

int setConsoleACL(lua_State* L, Host& h) {
  core::NetmaskGroup acl;
  for (const auto& m : checkStrings(L, 1, "setConsoleACL", "the console ACL")) acl.add(m);
  std::lock_guard lock(h.process.console.mutex);
  h.process.console.acl = acl;
  return 0;
}

int addConsoleACL(lua_State* L, Host& h) {
  std::string mask = checkString(L, 1, "addConsoleACL", "the netmask");
  core::NetmaskGroup probe;
  probe.add(mask);
  std::lock_guard lock(h.process.console.mutex);
  h.process.console.acl.add(mask);
  return 0;
}

int showConsoleACL(lua_State*, Host& h) {
  std::string out;
  {
    std::lock_guard lock(h.process.console.mutex);
    for (const auto& m : h.process.console.acl.toStrings()) out += m + "\n";
  }
  h.out(out);
  return 0;
}

int setConsoleConnectionsLogging(lua_State* L, Host& h) {
  bool on = checkBool(L, 1, "setConsoleConnectionsLogging");
  std::lock_guard lock(h.process.console.mutex);
  h.process.console.logConnections = on;
  return 0;
}

size_t checkCount(lua_State* L, const char* fn, double min) {
  double n = checkNumber(L, 1, fn, "the value");
  if (n < min || n > 4294967295.0 || n != std::floor(n))
    throw ConfigError(fmt::format("{}: expects a whole number from {}", fn, min));
  return size_t(n);
}

int setConsoleMaximumConcurrentConnections(lua_State* L, Host& h) {
  size_t n = checkCount(L, "setConsoleMaximumConcurrentConnections", 0);
  std::lock_guard lock(h.process.console.mutex);
  h.process.console.maxConnections = n;
  return 0;
}

int setConsoleOutputMaxMsgSize(lua_State* L, Host& h) {
  size_t n = checkCount(L, "setConsoleOutputMaxMsgSize", 1);
  std::lock_guard lock(h.process.console.mutex);
  h.process.console.outputMaxSize = n;
  return 0;
}

std::string statText(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", int64_t(v));
  return fmt::format("{:.1f}", v);
}

/// dumpStats(): every statistic, by name, in two columns as dnsdist prints them.
int dumpStats(lua_State*, Host& h) {
  auto stats = h.runtime.registry.snapshot();
  std::sort(stats.begin(), stats.end());
  size_t rows = (stats.size() + 1) / 2;
  std::string out;
  for (size_t i = 0; i < rows; ++i) {
    const auto& [ln, lv] = stats[i];
    out += fmt::format("{:<35}\t{:>11}", ln, statText(lv));
    if (i + rows < stats.size()) {
      const auto& [rn, rv] = stats[i + rows];
      out += fmt::format("    {:<35}\t{:>11}", rn, statText(rv));
    }
    out += "\n";
  }
  h.out(out);
  return 0;
}

int showVersion(lua_State*, Host& h) {
  h.out(fmt::format("ballast {}\n", BALLAST_VERSION));
  return 0;
}

/// shutdown(): stops the process as SIGTERM does (main waits for that signal).
int shutdownProcess(lua_State*, Host& h) {
  if (h.configuring) throw ConfigError("shutdown: only from the console, once started");
  kill(getpid(), SIGTERM);
  return 0;
}

/// reloadConfig(): what SIGHUP does (LuaConfig::reload). It runs once the calling console
/// command (or maintenance()) has finished, since that holds the Lua state and a staging
/// of its own; the console shows the outcome, the error with file and line if any.
int reloadConfig(lua_State*, Host& h) {
  if (h.configuring) throw ConfigError("reloadConfig: only once running");
  h.reloadRequested = true;
  return 0;
}

}  // namespace

void registerConsoleBindings(lua_State* L) {
  static const Binding b[] = {
      {"controlSocket", wrap<controlSocket>},
      {"setKey", wrap<setKey>},
      {"makeKey", wrap<makeKey>},
      {"testCrypto", wrap<testCrypto>},
      {"setConsoleACL", wrap<setConsoleACL>},
      {"addConsoleACL", wrap<addConsoleACL>},
      {"showConsoleACL", wrap<showConsoleACL>},
      {"setConsoleConnectionsLogging", wrap<setConsoleConnectionsLogging>},
      {"setConsoleMaximumConcurrentConnections", wrap<setConsoleMaximumConcurrentConnections>},
      {"setConsoleOutputMaxMsgSize", wrap<setConsoleOutputMaxMsgSize>},
      {"dumpStats", wrap<dumpStats>},
      {"showVersion", wrap<showVersion>},
      {"shutdown", wrap<shutdownProcess>},
      {"reloadConfig", wrap<reloadConfig>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
