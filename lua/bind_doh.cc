// SPDX-License-Identifier: GPL-2.0-only
/// DNS over HTTPS: addDOHLocal, getDOHFrontend(n) and its methods, showDOHFrontends,
/// showDOHResponseCodes.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <optional>

#include "frontend/doh_config.hh"
#include "frontend/tls_context.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

const char kDohFrontendMeta[] = "ballast.DOHFrontend";

/// What getDOHFrontend(n) returns.
struct DohRef {
  std::string address;
  std::shared_ptr<frontend::DohBind> doh;
  std::shared_ptr<frontend::TlsContext> tls;  ///< null in plain HTTP/2 mode
};

/// Certificates are optional: nil, "" or an empty list means plain HTTP/2.
std::vector<std::string> optionalStrings(lua_State* L, int idx, const char* what) {
  if (lua_isnoneornil(L, idx)) return {};
  auto v = checkStrings(L, idx, "addDOHLocal", what);
  if (v.size() == 1 && v[0].empty()) v.clear();
  return v;
}

/// A table of header names to values at the top of the stack (names lowercased, as HTTP/2
/// wants them).
frontend::HttpHeaders readHeaders(lua_State* L, const char* fn, const char* what) {
  frontend::HttpHeaders out;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 2);
      throw ConfigError(fmt::format("{}: {} must map header names to strings", fn, what));
    }
    std::string name = lua_tostring(L, -2);
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string value = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (name.empty() || !frontend::isHeaderSafe(name) || !frontend::isHeaderSafe(value)) {
      lua_pop(L, 1);
      throw ConfigError(
          fmt::format("{}: header '{}' has an empty name or a CR, LF or NUL", fn, name));
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  if (out.size() > 10) throw ConfigError(fmt::format("{}: at most 10 {}", fn, what));
  return out;
}

int addDOHLocal(lua_State* L, Host& h) {
  requireConfiguring(h, "addDOHLocal");
  std::string addr = checkString(L, 1, "addDOHLocal", "the address");
  frontend::TlsConfig tls;
  tls.certFiles = optionalStrings(L, 2, "the certificate file(s)");
  tls.keyFiles = optionalStrings(L, 3, "the key file(s)");
  if (tls.certFiles.size() != tls.keyFiles.size())
    throw ConfigError("addDOHLocal: as many key files as certificate files are needed");
  bool plain = tls.certFiles.empty();
  frontend::StreamBind bind;
  bind.address = core::Address::parse(addr, plain ? 80 : 443);
  // dnsdist's warning, word for word at its start, so scripts that look for it find it.
  if (plain)
    fmt::print(stderr,
               "No certificate provided for DoH endpoint {}: serving DNS over plain HTTP/2, "
               "without TLS\n",
               bind.address.toStringWithPort());
  auto doh = std::make_shared<frontend::DohBind>();
  frontend::DohSettings& s = doh->settings;
  if (!lua_isnoneornil(L, 4)) s.urls = checkStrings(L, 4, "addDOHLocal", "the URLs");
  for (const auto& u : s.urls)
    if (u.empty() || u[0] != '/')
      throw ConfigError(fmt::format("addDOHLocal: URL '{}' must be a path starting with '/'", u));
  tls.alpn = {2, 'h', '2'};
  Options o(L, 5, "addDOHLocal");
  readTlsOptions(o, tls);
  if (o.table("customResponseHeaders")) {
    try {
      s.customResponseHeaders = readHeaders(L, "addDOHLocal", "customResponseHeaders");
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
  }
  s.sendCacheControlHeaders = o.boolean("sendCacheControlHeaders").value_or(true);
  s.exactPathMatching = o.boolean("exactPathMatching").value_or(true);
  s.serverTokens = o.string("serverTokens").value_or("ballast");
  s.idleTimeoutSec = int(o.integer("idleTimeout", 1, 86400).value_or(30));
  s.maxInFlight = uint32_t(o.integer("maxInFlightQueriesPerConnection", 1, 65535).value_or(100));
  s.trustForwardedForHeader = o.boolean("trustForwardedForHeader").value_or(false);
  s.keepIncomingHeaders = o.boolean("keepIncomingHeaders").value_or(false);
  // The size of the pipe between dnsdist's DoH thread and its workers: ballast's DoH
  // connections run in the TCP workers themselves, with no pipe to size.
  o.integer("internalPipeBufferSize", 0, int64_t(1) << 31);
  bind.reusePort = o.boolean("reusePort").value_or(false);
  bind.maxConcurrentConnections =
      uint64_t(o.integer("maxConcurrentTCPConnections", 0, int64_t(1) << 40).value_or(0));
  bind.listen = readListenOptions(o);
  o.done();
  if (!plain) {
    try {
      bind.tls = std::make_shared<frontend::TlsContext>(std::move(tls));
    } catch (const std::exception& e) {
      throw ConfigError(
          fmt::format("addDOHLocal {}: {}", bind.address.toStringWithPort(), e.what()));
    }
  }
  bind.doh = std::move(doh);
  h.process.stream.dohBinds.push_back(std::move(bind));
  return 0;
}

int getDOHFrontend(lua_State* L, Host& h) {
  double n = checkNumber(L, 1, "getDOHFrontend", "the index");
  const auto& binds = h.process.stream.dohBinds;
  if (n < 0 || n != std::floor(n) || n >= double(binds.size()))
    throw ConfigError(
        fmt::format("getDOHFrontend: no DoH frontend {} (there are {})", n, binds.size()));
  const auto& b = binds[size_t(n)];
  pushUserdata(L, kDohFrontendMeta, DohRef{b.address.toStringWithPort(), b.doh, b.tls});
  return 1;
}

int getDOHFrontendCount(lua_State* L, Host& h) {
  lua_pushinteger(L, lua_Integer(h.process.stream.dohBinds.size()));
  return 1;
}

DohRef& checkDoh(lua_State* L) {
  return checkUserdata<DohRef>(L, 1, kDohFrontendMeta);
}

int getStats(lua_State* L, Host&) {
  const auto& st = checkDoh(L).doh->stats;
  const std::pair<const char*, const metrics::Counter*> fields[] = {
      {"http-connects", &st.httpConnects},
      {"http2-queries", &st.http2Queries},
      {"get-queries", &st.getQueries},
      {"post-queries", &st.postQueries},
      {"bad-requests", &st.badRequests},
      {"error-responses", &st.errorResponses},
      {"valid-responses", &st.validResponses},
      {"redirect-responses", &st.redirectResponses},
      {"protocol-errors", &st.protocolErrors},
      {"200", &st.status200},
      {"400", &st.status400},
      {"403", &st.status403},
      {"404", &st.status404},
      {"405", &st.status405},
      {"413", &st.status413},
      {"415", &st.status415},
      {"500", &st.status500},
      {"502", &st.status502},
      {"other", &st.statusOther},
  };
  lua_createtable(L, 0, int(std::size(fields)));
  for (const auto& [name, c] : fields) {
    lua_pushnumber(L, double(c->value()));
    lua_setfield(L, -2, name);
  }
  return 1;
}

int getAddressAndPort(lua_State* L, Host&) {
  lua_pushstring(L, checkDoh(L).address.c_str());
  return 1;
}

int rotateTicketsKey(lua_State* L, Host&) {
  auto& d = checkDoh(L);
  if (d.tls) d.tls->rotateTicketsKey();
  return 0;
}

int reloadCertificates(lua_State* L, Host&) {
  auto& d = checkDoh(L);
  if (d.tls) d.tls->reloadCertificates();
  return 0;
}

int loadTicketsKeys(lua_State* L, Host&) {
  auto& d = checkDoh(L);
  std::string file = checkString(L, 2, "loadTicketsKeys", "the file");
  if (d.tls) d.tls->loadTicketsKeys(file);
  return 0;
}

int loadNewCertificatesAndKeys(lua_State* L, Host&) {
  auto& d = checkDoh(L);
  auto certs = checkStrings(L, 2, "loadNewCertificatesAndKeys", "the certificate file(s)");
  auto keys = checkStrings(L, 3, "loadNewCertificatesAndKeys", "the key file(s)");
  if (d.tls) d.tls->loadNewCertificatesAndKeys(std::move(certs), std::move(keys));
  return 0;
}

const char kResponseMapEntryMeta[] = "ballast.DOHResponseMapEntry";
using EntryPtr = std::shared_ptr<const frontend::DohResponseMapEntry>;

int newDOHResponseMapEntry(lua_State* L, Host&) {
  const char* fn = "newDOHResponseMapEntry";
  std::string regex = checkString(L, 1, fn, "the regular expression");
  auto status = checkInteger(L, 2, fn, "the HTTP status", 200, 599);
  std::string content = checkString(L, 3, fn, "the content");
  std::optional<frontend::HttpHeaders> headers;
  if (!lua_isnoneornil(L, 4)) {
    if (lua_type(L, 4) != LUA_TTABLE)
      throw ConfigError(fmt::format("{}: headers must be a table", fn));
    lua_pushvalue(L, 4);
    try {
      headers = readHeaders(L, fn, "headers");
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
  }
  EntryPtr e;
  try {
    e = std::make_shared<const frontend::DohResponseMapEntry>(
        regex, int(status), std::move(content), std::move(headers));
  } catch (const std::invalid_argument& ex) {
    throw ConfigError(fmt::format("{}: {}", fn, ex.what()));
  }
  pushUserdata(L, kResponseMapEntryMeta, std::move(e));
  return 1;
}

/// Replaces the bind's responses map in one swap: each request sees the old or the new.
int setResponsesMap(lua_State* L, Host&) {
  auto& d = checkDoh(L);
  const char* fn = "setResponsesMap";
  if (lua_type(L, 2) != LUA_TTABLE)
    throw ConfigError(fmt::format("{}: expects a list of DOHResponseMapEntry", fn));
  auto map = std::make_shared<frontend::DohResponsesMap>();
  for (int k = 1;; ++k) {
    lua_rawgeti(L, 2, k);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    auto* e = testUserdata<EntryPtr>(L, -1, kResponseMapEntryMeta);
    lua_pop(L, 1);
    if (!e) throw ConfigError(fmt::format("{}: entry {} is not a DOHResponseMapEntry", fn, k));
    map->push_back(*e);
  }
  // An empty list removes the map: requests then skip it without a look.
  std::shared_ptr<const frontend::DohResponsesMap> next;
  if (!map->empty()) next = std::move(map);
  d.doh->responses.store(std::move(next), std::memory_order_release);
  return 0;
}

int showDOHFrontends(lua_State*, Host& h) {
  std::string out =
      fmt::format("{:<3} {:<24} {:<5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "#",
                  "Address", "TLS", "HTTP", "HTTP/2", "GET", "POST", "Bad", "Errors", "Valid");
  size_t n = 0;
  for (const auto& b : h.process.stream.dohBinds) {
    const auto& st = b.doh->stats;
    out +=
        fmt::format("{:<3} {:<24} {:<5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", n++,
                    b.address.toStringWithPort(), b.tls ? "yes" : "no", st.httpConnects.value(),
                    st.http2Queries.value(), st.getQueries.value(), st.postQueries.value(),
                    st.badRequests.value(), st.errorResponses.value(), st.validResponses.value());
  }
  h.out(out);
  return 0;
}

int showDOHResponseCodes(lua_State*, Host& h) {
  std::string out = fmt::format(
      "{:<3} {:<24} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "#", "Address",
      "200", "400", "403", "404", "405", "413", "415", "500", "502", "Others");
  size_t n = 0;
  for (const auto& b : h.process.stream.dohBinds) {
    const auto& st = b.doh->stats;
    out += fmt::format("{:<3} {:<24} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
                       n++, b.address.toStringWithPort(), st.status200.value(),
                       st.status400.value(), st.status403.value(), st.status404.value(),
                       st.status405.value(), st.status413.value(), st.status415.value(),
                       st.status500.value(), st.status502.value(), st.statusOther.value());
  }
  h.out(out);
  return 0;
}

}  // namespace

void registerDohBindings(lua_State* L) {
  static const Binding b[] = {
      {"addDOHLocal", wrap<addDOHLocal>},
      {"getDOHFrontend", wrap<getDOHFrontend>},
      {"getDOHFrontendCount", wrap<getDOHFrontendCount>},
      {"showDOHFrontends", wrap<showDOHFrontends>},
      {"showDOHResponseCodes", wrap<showDOHResponseCodes>},
      {"newDOHResponseMapEntry", wrap<newDOHResponseMapEntry>},
  };
  registerAll(L, std::begin(b), std::end(b));
  registerUserdataType<DohRef>(L, kDohFrontendMeta,
                               {{"getStats", wrap<getStats>},
                                {"getAddressAndPort", wrap<getAddressAndPort>},
                                {"rotateTicketsKey", wrap<rotateTicketsKey>},
                                {"loadTicketsKeys", wrap<loadTicketsKeys>},
                                {"loadNewCertificatesAndKeys", wrap<loadNewCertificatesAndKeys>},
                                {"reloadCertificates", wrap<reloadCertificates>},
                                {"setResponsesMap", wrap<setResponsesMap>}});
  registerUserdataType<EntryPtr>(L, kResponseMapEntryMeta, {});
}

}  // namespace ballast::lua
