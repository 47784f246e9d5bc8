// SPDX-License-Identifier: GPL-2.0-only
/// The web server and carbon export: webserver, setWebserverConfig, hashPassword,
/// setAPIWritable, registerWebHandler, carbonServer (dnsdist's names and options).
#include <unistd.h>

#include <cmath>
#include <cstring>

#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/web_objects.hh"
#include "web/settings.hh"

namespace ballast::lua {

namespace {

web::Settings& service(Host& h, const char*) {
  return h.process.web;
}

/// "a, b" or {"a", "b"}: dnsdist takes the web ACL as one comma-separated string.
core::NetmaskGroup parseAcl(const std::vector<std::string>& items, const char* fn) {
  core::NetmaskGroup acl;
  for (const auto& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t comma = item.find(',', start);
      std::string m =
          item.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      m.erase(0, m.find_first_not_of(' '));
      m.erase(m.find_last_not_of(' ') + 1);
      if (!m.empty()) {
        try {
          acl.add(m);
        } catch (const std::exception& e) {
          throw ConfigError(std::string(fn) + ": bad ACL entry '" + m + "': " + e.what());
        }
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return acl;
}

/// customHeaders = {["Name"] = "value"}: read by hand, Options only knows flat values.
std::vector<std::pair<std::string, std::string>> readHeaders(lua_State* L, int idx,
                                                             const char* fn) {
  std::vector<std::pair<std::string, std::string>> out;
  if (lua_type(L, idx) != LUA_TTABLE)
    throw ConfigError(std::string(fn) + ": customHeaders must be a table");
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 2);
      throw ConfigError(std::string(fn) + ": customHeaders must map header names to strings");
    }
    std::string name = lua_tostring(L, -2), value = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (name.find_first_of(":\r\n ") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos)
      throw ConfigError(std::string(fn) + ": invalid custom header '" + name + "'");
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

int webserver(lua_State* L, Host& h) {
  requireConfiguring(h, "webserver");
  auto& s = service(h, "webserver");
  std::string address = checkString(L, 1, "webserver", "the listen address");
  core::Address a;
  try {
    a = core::Address::parse(address, 80);
  } catch (const std::exception& e) {
    throw ConfigError("webserver: bad address '" + address + "': " + e.what());
  }
  s.setListenAddress(a);
  // dnsdist's older form: webserver(address, password, apiKey).
  if (lua_gettop(L) >= 2 && !lua_isnil(L, 2)) {
    std::string pw = checkString(L, 2, "webserver", "the password");
    s.updateConfig([&](web::WebConfig& c) {
      c.password = web::Credential::fromConfig(pw, c.hashPlaintextCredentials);
    });
  }
  if (lua_gettop(L) >= 3 && !lua_isnil(L, 3)) {
    std::string key = checkString(L, 3, "webserver", "the API key");
    s.updateConfig([&](web::WebConfig& c) {
      c.apiKey = web::Credential::fromConfig(key, c.hashPlaintextCredentials);
    });
  }
  return 0;
}

int setWebserverConfig(lua_State* L, Host& h) {
  auto& s = service(h, "setWebserverConfig");
  constexpr const char* fn = "setWebserverConfig";
  if (lua_type(L, 1) != LUA_TTABLE)
    throw ConfigError("setWebserverConfig: expects a table of options");
  std::optional<std::vector<std::pair<std::string, std::string>>> headers;
  // A copy without customHeaders for Options, which rejects keys it did not read.
  lua_newtable(L);
  int copy = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "customHeaders") == 0) {
      headers = readHeaders(L, lua_gettop(L), fn);
      lua_pop(L, 1);
      continue;
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, copy);
  }
  Options o(L, copy, fn);
  auto hashPlain = o.boolean("hashPlaintextCredentials");
  auto password = o.string("password");
  auto apiKey = o.string("apiKey");
  auto acl = o.strings("acl");
  auto stats = o.boolean("statsRequireAuthentication");
  auto api = o.boolean("apiRequiresAuthentication");
  auto dashboard = o.boolean("dashboardRequiresAuthentication");
  auto maxConns = o.integer("maxConcurrentConnections", 1, 100000);
  o.done();
  std::optional<core::NetmaskGroup> aclGroup;
  if (acl) aclGroup = parseAcl(*acl, fn);
  s.updateConfig([&](web::WebConfig& c) {
    if (hashPlain) c.hashPlaintextCredentials = *hashPlain;
    if (password) c.password = web::Credential::fromConfig(*password, c.hashPlaintextCredentials);
    if (apiKey) c.apiKey = web::Credential::fromConfig(*apiKey, c.hashPlaintextCredentials);
    if (aclGroup) c.acl = *aclGroup;
    if (headers) c.customHeaders = *headers;
    if (stats) c.statsRequireAuthentication = *stats;
    if (api) c.apiRequiresAuthentication = *api;
    if (dashboard) c.dashboardRequiresAuthentication = *dashboard;
    if (maxConns) c.maxConcurrentConnections = size_t(*maxConns);
  });
  return 0;
}

int hashPassword(lua_State* L, Host&) {
  std::string pw = checkString(L, 1, "hashPassword", "the password");
  uint64_t factor = 1024;
  if (lua_gettop(L) >= 2 && !lua_isnil(L, 2)) {
    double f = checkNumber(L, 2, "hashPassword", "the work factor");
    if (f < 2 || f > 65536 || std::floor(f) != f)
      throw ConfigError("hashPassword: the work factor must be a power of two from 2 to 65536");
    factor = uint64_t(f);
  }
  std::string hashed;
  try {
    hashed = web::hashPassword(pw, factor);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("hashPassword: ") + e.what());
  }
  lua_pushstring(L, hashed.c_str());
  return 1;
}

int setAPIWritable(lua_State* L, Host& h) {
  bool writable = checkBool(L, 1, "setAPIWritable");
  if (lua_gettop(L) >= 2 && !lua_isnil(L, 2))
    throw ConfigError(
        "setAPIWritable: ballast does not save API changes to a directory; call it with one "
        "argument");
  service(h, "setAPIWritable").updateConfig([&](web::WebConfig& c) { c.apiWritable = writable; });
  return 0;
}

int registerWebHandler(lua_State* L, Host& h) {
  auto& s = service(h, "registerWebHandler");
  std::string path = checkString(L, 1, "registerWebHandler", "the path");
  if (path.empty() || path[0] != '/')
    throw ConfigError("registerWebHandler: the path must start with '/'");
  if (!lua_isfunction(L, 2))
    throw ConfigError("registerWebHandler: the handler must be a function");
  if (!h.withLua) throw ConfigError("registerWebHandler: no Lua state to run handlers in");
  lua_pushvalue(L, 2);
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  auto withLua = h.withLua;
  s.setHandler(path, [withLua, ref](const web::WebRequest& req, web::WebResponse& resp) {
    bool ok = false;
    withLua([&](lua_State* state) { ok = callWebHandler(state, ref, req, resp); });
    return ok;
  });
  return 0;
}

std::string defaultOurName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || !*name) return "localhost";
  return metrics::carbonComponent(name);
}

int carbonServer(lua_State* L, Host& h) {
  requireConfiguring(h, "carbonServer");
  auto& s = service(h, "carbonServer");
  metrics::CarbonConfig c;
  c.server = checkString(L, 1, "carbonServer", "the address");
  core::Address a;
  try {
    a = core::Address::parse(c.server, 2003);
  } catch (const std::exception& e) {
    throw ConfigError("carbonServer: bad address '" + c.server + "': " + e.what());
  }
  memcpy(&c.address, a.sockaddr_(), a.length());
  c.addressLength = a.length();
  c.ourname = defaultOurName();
  if (lua_gettop(L) >= 2 && !lua_isnil(L, 2)) {
    c.ourname = checkString(L, 2, "carbonServer", "ourname");
    if (c.ourname.empty()) c.ourname = defaultOurName();
  }
  if (lua_gettop(L) >= 3 && !lua_isnil(L, 3)) {
    double i = checkNumber(L, 3, "carbonServer", "the interval");
    if (i < 1 || i > 86400 || std::floor(i) != i)
      throw ConfigError("carbonServer: the interval must be 1 to 86400 seconds");
    c.intervalSec = unsigned(i);
  }
  if (lua_gettop(L) >= 4 && !lua_isnil(L, 4)) {
    c.namespace_ = checkString(L, 4, "carbonServer", "the namespace");
    if (c.namespace_.empty()) c.namespace_ = "dnsdist";
  }
  if (lua_gettop(L) >= 5 && !lua_isnil(L, 5)) {
    c.instance = checkString(L, 5, "carbonServer", "the instance");
    if (c.instance.empty()) c.instance = "main";
  }
  s.addCarbon(std::move(c));
  return 0;
}

}  // namespace

void registerWebBindings(lua_State* L) {
  static const Binding b[] = {
      {"webserver", wrap<webserver>},
      {"setWebserverConfig", wrap<setWebserverConfig>},
      {"hashPassword", wrap<hashPassword>},
      {"setAPIWritable", wrap<setAPIWritable>},
      {"registerWebHandler", wrap<registerWebHandler>},
      {"carbonServer", wrap<carbonServer>},
  };
  registerAll(L, std::begin(b), std::end(b));
  registerWebObjectTypes(L);
}

}  // namespace ballast::lua
