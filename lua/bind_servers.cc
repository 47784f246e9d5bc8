// SPDX-License-Identifier: GPL-2.0-only
/// newServer, showServers, policies and the server objects newServer returns.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <random>

#include "backends/remote/remote_backend.hh"
#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/check_function.hh"
#include "lua/reload.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

const char kServerMeta[] = "ballast.Server";
const char kPolicyMeta[] = "ballast.ServerPolicy";

using ServerRef = std::shared_ptr<core::Backend>;
using PolicyRef = std::shared_ptr<const core::Policy>;

void pushServer(lua_State* L, ServerRef b) {
  pushUserdata(L, kServerMeta, std::move(b));
}

core::Backend& checkServer(lua_State* L, int idx) {
  return *checkUserdata<ServerRef>(L, idx, kServerMeta);
}

std::string lowered(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

/// newServer's lazy health-check options (dnsdist 1.8's names and defaults).
void readLazyHealthCheck(Options& o, core::HealthCheckConfig& c) {
  c.lazySampleSize = size_t(o.integer("lazyHealthCheckSampleSize", 1, 1000000).value_or(100));
  c.lazyMinSampleCount = size_t(o.integer("lazyHealthCheckMinSampleCount", 0, 1000000).value_or(1));
  c.lazyThreshold = int(o.integer("lazyHealthCheckThreshold", 0, 100).value_or(20));
  c.lazyFailedIntervalSec = o.integer("lazyHealthCheckFailedInterval", 1, 86400).value_or(30);
  c.lazyBackOff = o.boolean("lazyHealthCheckUseExponentialBackOff").value_or(false);
  c.lazyMaxBackOffSec = o.integer("lazyHealthCheckMaxBackOff", 1, 86400 * 365).value_or(3600);
  std::string mode = lowered(o.string("lazyHealthCheckMode").value_or("TimeoutOrServFail"));
  if (mode == "timeoutonly") {
    c.lazyTimeoutOnly = true;
  } else if (mode != "timeoutorservfail") {
    throw ConfigError(fmt::format(
        "newServer: unknown lazyHealthCheckMode '{}' (TimeoutOrServFail or TimeoutOnly)", mode));
  }
}

/// newServer's health-check options (dnsdist's names).
void readHealthCheck(Options& o, core::HealthCheckConfig& c, core::Backend::Admin& admin) {
  if (auto name = o.string("checkName")) {
    try {
      c.checkName = dns::Name::fromString(*name);
    } catch (const std::exception& e) {
      throw ConfigError(
          fmt::format("newServer: checkName '{}' is not a valid name: {}", *name, e.what()));
    }
  }
  if (auto type = o.string("checkType")) {
    auto t = dns::qtypeFromString(*type);
    if (!t) throw ConfigError(fmt::format("newServer: unknown checkType '{}'", *type));
    c.checkType = *t;
  }
  c.checkClass = uint16_t(o.integer("checkClass", 0, 65535).value_or(1));
  c.intervalSec = o.integer("checkInterval", 1, 86400).value_or(1);
  c.timeoutMs = o.integer("checkTimeout", 1, 3600000).value_or(1000);
  c.maxCheckFailures = int(o.integer("maxCheckFailures", 1, 1000000).value_or(1));
  c.rise = int(o.integer("rise", 1, 1000000).value_or(1));
  c.mustResolve = o.boolean("mustResolve").value_or(false);
  c.setCD = o.boolean("setCD").value_or(false);
  c.useRD = o.boolean("useRD").value_or(true);
  readLazyHealthCheck(o, c);
  std::string mode = lowered(o.string("healthCheckMode").value_or("auto"));
  if (mode == "auto") {
    admin = core::Backend::Admin::Auto;
  } else if (mode == "up") {
    admin = core::Backend::Admin::Up;
  } else if (mode == "down") {
    admin = core::Backend::Admin::Down;
  } else if (mode == "lazy") {
    admin = core::Backend::Admin::Auto;
    c.lazy = true;
  } else {
    throw ConfigError(
        fmt::format("newServer: unknown healthCheckMode '{}' (auto, lazy, up or down)", mode));
  }
}

/// newServer's encrypted transport (dnsdist 1.7's names): DoT with `tls`, DoH with `dohPath`
/// too. Returns the default port for the address: 853 for DoT, 443 for DoH, else 53.
uint16_t readTransport(Options& o, backends::remote::RemoteConfig& cfg) {
  auto provider = o.string("tls");
  tls::ClientConfig t;
  t.subjectName = o.string("subjectName").value_or("");
  t.subjectAddr = o.string("subjectAddr").value_or("");
  t.caStore = o.string("caStore").value_or("");
  t.validateCertificates = o.boolean("validateCertificates").value_or(true);
  t.ciphers = o.string("ciphers").value_or("");
  // dnsdist's documentation spells it both ways.
  t.ciphersTLS13 = o.string("ciphersTLS13").value_or(o.string("ciphers13").value_or(""));
  t.releaseBuffers = o.boolean("releaseBuffers").value_or(true);
  t.enableRenegotiation = o.boolean("enableRenegotiation").value_or(false);
  std::string dohPath = o.string("dohPath").value_or("");
  bool xForwarded = o.boolean("addXForwardedHeaders").value_or(false);
  if (!provider || provider->empty()) {
    if (!dohPath.empty())
      throw ConfigError("newServer: dohPath needs tls=\"openssl\" (DNS over HTTPS runs over TLS)");
    return 53;
  }
  if (*provider == "gnutls")
    throw ConfigError(
        "newServer: tls=\"gnutls\" is not available, ballast is built with OpenSSL only "
        "(use tls=\"openssl\")");
  if (*provider != "openssl")
    throw ConfigError(fmt::format("newServer: unknown tls provider '{}' (openssl)", *provider));
  t.provider = *provider;
  if (!dohPath.empty()) {
    if (dohPath[0] != '/')
      throw ConfigError(fmt::format("newServer: dohPath '{}' must start with '/'", dohPath));
    t.alpn = {2, 'h', '2'};
  } else {
    t.alpn = {3, 'd', 'o', 't'};
  }
  try {
    cfg.transport.tls = std::make_shared<tls::ClientContext>(std::move(t));
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("newServer: {}", e.what()));
  }
  cfg.transport.dohPath = dohPath;
  cfg.transport.addXForwardedHeaders = xForwarded;
  cfg.tcpOnly = true;
  return dohPath.empty() ? 853 : 443;
}

/// 8-4-4-4-12 hexadecimal digits, as dnsdist accepts for newServer's id.
bool isUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

/// A random (version 4) UUID, what a server without an id gets.
std::string randomUuid() {
  std::random_device rd;
  uint8_t b[16];
  for (auto& x : b) x = uint8_t(rd());
  b[6] = uint8_t((b[6] & 0x0f) | 0x40);
  b[8] = uint8_t((b[8] & 0x3f) | 0x80);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

int newServer(lua_State* L, Host& h) {
  // Pools, weight and QPS limit change in place on a running server; the rest makes it
  // another server for a reload (core/reload_plan).
  std::string key;
  if (lua_type(L, 1) == LUA_TTABLE) {
    std::string options = optionsKey(L, 1, {"pool", "weight", "qps"});
    if (!options.empty()) key = "server " + options;
  }
  backends::remote::RemoteConfig cfg;
  core::HealthCheckConfig check;
  core::Backend::Admin admin = core::Backend::Admin::Auto;
  bool useClientSubnet = false, disableZeroScope = false;
  uint16_t xpfRRCode = 0;
  std::string uuid;
  if (lua_type(L, 1) == LUA_TSTRING) {
    cfg.address = core::Address::parse(lua_tostring(L, 1));
  } else if (lua_type(L, 1) == LUA_TTABLE) {
    Options o(L, 1, "newServer");
    auto address = o.string("address");
    if (!address) throw ConfigError("newServer: option 'address' is required");
    cfg.address = core::Address::parse(*address, readTransport(o, cfg));
    if (cfg.transport.tls) {
      const std::string& name = cfg.transport.tls->config().subjectName;
      cfg.transport.dohAuthority = name.empty() ? cfg.address.toStringWithPort() : name;
    }
    cfg.name = o.string("name").value_or("");
    if (auto pools = o.strings("pool")) cfg.pools = *pools;
    // As dnsdist: a weight that is no whole number from 1 is logged and the server is left
    // out, the rest of the configuration going on.
    bool badWeight = false;
    if (auto w = o.number("weight")) {
      if (std::floor(*w) != *w || *w < 1 || *w > 2147483647)
        badWeight = true;
      else
        cfg.weight = int(*w);
    }
    cfg.order = int(o.integer("order", 0, 2147483647).value_or(1));
    cfg.sockets = size_t(o.integer("sockets", 1, 1024).value_or(1));
    cfg.qps = o.number("qps").value_or(0);
    cfg.maxConcurrentTCPConnections =
        size_t(o.integer("maxConcurrentTCPConnections", 0, 100000).value_or(0));
    cfg.useProxyProtocol = o.boolean("useProxyProtocol").value_or(false);
    if (o.boolean("tcpOnly").value_or(false)) cfg.tcpOnly = true;
    cfg.checkTCP = o.boolean("checkTCP").value_or(false);
    useClientSubnet = o.boolean("useClientSubnet").value_or(false);
    disableZeroScope = o.boolean("disableZeroScope").value_or(false);
    xpfRRCode = uint16_t(o.integer("addXPF", 0, 65535).value_or(0));
    uuid = o.string("id").value_or("");
    if (!uuid.empty() && !isUuid(uuid))
      throw ConfigError(fmt::format("newServer: id '{}' is not a UUID", uuid));
    if (auto s = o.string("source")) {
      try {
        cfg.source = core::OutgoingSource::parse(*s);
      } catch (const std::exception& e) {
        throw ConfigError(std::string("newServer: ") + e.what());
      }
    }
    cfg.ipBindAddrNoPort = o.boolean("ipBindAddrNoPort").value_or(true);
    cfg.tcpFastOpen = o.boolean("tcpFastOpen").value_or(false);
    cfg.reconnectOnUp = o.boolean("reconnectOnUp").value_or(false);
    cfg.tcp.retries = int(o.integer("retries", 0, 1000).value_or(0));
    cfg.tcp.connectTimeoutMs = int(o.integer("tcpConnectTimeout", 0, 86400).value_or(0) * 1000);
    cfg.tcp.sendTimeoutMs = int(o.integer("tcpSendTimeout", 0, 86400).value_or(0) * 1000);
    cfg.tcp.recvTimeoutMs = int(o.integer("tcpRecvTimeout", 0, 86400).value_or(0) * 1000);
    cfg.tcp.maxInFlight = size_t(o.integer("maxInFlight", 0, 65535).value_or(0));
    if (cfg.useProxyProtocol && cfg.transport.tls)
      throw ConfigError(
          "newServer: useProxyProtocol with tls is not supported yet (the header would have to "
          "go before the TLS handshake)");
    readHealthCheck(o, check, admin);
    if (o.function("checkFunction")) check.checkFunction = makeCheckFunction(L, h);
    o.done();
    if (badWeight) {
      fmt::print(stderr,
                 "Error creating new server {}: downstream weight value must be a whole number "
                 "from 1 to 2147483647; the server is not added\n",
                 cfg.address.toStringWithPort());
      return 0;
    }
  } else {
    throw ConfigError("newServer: expects an address or a table of options");
  }
  if (cfg.pools.size() == 1 && cfg.pools[0].empty()) cfg.pools.clear();
  auto b = std::make_shared<backends::remote::RemoteBackend>(cfg, h.runtime);
  b->healthCheck = check;
  b->useClientSubnet = useClientSubnet;
  b->disableZeroScope = disableZeroScope;
  b->xpfRRCode = xpfRRCode;
  if (check.lazy) b->lazySamples.resize(check.lazySampleSize);
  b->setAdmin(admin);
  b->uuid = uuid.empty() ? randomUuid() : uuid;
  b->reloadKey = lua_type(L, 1) == LUA_TSTRING ? "server " + cfg.address.toStringWithPort() : key;
  h.target().addServer(b);
  pushServer(L, b);
  return 1;
}

std::string stateOf(const core::Backend& b) {
  switch (b.admin()) {
    case core::Backend::Admin::Up:
      return "UP";
    case core::Backend::Admin::Down:
      return "DOWN";
    default:
      return b.healthy() ? "up" : "down";
  }
}

std::string joinPools(const std::vector<std::string>& pools) {
  std::string s;
  for (const auto& p : pools) s += (s.empty() ? "" : " ") + p;
  return s;
}

/// showServers([{showUUIDs=true}]): dnsdist's table, with a UUID column when asked.
int showServers(lua_State* L, Host& h) {
  bool uuids = false;
  if (!lua_isnoneornil(L, 1)) {
    Options o(L, 1, "showServers");
    uuids = o.boolean("showUUIDs").value_or(false);
    o.done();
  }
  constexpr auto kRow =  // after the number and the UUID
      "{:<20.20} {:<29} {:>5} {:>7.1f} {:>7} {:>3} {:>3} {:>10} {:>7} {:>5.1f} {:>5.1f} {:>11} "
      "{}\n";
  std::string out = fmt::format(
      "{:<3} {}{:<20} {:<29} {:>5} {:>7} {:>7} {:>3} {:>3} {:>10} {:>7} {:>5} {:>5} {:>11} {}\n",
      "#", uuids ? fmt::format("{:<36} ", "UUID") : "", "Name", "Address", "State", "Qps", "Qlim",
      "Ord", "Wt", "Queries", "Drops", "Drate", "Lat", "Outstanding", "Pools");
  size_t n = 0;
  for (const auto& b : h.target().servers()) {
    out += fmt::format("{:<3} ", n++);
    if (uuids) out += fmt::format("{:<36} ", b->uuid);
    out +=
        fmt::format(kRow, b->name(), b->addressString(), stateOf(*b), b->stats.qps.value(),
                    uint64_t(b->qpsLimit()), b->order(), b->weight(), b->stats.queries.value(),
                    b->stats.drops.value(), b->stats.dropRate.value(),
                    b->stats.latencyUsec.value() / 1000.0, b->outstanding(), joinPools(b->pools()));
  }
  h.out(out);
  return 0;
}

int serverGetName(lua_State* L, Host&) {
  lua_pushstring(L, checkServer(L, 1).name().c_str());
  return 1;
}

/// getLatency(): the average latency in microseconds, as dnsdist 1.7 returns it.
int serverGetLatency(lua_State* L, Host&) {
  lua_pushnumber(L, double(checkServer(L, 1).stats.latencyUsec.value()));
  return 1;
}

int serverGetDrops(lua_State* L, Host&) {
  lua_pushinteger(L, lua_Integer(checkServer(L, 1).stats.drops.value()));
  return 1;
}

/// The attributes dnsdist's Server has beside its methods: name, upStatus, order, weight.
int serverIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));  // a method
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  auto& b = **static_cast<ServerRef*>(luaL_checkudata(L, 1, kServerMeta));
  const char* key = lua_tostring(L, 2);
  std::string_view k = key ? key : "";
  if (k == "name")
    lua_pushstring(L, b.name().c_str());
  else if (k == "upStatus")
    lua_pushboolean(L, b.healthy());
  else if (k == "order")
    lua_pushinteger(L, b.order());
  else if (k == "weight")
    lua_pushinteger(L, b.weight());
  else
    lua_pushnil(L);
  return 1;
}

int serverGetNameWithAddr(lua_State* L, Host&) {
  lua_pushstring(L, checkServer(L, 1).nameWithAddress().c_str());
  return 1;
}

int serverSetUp(lua_State* L, Host&) {
  checkServer(L, 1).setAdmin(core::Backend::Admin::Up);
  return 0;
}

int serverSetDown(lua_State* L, Host&) {
  checkServer(L, 1).setAdmin(core::Backend::Admin::Down);
  return 0;
}

/// setAuto([status]): back to health checks, optionally with a first state.
int serverSetAuto(lua_State* L, Host&) {
  auto& b = checkServer(L, 1);
  if (!lua_isnoneornil(L, 2)) b.setHealthy(checkBool(L, 2, "setAuto"));
  b.setAdmin(core::Backend::Admin::Auto);
  return 0;
}

int serverIsUp(lua_State* L, Host&) {
  lua_pushboolean(L, checkServer(L, 1).isUp());
  return 1;
}

int serverGetOutstanding(lua_State* L, Host&) {
  lua_pushinteger(L, lua_Integer(checkServer(L, 1).outstanding()));
  return 1;
}

int serverGetWeight(lua_State* L, Host&) {
  lua_pushinteger(L, checkServer(L, 1).weight());
  return 1;
}

/// setWeight(n): policies that weigh servers (wrandom, whashed) see it at the next query.
int serverSetWeight(lua_State* L, Host& h) {
  auto& b = checkServer(L, 1);
  double w = checkNumber(L, 2, "setWeight", "a weight");
  if (w < 1 || w > 2147483647 || w != std::floor(w))
    throw ConfigError(fmt::format("setWeight: weight must be a whole number from 1, not {}", w));
  h.target().changeServer([&] { b.setWeight(int(w)); });
  return 0;
}

/// setQPS(n): the server's queries-per-second limit, 0 for none.
int serverSetQPS(lua_State* L, Host&) {
  double q = checkNumber(L, 2, "setQPS", "a queries-per-second limit");
  if (q < 0 || !std::isfinite(q)) throw ConfigError(fmt::format("setQPS: invalid limit {}", q));
  checkServer(L, 1).setQpsLimit(q);
  return 0;
}

/// addPool(name): the server joins that pool too. A server created without a pool stays
/// in the default pool (""), as in dnsdist.
int serverAddPool(lua_State* L, Host& h) {
  auto& b = checkServer(L, 1);
  std::string pool = checkString(L, 2, "addPool", "a pool name");
  h.target().changeServer([&] {
    auto pools = b.pools();
    if (pools.empty()) pools.push_back("");
    if (std::find(pools.begin(), pools.end(), pool) != pools.end()) return;
    pools.push_back(pool);
    b.setPools(std::move(pools));
  });
  return 0;
}

/// rmPool(name): the server leaves that pool.
int serverRmPool(lua_State* L, Host& h) {
  auto& b = checkServer(L, 1);
  std::string pool = checkString(L, 2, "rmPool", "a pool name");
  h.target().changeServer([&] {
    auto pools = b.pools();
    pools.erase(std::remove(pools.begin(), pools.end(), pool), pools.end());
    b.setPools(std::move(pools));
  });
  return 0;
}

/// rmServer(n | server): removes the server, by number (from 0) or object, as dnsdist does.
int rmServer(lua_State* L, Host& h) {
  std::shared_ptr<core::Backend> victim;
  if (auto* p = testUserdata<ServerRef>(L, 1, kServerMeta)) {
    victim = *p;
  } else {
    auto servers = h.target().servers();
    double n = checkNumber(L, 1, "rmServer", "a server number or a server");
    if (n < 0 || n >= double(servers.size()) || n != double(int64_t(n)))
      throw ConfigError(
          fmt::format("rmServer: no server number {} (there are {})", n, servers.size()));
    victim = servers[size_t(n)];
  }
  if (!h.target().removeServer(victim))
    throw ConfigError(fmt::format("rmServer: server {} was already removed", victim->name()));
  return 0;
}

/// getServer(n): the n-th server, counting from 0 as dnsdist does.
int getServer(lua_State* L, Host& h) {
  auto servers = h.target().servers();
  double n = checkNumber(L, 1, "getServer", "a server number");
  if (n < 0 || n >= double(servers.size()) || n != double(int64_t(n)))
    throw ConfigError(
        fmt::format("getServer: no server number {} (there are {})", n, servers.size()));
  pushServer(L, servers[size_t(n)]);
  return 1;
}

int getServers(lua_State* L, Host& h) {
  auto servers = h.target().servers();
  lua_createtable(L, int(servers.size()), 0);
  for (size_t i = 0; i < servers.size(); ++i) {
    pushServer(L, servers[i]);
    lua_rawseti(L, -2, int(i + 1));
  }
  return 1;
}

int setServerPolicy(lua_State* L, Host& h) {
  auto* p = testUserdata<PolicyRef>(L, 1, kPolicyMeta);
  if (!p) throw ConfigError("setServerPolicy: expects a policy such as leastOutstanding");
  auto policy = *p;
  h.target().update([&](core::RuntimeConfig& c) { c.policy = policy; });
  return 0;
}

/// getOutgoingTLSSessionCacheSize(): TLS sessions kept to resume connections to servers.
int getOutgoingTLSSessionCacheSize(lua_State* L, Host& h) {
  size_t n = 0;
  for (const auto& b : h.target().servers())
    if (auto* remote = dynamic_cast<const backends::remote::RemoteBackend*>(b.get()))
      n += remote->cachedTlsSessions();
  lua_pushinteger(L, lua_Integer(n));
  return 1;
}

/// setOutgoingTLSSessionsCache*: bounds of that cache, read when the servers start.
template <auto Field, int64_t Min>
int setOutgoingTlsCache(lua_State* L, Host& h, const char* name) {
  requireConfiguring(h, name);
  double n = checkNumber(L, 1, name, "a number");
  if (n < double(Min) || n > 1e9 || n != std::floor(n))
    throw ConfigError(fmt::format("{}: must be a whole number from {}", name, Min));
  auto& field = h.startup().*Field;
  field = std::remove_reference_t<decltype(field)>(n);
  return 0;
}

int setOutgoingTLSSessionsCacheMaxTicketsPerBackend(lua_State* L, Host& h) {
  return setOutgoingTlsCache<&core::StartupConfig::outgoingTlsMaxTickets, 0>(
      L, h, "setOutgoingTLSSessionsCacheMaxTicketsPerBackend");
}
int setOutgoingTLSSessionsCacheMaxTicketValidity(lua_State* L, Host& h) {
  return setOutgoingTlsCache<&core::StartupConfig::outgoingTlsTicketValiditySec, 0>(
      L, h, "setOutgoingTLSSessionsCacheMaxTicketValidity");
}
int setOutgoingTLSSessionsCacheCleanupDelay(lua_State* L, Host& h) {
  return setOutgoingTlsCache<&core::StartupConfig::outgoingTlsCleanupDelaySec, 1>(
      L, h, "setOutgoingTLSSessionsCacheCleanupDelay");
}

int policyToString(lua_State* L) {
  lua_pushstring(L, checkUserdata<PolicyRef>(L, 1, kPolicyMeta)->name().c_str());
  return 1;
}

}  // namespace

void registerServerBindings(lua_State* L) {
  static const Binding globals[] = {
      {"newServer", wrap<newServer>},
      {"showServers", wrap<showServers>},
      {"setServerPolicy", wrap<setServerPolicy>},
      {"getServer", wrap<getServer>},
      {"getServers", wrap<getServers>},
      {"rmServer", wrap<rmServer>},
      {"newDNSName", wrap<newDNSName>},
      {"getOutgoingTLSSessionCacheSize", wrap<getOutgoingTLSSessionCacheSize>},
      {"setOutgoingTLSSessionsCacheMaxTicketsPerBackend",
       wrap<setOutgoingTLSSessionsCacheMaxTicketsPerBackend>},
      {"setOutgoingTLSSessionsCacheMaxTicketValidity",
       wrap<setOutgoingTLSSessionsCacheMaxTicketValidity>},
      {"setOutgoingTLSSessionsCacheCleanupDelay", wrap<setOutgoingTLSSessionsCacheCleanupDelay>},
  };
  registerAll(L, std::begin(globals), std::end(globals));

  registerUserdataType<ServerRef>(L, kServerMeta,
                                  {
                                      {"getName", wrap<serverGetName>},
                                      {"getNameWithAddr", wrap<serverGetNameWithAddr>},
                                      {"setUp", wrap<serverSetUp>},
                                      {"setDown", wrap<serverSetDown>},
                                      {"setAuto", wrap<serverSetAuto>},
                                      {"isUp", wrap<serverIsUp>},
                                      {"getOutstanding", wrap<serverGetOutstanding>},
                                      {"getWeight", wrap<serverGetWeight>},
                                      {"setWeight", wrap<serverSetWeight>},
                                      {"setQPS", wrap<serverSetQPS>},
                                      {"addPool", wrap<serverAddPool>},
                                      {"rmPool", wrap<serverRmPool>},
                                      {"getLatency", wrap<serverGetLatency>},
                                      {"getDrops", wrap<serverGetDrops>},
                                  },
                                  wrap<serverGetNameWithAddr>);
  setAttributes(L, kServerMeta, serverIndex, {"name", "upStatus", "order", "weight"});
  // The policy globals themselves are made by registerPoolBindings, with the policy knobs.
  registerUserdataType<PolicyRef>(L, kPolicyMeta, {}, policyToString);
}

}  // namespace ballast::lua
