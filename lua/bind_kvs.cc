// SPDX-License-Identifier: GPL-2.0-only
/// Key-value stores: newCDBKVStore, newLMDBKVStore, the KeyValueLookupKey* builders and the
/// KeyValueStore methods (lookup, lookupSuffix, reload). The selectors and actions using
/// them are entries of bind_rules' tables.
#include <cmath>

#include "core/rules/kvs.hh"
#include "lua/binding.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

namespace rules = core::rules;

constexpr const char* kNameMeta = "ballast.DNSName";       // lua/dnsquestion.cc's DNSName
constexpr const char* kAddrMeta = "ballast.ComboAddress";  // and its ComboAddress

bool optBool(lua_State* L, int idx, const char* fn, bool def) {
  return lua_isnoneornil(L, idx) ? def : checkBool(L, idx, fn);
}

dns::Name toName(lua_State* L, int idx, const char* fn) {
  if (auto* n = testUserdata<dns::Name>(L, idx, kNameMeta)) return *n;
  try {
    return dns::Name::fromString(checkString(L, idx, fn, "the name"));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
}

int newCDBKVStore(lua_State* L, Host&) {
  std::string file = checkString(L, 1, "newCDBKVStore", "the file name");
  auto refresh = uint32_t(checkInteger(L, 2, "newCDBKVStore", "the refresh delay", 0, 1 << 30));
  try {
    pushUserdata(L, kKvsMeta, rules::cdbStore(file, refresh));
  } catch (const std::runtime_error& e) {
    throw ConfigError(std::string("newCDBKVStore: ") + e.what());
  }
  return 1;
}

int newLMDBKVStore(lua_State* L, Host&) {
  std::string file = checkString(L, 1, "newLMDBKVStore", "the file name");
  std::string db = checkString(L, 2, "newLMDBKVStore", "the database name");
  bool noLock = optBool(L, 3, "newLMDBKVStore", false);
  try {
    pushUserdata(L, kKvsMeta, rules::lmdbStore(file, db, noLock));
  } catch (const std::runtime_error& e) {
    throw ConfigError(std::string("newLMDBKVStore: ") + e.what());
  }
  return 1;
}

int keyQName(lua_State* L, Host&) {
  pushUserdata(L, kLookupKeyMeta,
               rules::qnameLookupKey(optBool(L, 1, "KeyValueLookupKeyQName", true)));
  return 1;
}

int keySourceIP(lua_State* L, Host&) {
  const char* fn = "KeyValueLookupKeySourceIP";
  auto v4 = uint8_t(lua_isnoneornil(L, 1) ? 32 : checkInteger(L, 1, fn, "the IPv4 mask", 0, 32));
  auto v6 = uint8_t(lua_isnoneornil(L, 2) ? 128 : checkInteger(L, 2, fn, "the IPv6 mask", 0, 128));
  pushUserdata(L, kLookupKeyMeta, rules::sourceIpLookupKey(v4, v6, optBool(L, 3, fn, false)));
  return 1;
}

int keySuffix(lua_State* L, Host&) {
  const char* fn = "KeyValueLookupKeySuffix";
  auto min =
      unsigned(lua_isnoneornil(L, 1) ? 0 : checkInteger(L, 1, fn, "the minimum labels", 0, 127));
  pushUserdata(L, kLookupKeyMeta, rules::suffixLookupKey(min, optBool(L, 2, fn, true)));
  return 1;
}

int keyTag(lua_State* L, Host&) {
  pushUserdata(L, kLookupKeyMeta,
               rules::tagLookupKey(checkString(L, 1, "KeyValueLookupKeyTag", "the tag name")));
  return 1;
}

/// kvs:lookup(key [, wireFormat]): a string is the key as is, a DNSName its qname key, a
/// ComboAddress its source IP key (/32, /128); "" when not found.
int kvsLookup(lua_State* L, Host&) {
  auto& kvs = checkUserdata<rules::KeyValueStorePtr>(L, 1, kKvsMeta);
  std::string key;
  if (auto* n = testUserdata<dns::Name>(L, 2, kNameMeta))
    key = rules::qnameKey(*n, optBool(L, 3, "lookup", true));
  else if (auto* a = testUserdata<core::Address>(L, 2, kAddrMeta))
    key = rules::sourceIpKey(*a, 32, 128, false);
  else
    key = checkString(L, 2, "lookup", "the key");
  std::string value;
  if (!kvs->getValue(key, value)) value.clear();
  lua_pushlstring(L, value.data(), value.size());
  return 1;
}

/// kvs:lookupSuffix(name [, minLabels [, wireFormat]]): the value of the longest suffix.
int kvsLookupSuffix(lua_State* L, Host&) {
  auto& kvs = checkUserdata<rules::KeyValueStorePtr>(L, 1, kKvsMeta);
  dns::Name n = toName(L, 2, "lookupSuffix");
  auto min = unsigned(
      lua_isnoneornil(L, 3) ? 0 : checkInteger(L, 3, "lookupSuffix", "the minimum labels", 0, 127));
  std::string value;
  for (const auto& k : rules::suffixKeys(n, min, optBool(L, 4, "lookupSuffix", true)))
    if (kvs->getValue(k, value)) {
      lua_pushlstring(L, value.data(), value.size());
      return 1;
    }
  lua_pushstring(L, "");
  return 1;
}

int kvsReload(lua_State* L, Host&) {
  lua_pushboolean(L, checkUserdata<rules::KeyValueStorePtr>(L, 1, kKvsMeta)->reload());
  return 1;
}

}  // namespace

void registerKvsBindings(lua_State* L) {
  registerUserdataType<rules::KeyValueStorePtr>(L, kKvsMeta,
                                                {{"lookup", wrap<kvsLookup>},
                                                 {"lookupSuffix", wrap<kvsLookupSuffix>},
                                                 {"reload", wrap<kvsReload>}});
  registerUserdataType<rules::LookupKeyPtr>(L, kLookupKeyMeta, {});
  static const Binding b[] = {
      {"newCDBKVStore", wrap<newCDBKVStore>},
      {"newLMDBKVStore", wrap<newLMDBKVStore>},
      {"KeyValueLookupKeyQName", wrap<keyQName>},
      {"KeyValueLookupKeySourceIP", wrap<keySourceIP>},
      {"KeyValueLookupKeySuffix", wrap<keySuffix>},
      {"KeyValueLookupKeyTag", wrap<keyTag>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
