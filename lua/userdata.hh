// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// C++ values owned by Lua full userdata (servers, pools, policies): one way to push, check
/// and destroy them, and to declare their metatable with its methods.
#include <lua.hpp>

#include <initializer_list>
#include <new>
#include <utility>

#include "lua/binding.hh"

namespace ballast::lua {

/// Metatable names of the value objects shared by several binding files.
inline constexpr const char* kDNSNameMeta = "ballast.DNSName";
inline constexpr const char* kComboAddressMeta = "ballast.ComboAddress";
inline constexpr const char* kNetmaskMeta = "ballast.Netmask";
inline constexpr const char* kNameSetMeta = "ballast.DNSNameSet";

/// Marks the registered type `meta` as standing for its text wherever a string is read
/// (checkString, checkStrings): `text(ud)` returns it. dnsdist takes a DNSName, a
/// ComboAddress or a Netmask where it takes their text.
inline void setTextConversion(lua_State* L, const char* meta, lua_CFunction text) {
  luaL_getmetatable(L, meta);
  lua_pushcfunction(L, text);
  lua_setfield(L, -2, "__ballast_text");
  lua_pop(L, 1);
}

/// Marks the registered type `meta` as standing for a list of strings in checkStrings:
/// `list(ud)` returns an array of them (a DNSNameSet for QNameSetRule).
inline void setListConversion(lua_State* L, const char* meta, lua_CFunction list) {
  luaL_getmetatable(L, meta);
  lua_pushcfunction(L, list);
  lua_setfield(L, -2, "__ballast_strings");
  lua_pop(L, 1);
}

/// Moves `value` into a new userdata with the metatable `meta`, left on the stack.
template <typename T>
void pushUserdata(lua_State* L, const char* meta, T value) {
  new (lua_newuserdata(L, sizeof(T))) T(std::move(value));
  luaL_getmetatable(L, meta);
  lua_setmetatable(L, -2);
}

/// The value at `idx`, or a Lua error naming the expected type.
template <typename T>
T& checkUserdata(lua_State* L, int idx, const char* meta) {
  return *static_cast<T*>(luaL_checkudata(L, idx, meta));
}

/// The value at `idx`, or null when it is not of that type.
template <typename T>
T* testUserdata(lua_State* L, int idx, const char* meta) {
  return static_cast<T*>(luaL_testudata(L, idx, meta));
}

template <typename T>
int destroyUserdata(lua_State* L) {
  static_cast<T*>(lua_touserdata(L, 1))->~T();
  return 0;
}

/// Creates the metatable `meta` for userdata holding a T: __gc destroys it, `methods` are
/// reachable with ':' and `toString` (if any) serves tostring().
template <typename T>
void registerUserdataType(lua_State* L, const char* meta, std::initializer_list<Binding> methods,
                          lua_CFunction toString = nullptr) {
  luaL_newmetatable(L, meta);
  lua_pushcfunction(L, destroyUserdata<T>);
  lua_setfield(L, -2, "__gc");
  if (methods.size()) {
    lua_newtable(L);
    for (const auto& m : methods) {
      lua_pushcfunction(L, m.fn);
      lua_setfield(L, -2, m.name);
    }
    lua_setfield(L, -2, "__index");
  }
  if (toString) {
    lua_pushcfunction(L, toString);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
}

/// Adds methods to the registered type `meta` (one made by another binding file).
inline void addUserdataMethods(lua_State* L, const char* meta,
                               std::initializer_list<Binding> methods) {
  luaL_getmetatable(L, meta);
  lua_getfield(L, -1, "__methods");  // a type with attributes keeps them there
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, -1, "__index");
  }
  for (const auto& m : methods) {
    lua_pushcfunction(L, m.fn);
    lua_setfield(L, -2, m.name);
  }
  lua_pop(L, 2);
}

/// Gives the registered type `meta` attributes beside its methods: `index(ud, key)` gets the
/// methods table as upvalue 1 and serves both. The methods stay reachable as `__methods` and
/// the attribute names are kept in `__attributes` (what lua/api.txt's generator lists).
inline void setAttributes(lua_State* L, const char* meta, lua_CFunction index,
                          std::initializer_list<const char*> names) {
  luaL_getmetatable(L, meta);
  lua_getfield(L, -1, "__index");
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__methods");
  lua_pushcclosure(L, index, 1);
  lua_setfield(L, -2, "__index");
  lua_newtable(L);
  for (const char* n : names) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, n);
  }
  lua_setfield(L, -2, "__attributes");
  lua_pop(L, 1);
}

}  // namespace ballast::lua
