// SPDX-License-Identifier: GPL-2.0-only
/// TCP and DNS over TLS: addTLSLocal, the TLS context and bind objects, the setMaxTCP* and
/// TCP timeout settings, showTCPStats.
#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <memory>
#include <string_view>

#include "backends/remote/remote_backend.hh"
#include "core/clock.hh"
#include "frontend/tcp_stats.hh"
#include "frontend/tls_context.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

void readTlsOptions(Options& o, frontend::TlsConfig& tls) {
  tls.provider = o.string("provider").value_or("openssl");
  tls.minTLSVersion = o.string("minTLSVersion").value_or("tls1.0");
  tls.ciphers = o.string("ciphers").value_or("");
  tls.ciphersTLS13 = o.string("ciphersTLS13").value_or("");
  tls.numberOfTicketsKeys = size_t(o.integer("numberOfTicketsKeys", 0, 1000).value_or(5));
  tls.ticketKeyFile = o.string("ticketKeyFile").value_or("");
  tls.sessionTickets = o.boolean("sessionTickets").value_or(true);
  tls.ocspResponses = o.strings("ocspResponses").value_or(std::vector<std::string>{});
  tls.ticketsKeysRotationDelay =
      int(o.integer("ticketsKeysRotationDelay", 0, 86400 * 365).value_or(43200));
  tls.sessionTimeout = long(o.integer("sessionTimeout", 1, 86400 * 7).value_or(7200));
  tls.numberOfStoredSessions =
      size_t(o.integer("numberOfStoredSessions", 0, 10000000).value_or(20480));
  tls.preferServerCiphers = o.boolean("preferServerCiphers").value_or(true);
  tls.keyLogFile = o.string("keyLogFile").value_or("");
  tls.releaseBuffers = o.boolean("releaseBuffers").value_or(true);
  tls.enableRenegotiation = o.boolean("enableRenegotiation").value_or(false);
}

namespace {

const char kTlsContextMeta[] = "ballast.TLSContext";
const char kBindMeta[] = "ballast.Bind";

using TlsRef = std::shared_ptr<frontend::TlsContext>;

/// What getBind(n) returns: a frontend's address, protocol and TLS provider.
struct BindRef {
  std::string address;
  std::string protocol;  ///< "UDP", "TCP", "DoT"
  std::string provider;  ///< "" without TLS
  /// UDP: the listener's shared state, where the muted switch is; null for the others.
  std::shared_ptr<core::FrontendStats> udp;
};

const char kTlsFrontendMeta[] = "ballast.TLSFrontend";

/// What getTLSFrontend(n) returns: a DoT bind's TLS context and its address.
struct TlsFrontendRef {
  TlsRef tls;
  std::string address;
};

int addTLSLocal(lua_State* L, Host& h) {
  requireConfiguring(h, "addTLSLocal");
  frontend::StreamBind bind;
  bind.address = core::Address::parse(checkString(L, 1, "addTLSLocal", "the address"), 853);
  frontend::TlsConfig tls;
  tls.certFiles = checkStrings(L, 2, "addTLSLocal", "the certificate file(s)");
  tls.keyFiles = checkStrings(L, 3, "addTLSLocal", "the key file(s)");
  tls.alpn = {3, 'd', 'o', 't'};
  Options o(L, 4, "addTLSLocal");
  readTlsOptions(o, tls);
  bind.reusePort = o.boolean("reusePort").value_or(false);
  bind.maxInFlight = uint32_t(o.integer("maxInFlight", 0, 65535).value_or(0));
  bind.maxConcurrentConnections =
      uint64_t(o.integer("maxConcurrentTCPConnections", 0, int64_t(1) << 40).value_or(0));
  bind.listen = readListenOptions(o);
  o.done();
  try {
    bind.tls = std::make_shared<frontend::TlsContext>(std::move(tls));
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("addTLSLocal {}: {}", bind.address.toStringWithPort(), e.what()));
  }
  h.process.stream.tlsBinds.push_back(std::move(bind));
  return 0;
}

TlsRef& checkTls(lua_State* L) {
  return checkUserdata<TlsRef>(L, 1, kTlsContextMeta);
}

int getTLSContext(lua_State* L, Host& h) {
  double n = checkNumber(L, 1, "getTLSContext", "the index");
  if (n < 0 || n != std::floor(n) || n >= double(h.process.stream.tlsBinds.size()))
    throw ConfigError(fmt::format("getTLSContext: no TLS frontend {} (there are {})", n,
                                  h.process.stream.tlsBinds.size()));
  pushUserdata(L, kTlsContextMeta, h.process.stream.tlsBinds[size_t(n)].tls);
  return 1;
}

int rotateTicketsKey(lua_State* L, Host&) {
  checkTls(L)->rotateTicketsKey();
  return 0;
}

int reloadCertificates(lua_State* L, Host&) {
  checkTls(L)->reloadCertificates();
  return 0;
}

int loadTicketsKeys(lua_State* L, Host&) {
  checkTls(L)->loadTicketsKeys(checkString(L, 2, "loadTicketsKeys", "the file"));
  return 0;
}

int getTicketsKeysCount(lua_State* L, Host&) {
  lua_pushinteger(L, lua_Integer(checkTls(L)->ticketKeyCount()));
  return 1;
}

int reloadAllCertificates(lua_State*, Host& h) {
  for (auto& b : h.process.stream.tlsBinds) b.tls->reloadCertificates();
  return 0;
}

/// The binds as dnsdist numbers them: each addLocal is a UDP and (unless doTCP=false) a TCP
/// frontend; then DoT.
std::vector<BindRef> allBinds(Host& h) {
  std::vector<BindRef> binds;
  for (const auto& l : h.process.stream.locals) {
    binds.push_back({l.address.toStringWithPort(), "UDP", "", l.stats});
    if (l.tcp) binds.push_back({l.address.toStringWithPort(), "TCP", "", nullptr});
  }
  for (const auto& b : h.process.stream.tlsBinds)
    binds.push_back({b.address.toStringWithPort(), "DoT", b.tls->config().provider, nullptr});
  return binds;
}

int getBindCount(lua_State* L, Host& h) {
  lua_pushinteger(L, lua_Integer(allBinds(h).size()));
  return 1;
}

int showBinds(lua_State*, Host& h) {
  std::string out = fmt::format("{:<3} {:<48} {}\n", "#", "Address", "Protocol");
  auto binds = allBinds(h);
  for (size_t i = 0; i < binds.size(); ++i)
    out += fmt::format("{:<3} {:<48} {}\n", i, binds[i].address, binds[i].protocol);
  h.out(out);
  return 0;
}

int getBind(lua_State* L, Host& h) {
  double n = checkNumber(L, 1, "getBind", "the index");
  std::vector<BindRef> binds = allBinds(h);
  if (n < 0 || n != std::floor(n) || n >= double(binds.size()))
    throw ConfigError(fmt::format("getBind: no frontend {} (there are {})", n, binds.size()));
  pushUserdata(L, kBindMeta, binds[size_t(n)]);
  return 1;
}

/// ClientState.muted: read and written on the UDP listener's switch; a TCP or DoT bind is
/// never muted (dnsdist mutes UDP answers only) and ignores what is written.
int bindIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));  // a method
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  const auto& b = checkUserdata<BindRef>(L, 1, kBindMeta);
  const char* key = lua_tostring(L, 2);
  if (key && std::string_view(key) == "muted")
    lua_pushboolean(L, b.udp && b.udp->muted.load());
  else
    lua_pushnil(L);
  return 1;
}
int bindNewIndex(lua_State* L) {
  const auto& b = checkUserdata<BindRef>(L, 1, kBindMeta);
  const char* key = lua_tostring(L, 2);
  if (!key || std::string_view(key) != "muted")
    return luaL_error(L, "ClientState has no field '%s'", key ? key : "?");
  if (!lua_isboolean(L, 3)) return luaL_error(L, "ClientState.muted must be a boolean");
  if (b.udp) b.udp->muted.store(lua_toboolean(L, 3));
  return 0;
}

int getEffectiveTLSProvider(lua_State* L, Host&) {
  lua_pushstring(L, checkUserdata<BindRef>(L, 1, kBindMeta).provider.c_str());
  return 1;
}

/// dnsdist's ClientState:toString(): the local address and port.
int bindToString(lua_State* L) {
  lua_pushstring(L, checkUserdata<BindRef>(L, 1, kBindMeta).address.c_str());
  return 1;
}

/// dnsdist's names: "UDP", "TCP", "TCP (DNS over TLS)".
int bindGetType(lua_State* L, Host&) {
  const auto& b = checkUserdata<BindRef>(L, 1, kBindMeta);
  lua_pushstring(L, b.protocol == "DoT" ? "TCP (DNS over TLS)" : b.protocol.c_str());
  return 1;
}

int getTLSFrontend(lua_State* L, Host& h) {
  double n = checkNumber(L, 1, "getTLSFrontend", "the index");
  const auto& binds = h.process.stream.tlsBinds;
  if (n < 0 || n != std::floor(n) || n >= double(binds.size()))
    throw ConfigError(
        fmt::format("getTLSFrontend: no TLS frontend {} (there are {})", n, binds.size()));
  const auto& b = binds[size_t(n)];
  pushUserdata(L, kTlsFrontendMeta, TlsFrontendRef{b.tls, b.address.toStringWithPort()});
  return 1;
}

int getTLSFrontendCount(lua_State* L, Host& h) {
  lua_pushinteger(L, lua_Integer(h.process.stream.tlsBinds.size()));
  return 1;
}

TlsFrontendRef& checkFrontend(lua_State* L) {
  return checkUserdata<TlsFrontendRef>(L, 1, kTlsFrontendMeta);
}
int feGetAddressAndPort(lua_State* L, Host&) {
  lua_pushstring(L, checkFrontend(L).address.c_str());
  return 1;
}
int feRotateTicketsKey(lua_State* L, Host&) {
  checkFrontend(L).tls->rotateTicketsKey();
  return 0;
}
int feReloadCertificates(lua_State* L, Host&) {
  checkFrontend(L).tls->reloadCertificates();
  return 0;
}
int feLoadTicketsKeys(lua_State* L, Host&) {
  checkFrontend(L).tls->loadTicketsKeys(checkString(L, 2, "loadTicketsKeys", "the file"));
  return 0;
}
int feLoadNewCertificatesAndKeys(lua_State* L, Host&) {
  auto& f = checkFrontend(L);
  f.tls->loadNewCertificatesAndKeys(
      checkStrings(L, 2, "loadNewCertificatesAndKeys", "the certificate file(s)"),
      checkStrings(L, 3, "loadNewCertificatesAndKeys", "the key file(s)"));
  return 0;
}

/// showTLSContexts(): the DoT frontends' ticket keys, rotation delay and next rotation (wall
/// clock seconds, as dnsdist prints them).
int showTLSContexts(lua_State*, Host& h) {
  std::string out = fmt::format("{:<3} {:<20.20} {:<14} {:<14} {:<21.21}\n", "#", "Address",
                                "# ticket keys", "Rotation delay", "Next rotation");
  int64_t monoNow = core::monotonicUsec() / 1000000, wallNow = int64_t(time(nullptr));
  const auto& binds = h.process.stream.tlsBinds;
  for (size_t i = 0; i < binds.size(); ++i) {
    const auto& t = *binds[i].tls;
    out += fmt::format("{:<3} {:<20.20} {:<14} {:<14} {:<21}\n", i,
                       binds[i].address.toStringWithPort(), t.ticketKeyCount(),
                       t.config().ticketsKeysRotationDelay,
                       wallNow + (t.nextTicketsKeyRotationSec() - monoNow));
  }
  h.out(out);
  return 0;
}

/// showTLSErrorCounters(): handshakes refused per TLS frontend (DoT, then DoH), by reason.
int showTLSErrorCounters(lua_State*, Host& h) {
  auto row = [](auto a, auto b, auto c, auto d, auto e, auto f, auto g, auto i, auto j, auto k) {
    return fmt::format("{:<3} {:<20.20} {:<23} {:<23} {:<23} {:<23} {:<23} {:<23} {:<23} {:<23}\n",
                       a, b, c, d, e, f, g, i, j, k);
  };
  std::string out = row("#", "Address", "DH key too small", "Inappropriate fallback",
                        "No shared cipher", "Unknown cipher type", "Unknown exchange type",
                        "Unknown protocol", "Unsupported EC", "Unsupported protocol");
  size_t n = 0;
  for (const auto* list : {&h.process.stream.tlsBinds, &h.process.stream.dohBinds}) {
    for (const auto& b : *list) {
      if (!b.tls) continue;
      const auto& c = b.tls->errorCounters;
      out += row(n++, b.address.toStringWithPort(), c.dhKeyTooSmall.load(),
                 c.inappropriateFallBack.load(), c.noSharedCipher.load(),
                 c.unknownCipherType.load(), c.unknownKeyExchangeType.load(),
                 c.unknownProtocol.load(), c.unsupportedEC.load(), c.unsupportedProtocol.load());
    }
  }
  h.out(out + "\n");
  return 0;
}

/// The numeric setMaxTCP* and TCP timeout settings, declared once.
struct NumberSetting {
  const char* name;
  double min, max;
  void (*apply)(frontend::TcpSettings&, double);
};

const NumberSetting kNumberSettings[] = {
    {"setMaxTCPClientThreads", 1, 1024, [](auto& s, double v) { s.workerThreads = size_t(v); }},
    {"setMaxTCPQueuedConnections", 0, 1e9,
     [](auto& s, double v) { s.maxQueuedConnections = size_t(v); }},
    {"setMaxTCPQueriesPerConnection", 0, 1e12,
     [](auto& s, double v) { s.maxQueriesPerConnection = uint64_t(v); }},
    {"setMaxTCPConnectionsPerClient", 0, 1e9,
     [](auto& s, double v) { s.maxConnectionsPerClient = uint64_t(v); }},
    {"setTCPRecvTimeout", 1, 3600, [](auto& s, double v) { s.recvTimeoutSec = int(v); }},
    {"setTCPSendTimeout", 1, 3600, [](auto& s, double v) { s.sendTimeoutSec = int(v); }},
    {"setMaxTCPConnectionDuration", 0, 1e7,
     [](auto& s, double v) { s.maxConnectionDurationSec = int(v); }},
};

int setNumber(lua_State* L) {
  const NumberSetting& s = kNumberSettings[lua_tointeger(L, lua_upvalueindex(1))];
  std::string message;
  try {
    Host& h = host(L);
    requireConfiguring(h, s.name);
    double v = checkNumber(L, 1, s.name, "the value");
    if (v != std::floor(v) || v < s.min || v > s.max)
      throw ConfigError(
          fmt::format("{}: must be a whole number from {} to {}", s.name, s.min, s.max));
    s.apply(h.process.stream.settings, v);
    return 0;
  } catch (const std::exception& e) {
    message = e.what();
  }
  lua_pushstring(L, message.c_str());
  message = std::string();
  luaL_where(L, 1);
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

int showTCPStats(lua_State*, Host& h) {
  std::vector<int64_t> perThread;
  if (h.process.tcpConnectionsPerThread) perThread = h.process.tcpConnectionsPerThread();
  std::string out = frontend::formatTcpStats(h.process.stream, perThread);
  // The servers' side, as dnsdist's second table.
  out += fmt::format(
      "\n{:<3} {:<20} {:<24} {:>9} {:>11} {:>11} {:>9} {:>10} {:>9} {:>9} {:>11} {:>10} {:>9}\n",
      "#", "Name", "Address", "Transport", "Connections", "Current", "Reused", "DiedSend",
      "DiedRead", "ReadTO", "TooManyConn", "TLSResumed", "TLSFailed");
  size_t n = 0;
  for (const auto& b : h.target().servers()) {
    auto* remote = dynamic_cast<const backends::remote::RemoteBackend*>(b.get());
    if (!remote) continue;
    const auto& t = remote->tcpStats();
    out += fmt::format(
        "{:<3} {:<20.20} {:<24} {:>9} {:>11} {:>11} {:>9} {:>10} {:>9} {:>9} {:>11} {:>10} {:>9}\n",
        n++, b->name(), b->addressString(), remote->transportName(), t.connections.value(),
        t.current.load(), t.reused.value(), t.diedSendingQuery.value(),
        t.diedReadingResponse.value(), t.readTimeouts.value(), t.tooManyConnections.value(),
        t.tlsResumptions.value(), t.tlsHandshakeFailures.value());
  }
  h.out(out);
  return 0;
}

}  // namespace

void registerTcpBindings(lua_State* L) {
  for (size_t i = 0; i < std::size(kNumberSettings); ++i) {
    lua_pushinteger(L, lua_Integer(i));
    lua_pushcclosure(L, setNumber, 1);
    lua_setglobal(L, kNumberSettings[i].name);
  }
  static const Binding b[] = {
      {"addTLSLocal", wrap<addTLSLocal>},
      {"getTLSContext", wrap<getTLSContext>},
      {"reloadAllCertificates", wrap<reloadAllCertificates>},
      {"getBind", wrap<getBind>},
      {"getTLSFrontend", wrap<getTLSFrontend>},
      {"getTLSFrontendCount", wrap<getTLSFrontendCount>},
      {"getBindCount", wrap<getBindCount>},
      {"showBinds", wrap<showBinds>},
      {"showTCPStats", wrap<showTCPStats>},
      {"showTLSContexts", wrap<showTLSContexts>},
      {"showTLSErrorCounters", wrap<showTLSErrorCounters>},
  };
  registerAll(L, std::begin(b), std::end(b));
  registerUserdataType<TlsRef>(L, kTlsContextMeta,
                               {{"rotateTicketsKey", wrap<rotateTicketsKey>},
                                {"reloadCertificates", wrap<reloadCertificates>},
                                {"loadTicketsKeys", wrap<loadTicketsKeys>},
                                {"getTicketsKeysCount", wrap<getTicketsKeysCount>}});
  registerUserdataType<BindRef>(L, kBindMeta,
                                {{"getEffectiveTLSProvider", wrap<getEffectiveTLSProvider>},
                                 // the provider asked for (tlsProvider); dnsdist's code
                                 // spells it getConfiguredTLSProvider, its docs as here
                                 {"getRequestedTLSProvider", wrap<getEffectiveTLSProvider>},
                                 {"getConfiguredTLSProvider", wrap<getEffectiveTLSProvider>},
                                 {"getType", wrap<bindGetType>},
                                 {"toString", bindToString}},
                                bindToString);
  setAttributes(L, kBindMeta, bindIndex, {"muted"});
  luaL_getmetatable(L, kBindMeta);
  lua_pushcfunction(L, bindNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);
  registerUserdataType<TlsFrontendRef>(
      L, kTlsFrontendMeta,
      {{"getAddressAndPort", wrap<feGetAddressAndPort>},
       {"rotateTicketsKey", wrap<feRotateTicketsKey>},
       {"reloadCertificates", wrap<feReloadCertificates>},
       {"loadTicketsKeys", wrap<feLoadTicketsKeys>},
       {"loadNewCertificatesAndKeys", wrap<feLoadNewCertificatesAndKeys>}});
}

}  // namespace ballast::lua
