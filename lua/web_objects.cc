// SPDX-License-Identifier: GPL-2.0-only
/// WebRequest and WebResponse userdata: copies of the request and of the response being
/// built, so a handler that keeps one holds nothing of the web thread's.
#include "lua/web_objects.hh"

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

constexpr const char* kRequestMeta = "ballast.WebRequest";
constexpr const char* kResponseMeta = "ballast.WebResponse";

void pushStringMap(lua_State* L, const std::map<std::string, std::string>& m) {
  lua_createtable(L, 0, int(m.size()));
  for (const auto& [k, v] : m) {
    lua_pushlstring(L, k.data(), k.size());
    lua_pushlstring(L, v.data(), v.size());
    lua_rawset(L, -3);
  }
}

std::string_view key(lua_State* L) {
  size_t len = 0;
  const char* k = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len) : nullptr;
  return k ? std::string_view(k, len) : std::string_view();
}

int requestIndex(lua_State* L) {
  const auto& r = *static_cast<web::WebRequest*>(luaL_checkudata(L, 1, kRequestMeta));
  std::string_view k = key(L);
  if (k == "path")
    lua_pushlstring(L, r.path.data(), r.path.size());
  else if (k == "method")
    lua_pushlstring(L, r.method.data(), r.method.size());
  else if (k == "version")
    lua_pushinteger(L, r.version);
  else if (k == "body")
    lua_pushlstring(L, r.body.data(), r.body.size());
  else if (k == "headers")
    pushStringMap(L, r.headers);
  else if (k == "getvars")
    pushStringMap(L, r.getvars);
  else if (k == "postvars")
    pushStringMap(L, r.postvars);
  else
    lua_pushnil(L);
  return 1;
}

/// dnsdist's request fields are read only: their setters do nothing.
int requestNewIndex(lua_State* L) {
  luaL_checkudata(L, 1, kRequestMeta);
  return 0;
}

int responseIndex(lua_State* L) {
  const auto& r = *static_cast<web::WebResponse*>(luaL_checkudata(L, 1, kResponseMeta));
  std::string_view k = key(L);
  if (k == "status")
    lua_pushinteger(L, r.status);
  else if (k == "body")
    lua_pushlstring(L, r.body.data(), r.body.size());
  else if (k == "headers")
    pushStringMap(L, r.headers);  // a copy, as dnsdist's: assign a table to change them
  else
    lua_pushnil(L);
  return 1;
}

int responseNewIndex(lua_State* L) {
  auto& r = *static_cast<web::WebResponse*>(luaL_checkudata(L, 1, kResponseMeta));
  std::string_view k = key(L);
  if (k == "status") {
    if (!lua_isnumber(L, 3)) return luaL_error(L, "WebResponse.status must be a number");
    r.status = int(lua_tointeger(L, 3));
  } else if (k == "body") {
    if (!lua_isstring(L, 3)) return luaL_error(L, "WebResponse.body must be a string");
    size_t len = 0;
    const char* b = lua_tolstring(L, 3, &len);
    r.body.assign(b, len);
  } else if (k == "headers") {
    if (!lua_istable(L, 3)) return luaL_error(L, "WebResponse.headers must be a table");
    std::map<std::string, std::string> headers;
    lua_pushnil(L);
    while (lua_next(L, 3) != 0) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_isstring(L, -1)) {
        std::string name = lua_tostring(L, -2), value = lua_tostring(L, -1);
        if (name.find_first_of(":\r\n ") == std::string::npos &&
            value.find_first_of("\r\n") == std::string::npos)
          headers[std::move(name)] = std::move(value);
      }
      lua_pop(L, 1);
    }
    r.headers = std::move(headers);
  } else {
    return luaL_error(L, "WebResponse has no field '%s'", lua_tostring(L, 2));
  }
  return 0;
}

void setAccessors(lua_State* L, const char* meta, lua_CFunction index, lua_CFunction newindex,
                  std::initializer_list<const char*> names) {
  luaL_getmetatable(L, meta);
  lua_pushcfunction(L, index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, newindex);
  lua_setfield(L, -2, "__newindex");
  lua_newtable(L);
  for (const char* n : names) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, n);
  }
  lua_setfield(L, -2, "__attributes");  // listed by lua/api_names.lua
  lua_pop(L, 1);
}

}  // namespace

void registerWebObjectTypes(lua_State* L) {
  registerUserdataType<web::WebRequest>(L, kRequestMeta, {});
  setAccessors(L, kRequestMeta, requestIndex, requestNewIndex,
               {"path", "method", "version", "body", "headers", "getvars", "postvars"});
  registerUserdataType<web::WebResponse>(L, kResponseMeta, {});
  setAccessors(L, kResponseMeta, responseIndex, responseNewIndex, {"status", "body", "headers"});
}

bool callWebHandler(lua_State* L, int ref, const web::WebRequest& req, web::WebResponse& resp) {
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  pushUserdata(L, kRequestMeta, req);
  pushUserdata(L, kResponseMeta, resp);
  lua_pushvalue(L, -1);
  lua_insert(L, top + 1);  // the response, kept below the function to read after the call
  if (lua_pcall(L, 2, 0, 0) != 0) {
    fprintf(stderr, "Error in web handler for %s: %s\n", req.path.c_str(), lua_tostring(L, -1));
    lua_settop(L, top);
    return false;
  }
  resp = *static_cast<web::WebResponse*>(lua_touserdata(L, top + 1));
  lua_settop(L, top);
  if (resp.status < 100 || resp.status > 599) {
    fprintf(stderr, "Error in web handler for %s: status %d is not an HTTP status\n",
            req.path.c_str(), resp.status);
    return false;
  }
  return true;
}

}  // namespace ballast::lua
