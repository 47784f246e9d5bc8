// SPDX-License-Identifier: GPL-2.0-only
/// newDNSNameSet and the DNSNameSet object: a set of exact names, which QNameSetRule takes
/// (through checkStrings, lua/userdata.hh's list conversion).
#include <set>
#include <string>

#include "dns/name.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

/// Canonical order (case-insensitive), so toString and the list are stable.
using NameSet = std::set<dns::Name>;

NameSet& set(lua_State* L) {
  return checkUserdata<NameSet>(L, 1, kNameSetMeta);
}

dns::Name nameArg(lua_State* L, int idx, const char* fn) {
  try {
    return dns::Name::fromString(checkString(L, idx, fn, "the name"));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
}

int newDNSNameSet(lua_State* L, Host&) {
  pushUserdata(L, kNameSetMeta, NameSet{});
  return 1;
}
int add(lua_State* L, Host&) {
  set(L).insert(nameArg(L, 2, "add"));
  return 0;
}
int check(lua_State* L, Host&) {
  lua_pushboolean(L, set(L).count(nameArg(L, 2, "check")) != 0);
  return 1;
}
/// Returns how many names were removed (0 or 1), as dnsdist.
int remove(lua_State* L, Host&) {
  lua_pushinteger(L, lua_Integer(set(L).erase(nameArg(L, 2, "delete"))));
  return 1;
}
int size(lua_State* L, Host&) {
  lua_pushinteger(L, lua_Integer(set(L).size()));
  return 1;
}
int empty(lua_State* L, Host&) {
  lua_pushboolean(L, set(L).empty());
  return 1;
}
int clear(lua_State* L, Host&) {
  set(L).clear();
  return 0;
}
/// One name a line, each followed by a newline, as dnsdist prints the set.
int toString(lua_State* L) {
  std::string out;
  for (const auto& n : checkUserdata<NameSet>(L, 1, kNameSetMeta)) out += n.toString() + "\n";
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}
int toList(lua_State* L) {
  const auto& s = checkUserdata<NameSet>(L, 1, kNameSetMeta);
  lua_createtable(L, int(s.size()), 0);
  int i = 0;
  for (const auto& n : s) {
    lua_pushstring(L, n.toString().c_str());
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

}  // namespace

void registerDNSNameSetBindings(lua_State* L) {
  registerUserdataType<NameSet>(L, kNameSetMeta,
                                {{"add", wrap<add>},
                                 {"check", wrap<check>},
                                 {"delete", wrap<remove>},
                                 {"size", wrap<size>},
                                 {"empty", wrap<empty>},
                                 {"clear", wrap<clear>},
                                 {"toString", toString}},
                                toString);
  setListConversion(L, kNameSetMeta, toList);
  static const Binding b[] = {{"newDNSNameSet", wrap<newDNSNameSet>}};
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
