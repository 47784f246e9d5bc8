// SPDX-License-Identifier: GPL-2.0-only
#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "lua/reload.hh"

namespace ballast::lua {

namespace {

constexpr int kMaxDepth = 8;

bool appendValue(lua_State* L, int idx, std::string& out, int depth);

/// {k=v,...} with the keys sorted by their text; false if something cannot be compared.
bool appendTable(lua_State* L, int idx, std::string& out, int depth,
                 std::initializer_list<std::string_view> skip) {
  if (depth > kMaxDepth) return false;
  std::vector<std::pair<std::string, std::string>> items;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    std::string key, value;
    lua_pushvalue(L, -2);  // a copy: lua_next needs the key untouched
    bool ok = appendValue(L, lua_gettop(L), key, depth + 1);
    lua_pop(L, 1);
    if (ok && lua_type(L, -2) == LUA_TSTRING &&
        std::find(skip.begin(), skip.end(), std::string_view(lua_tostring(L, -2))) != skip.end()) {
      lua_pop(L, 1);
      continue;
    }
    ok = ok && appendValue(L, lua_gettop(L), value, depth + 1);
    lua_pop(L, 1);
    if (!ok) {
      lua_pop(L, 1);  // the key
      return false;
    }
    items.emplace_back(std::move(key), std::move(value));
  }
  std::sort(items.begin(), items.end());
  out += "{";
  for (const auto& [k, v] : items) out += k + "=" + v + ",";
  out += "}";
  return true;
}

bool appendValue(lua_State* L, int idx, std::string& out, int depth) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      out += fmt::format("n{:.17g}", lua_tonumber(L, idx));
      return true;
    case LUA_TBOOLEAN:
      out += lua_toboolean(L, idx) ? "true" : "false";
      return true;
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      out += fmt::format("s{}:", len);
      out.append(s, len);
      return true;
    }
    case LUA_TTABLE:
      return appendTable(L, idx, out, depth, {});
    default:
      return false;
  }
}

}  // namespace

std::string optionsKey(lua_State* L, int idx, std::initializer_list<std::string_view> skip) {
  if (lua_type(L, idx) != LUA_TTABLE) return "";
  int abs = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  std::string out;
  if (!appendTable(L, abs, out, 0, skip)) return "";
  return out;
}

}  // namespace ballast::lua
