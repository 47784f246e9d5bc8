// SPDX-License-Identifier: GPL-2.0-only
/// Runtime settings (declared once, in kBoolSettings), statistics, includeDirectory and
/// setSecurityPollSuffix.
#include <dirent.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "core/log.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/rule_types.hh"
#include "metrics/latency.hh"
#include "web/web_config.hh"

namespace ballast::lua {

namespace {

/// Boolean runtime settings: each Lua function sets one field of core::Settings.
struct BoolSetting {
  const char* name;
  bool core::Settings::*field;
};
constexpr BoolSetting kBoolSettings[] = {
    {"setServFailWhenNoServer", &core::Settings::servFailWhenNoServer},
    {"truncateTC", &core::Settings::truncateTC},
    {"fixupCase", &core::Settings::fixupCase},
    {"setAllowEmptyResponse", &core::Settings::allowEmptyResponse},
    {"setDropEmptyQueries", &core::Settings::dropEmptyQueries},
    {"setAddEDNSToSelfGeneratedResponses", &core::Settings::addEDNSToSelfGenerated},
    {"setProxyProtocolApplyACL", &core::Settings::proxyProtocolApplyACL},
    // The name dnsdist's own text for setProxyProtocolACL (and its later versions) uses.
    {"setProxyProtocolApplyACLToProxiedClients", &core::Settings::proxyProtocolApplyACL},
};

int setBool(lua_State* L) {
  const auto& s = kBoolSettings[lua_tointeger(L, lua_upvalueindex(1))];
  std::string error;
  try {
    bool v = checkBool(L, 1, s.name);
    host(L).target().update([&](core::RuntimeConfig& c) { c.settings.*s.field = v; });
    return 0;
  } catch (const std::exception& e) {
    error = e.what();
  }
  return luaL_error(L, "%s", error.c_str());
}

int setUDPTimeout(lua_State* L, Host& h) {
  double seconds = checkNumber(L, 1, "setUDPTimeout", "the timeout");
  if (seconds <= 0 || seconds > 3600)
    throw ConfigError("setUDPTimeout: must be more than 0 and at most 3600 seconds");
  h.target().update(
      [&](core::RuntimeConfig& c) { c.settings.udpTimeoutMs = uint32_t(seconds * 1000); });
  return 0;
}

int setPayloadSizeOnSelfGeneratedAnswers(lua_State* L, Host& h) {
  int64_t size =
      checkInteger(L, 1, "setPayloadSizeOnSelfGeneratedAnswers", "the payload size", 0, 65535);
  // As RFC 6891 says of values below 512, and dnsdist with it.
  h.runtime.update([&](core::RuntimeConfig& c) {
    c.settings.payloadSizeSelfGenerated = uint16_t(std::max<int64_t>(size, 512));
  });
  return 0;
}

int setProxyProtocolMaximumPayloadSize(lua_State* L, Host& h) {
  int64_t size = checkInteger(L, 1, "setProxyProtocolMaximumPayloadSize", "the size", 0, 65551);
  // Below 16 not even the fixed part of a header would fit: dnsdist raises it to 16.
  h.target().update([&](core::RuntimeConfig& c) {
    c.settings.proxyProtocolMaxSize = uint32_t(std::max<int64_t>(size, 16));
  });
  return 0;
}

/// errlog, warnlog, infolog: one line from the configuration, on stderr (errors and
/// warnings) or stdout, where ballast writes its own.
template <int Level>
int logLine(lua_State* L, Host&) {
  static constexpr const char* kNames[] = {"errlog", "warnlog", "infolog"};
  std::string line = checkString(L, 1, kNames[Level], "the line");
  fmt::print(Level < 2 ? stderr : stdout, "{}\n", line);
  fflush(Level < 2 ? stderr : stdout);
  return 0;
}

int setSecurityPollSuffix(lua_State* L, Host&) {
  std::string suffix = checkString(L, 1, "setSecurityPollSuffix", "the suffix");
  if (!suffix.empty())
    throw ConfigError(
        "setSecurityPollSuffix: ballast does no security polling; only \"\" (off) is accepted");
  return 0;
}

/// setSecurityPollInterval(seconds): ballast does no security polling (setSecurityPollSuffix
/// takes only ""), which is dnsdist with polling off, where the interval times nothing. The
/// value is still checked, and dnsdist's message for one below 1 kept.
int setSecurityPollInterval(lua_State* L, Host& h) {
  int64_t n = checkInteger(L, 1, "setSecurityPollInterval", "the interval", INT32_MIN, INT32_MAX);
  if (n <= 0) h.out("setSecurityPollInterval() should be > 0, skipping\n");
  return 0;
}

/// setVerboseHealthChecks(bool): each failed health check (invalid answer, timeout) is
/// logged on stderr, beside the up/down changes always logged.
int setVerboseHealthChecks(lua_State* L, Host&) {
  core::verboseHealthChecks() = checkBool(L, 1, "setVerboseHealthChecks");
  return 0;
}

/// setUDPMultipleMessagesVectorSize(n): how many datagrams a UDP listener's recvmmsg takes
/// at once (1: one at a time, as dnsdist's default; above 64, 64). Configuration time.
int setUDPMultipleMessagesVectorSize(lua_State* L, Host& h) {
  requireConfiguring(h, "setUDPMultipleMessagesVectorSize");
  int64_t n = checkInteger(L, 1, "setUDPMultipleMessagesVectorSize", "the vector size", 0, 1 << 20);
  h.startup().udpVectorSize = uint32_t(std::clamp<int64_t>(n, 1, 64));
  return 0;
}

int inClientStartup(lua_State* L, Host& h) {
  lua_pushboolean(L, h.clientStartup);
  return 1;
}

int inConfigCheck(lua_State* L, Host& h) {
  lua_pushboolean(L, h.configCheck);
  return 1;
}

/// showResponseLatency(): the average and the histogram of the backends' response times
/// (dnsdist's latency buckets).
int showResponseLatency(lua_State*, Host& h) {
  const auto& lat = h.runtime.stats.latency;
  static constexpr const char* kLabels[] = {"< 1 ms",   "< 10 ms",   "< 50 ms",
                                            "< 100 ms", "< 1000 ms", ">= 1000 ms"};
  uint64_t total = 0;
  for (size_t i = 0; i < metrics::LatencyStats::kBuckets; ++i) total += lat.bucket(i);
  std::string out =
      fmt::format("Average response latency: {:.2f} ms\n",
                  lat.count() ? double(lat.sumUsec()) / double(lat.count()) / 1000 : 0.0);
  out += fmt::format("{:>10} {:>12} {:>7}\n", "latency", "responses", "share");
  for (size_t i = 0; i < metrics::LatencyStats::kBuckets; ++i) {
    double share = total ? 100.0 * double(lat.bucket(i)) / double(total) : 0.0;
    out += fmt::format("{:>10} {:>12} {:>6.2f}% {}\n", kLabels[i], lat.bucket(i), share,
                       std::string(size_t(share / 2), '*'));
  }
  h.out(out);
  return 0;
}

/// showWebserverConfig(): the web server's settings as dnsdist lists them (secrets as
/// set/unset only).
int showWebserverConfig(lua_State*, Host& h) {
  auto c = h.process.web.config();
  std::string acl;
  for (const auto& m : c->acl.toStrings()) acl += (acl.empty() ? "" : ", ") + m;
  std::string out = "Current web server configuration:\nACL: " + acl + "\nCustom headers: ";
  if (c->customHeaders.empty())
    out += "None\n";
  else {
    out += "\n";
    for (const auto& [k, v] : c->customHeaders) out += fmt::format(" - {}: {}\n", k, v);
  }
  out += fmt::format("Statistics require authentication: {}\n",
                     c->statsRequireAuthentication ? "yes" : "no");
  out += fmt::format("Password: {}\n", c->password.empty() ? "unset" : "set");
  out += fmt::format("API key: {}\n", c->apiKey.empty() ? "unset" : "set");
  out += fmt::format("API writable: {}\n", c->apiWritable ? "yes" : "no");
  out += fmt::format("Maximum concurrent connections: {}\n", c->maxConcurrentConnections);
  h.out(out);
  return 0;
}

int getStatisticsCounters(lua_State* L, Host& h) {
  auto stats = h.runtime.registry.snapshot();
  lua_createtable(L, 0, int(stats.size()));
  for (const auto& [name, value] : stats) {
    lua_pushnumber(L, value);
    lua_setfield(L, -2, name.c_str());
  }
  return 1;
}

int includeDirectory(lua_State* L, Host& h) {
  requireConfiguring(h, "includeDirectory");
  std::string dir = checkString(L, 1, "includeDirectory", "the directory");
  DIR* d = opendir(dir.c_str());
  if (!d) throw ConfigError("includeDirectory: cannot open '" + dir + "'");
  std::vector<std::string> files;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".conf") == 0 && name[0] != '.')
      files.push_back(dir + "/" + name);
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    // Errors keep the included file's own name and line.
    if (loadConfigFile(L, h, f) != 0) return lua_error(L);
    lua_call(L, 0, 0);
  }
  return 0;
}

}  // namespace

void registerSettingBindings(lua_State* L) {
  for (size_t i = 0; i < std::size(kBoolSettings); ++i) {
    lua_pushinteger(L, lua_Integer(i));
    lua_pushcclosure(L, setBool, 1);
    lua_setglobal(L, kBoolSettings[i].name);
  }
  static const Binding b[] = {
      {"setUDPTimeout", wrap<setUDPTimeout>},
      {"setPayloadSizeOnSelfGeneratedAnswers", wrap<setPayloadSizeOnSelfGeneratedAnswers>},
      {"setSecurityPollSuffix", wrap<setSecurityPollSuffix>},
      {"setSecurityPollInterval", wrap<setSecurityPollInterval>},
      {"inClientStartup", wrap<inClientStartup>},
      {"setUDPMultipleMessagesVectorSize", wrap<setUDPMultipleMessagesVectorSize>},
      {"setVerboseHealthChecks", wrap<setVerboseHealthChecks>},
      {"inConfigCheck", wrap<inConfigCheck>},
      {"showResponseLatency", wrap<showResponseLatency>},
      {"showWebserverConfig", wrap<showWebserverConfig>},
      {"setProxyProtocolMaximumPayloadSize", wrap<setProxyProtocolMaximumPayloadSize>},
      {"errlog", wrap<logLine<0>>},
      {"warnlog", wrap<logLine<1>>},
      {"infolog", wrap<logLine<2>>},
      {"getStatisticsCounters", wrap<getStatisticsCounters>},
      {"includeDirectory", wrap<includeDirectory>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
