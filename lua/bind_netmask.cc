// SPDX-License-Identifier: GPL-2.0-only
/// Netmask objects (newNetmask), newCA, ComboAddress:ipencrypt/ipdecrypt and
/// makeIPCipherKey, and what dnsdist 1.7 has beyond rule_types.cc on
/// NetmaskGroup (clear) and SuffixMatchNode (remove).
#include <string>

#include "core/netmask.hh"
#include "core/rules/selectors.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/ipcipher.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

core::Netmask& mask(lua_State* L) {
  return checkUserdata<core::Netmask>(L, 1, kNetmaskMeta);
}

/// newNetmask("192.0.2.0/24") or newNetmask(ComboAddress, bits).
int newNetmask(lua_State* L, Host&) {
  try {
    if (auto* a = testUserdata<core::Address>(L, 1, kComboAddressMeta)) {
      unsigned max = a->isV4() ? 32 : 128;
      unsigned bits =
          lua_isnoneornil(L, 2)
              ? max
              : unsigned(checkInteger(L, 2, "newNetmask", "the number of bits", 0, 255));
      pushUserdata(L, kNetmaskMeta, core::Netmask::fromAddress(*a, bits));
      return 1;
    }
    std::string text = checkString(L, 1, "newNetmask", "the netmask");
    if (!lua_isnoneornil(L, 2))
      text += "/" + std::to_string(checkInteger(L, 2, "newNetmask", "the number of bits", 0, 128));
    pushUserdata(L, kNetmaskMeta, core::Netmask::parse(text));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("newNetmask: ") + e.what());
  }
  return 1;
}

int nmToString(lua_State* L) {
  lua_pushstring(L, mask(L).toString().c_str());
  return 1;
}
int nmGetBits(lua_State* L, Host&) {
  lua_pushinteger(L, mask(L).bits());
  return 1;
}
int nmGetNetwork(lua_State* L, Host&) {
  pushUserdata(L, kComboAddressMeta, mask(L).network());
  return 1;
}
int nmEmpty(lua_State* L, Host&) {
  lua_pushboolean(L, mask(L).empty());
  return 1;
}
int nmIsIPv4(lua_State* L, Host&) {
  lua_pushboolean(L, mask(L).family() == AF_INET);
  return 1;
}
int nmIsIPv6(lua_State* L, Host&) {
  lua_pushboolean(L, mask(L).family() == AF_INET6);
  return 1;
}
/// An address as text or a ComboAddress.
int nmMatch(lua_State* L, Host&) {
  const auto& m = mask(L);
  if (auto* a = testUserdata<core::Address>(L, 2, kComboAddressMeta)) {
    lua_pushboolean(L, m.match(*a));
    return 1;
  }
  std::string text = checkString(L, 2, "match", "the address");
  try {
    lua_pushboolean(L, m.match(core::Address::parse(text, 0)));
  } catch (const std::invalid_argument&) {
    // dnsdist's Netmask:match(string) is false for what is not an address.
    lua_pushboolean(L, 0);
  }
  return 1;
}
int nmEqual(lua_State* L) {
  auto* a = testUserdata<core::Netmask>(L, 1, kNetmaskMeta);
  auto* b = testUserdata<core::Netmask>(L, 2, kNetmaskMeta);
  lua_pushboolean(L, a && b && *a == *b);
  return 1;
}

int newCA(lua_State* L, Host&) {
  std::string text = checkString(L, 1, "newCA", "the address");
  try {
    pushUserdata(L, kComboAddressMeta, core::Address::parse(text, 0));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("newCA: ") + e.what());
  }
  return 1;
}

/// ComboAddress:ipencrypt(key) / ipdecrypt(key): a new ComboAddress (lua/ipcipher.hh).
template <bool Encrypt>
int addrCrypt(lua_State* L, Host&) {
  const auto& a = checkUserdata<core::Address>(L, 1, kComboAddressMeta);
  const char* fn = Encrypt ? "ipencrypt" : "ipdecrypt";
  std::string key = checkString(L, 2, fn, "the key");
  try {
    pushUserdata(L, kComboAddressMeta, Encrypt ? ipEncrypt(a, key) : ipDecrypt(a, key));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  return 1;
}

int makeIPCipherKeyFn(lua_State* L, Host&) {
  std::string key = makeIPCipherKey(checkString(L, 1, "makeIPCipherKey", "the password"));
  lua_pushlstring(L, key.data(), key.size());
  return 1;
}

int nmgClear(lua_State* L, Host&) {
  checkUserdata<core::NetmaskGroup>(L, 1, kNmgMeta).clear();
  return 0;
}

/// Removes a suffix added before (a name or a DNSName); nothing if it was not there.
int smnRemove(lua_State* L, Host&) {
  auto& s = checkUserdata<core::rules::SuffixMatchNode>(L, 1, kSmnMeta);
  try {
    for (const auto& n : checkStrings(L, 2, "remove", "the name"))
      s.remove(dns::Name::fromString(n));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("remove: ") + e.what());
  }
  return 0;
}

}  // namespace

void registerNetmaskBindings(lua_State* L) {
  registerUserdataType<core::Netmask>(L, kNetmaskMeta,
                                      {{"getBits", wrap<nmGetBits>},
                                       {"getNetwork", wrap<nmGetNetwork>},
                                       {"getMaskedNetwork", wrap<nmGetNetwork>},
                                       {"empty", wrap<nmEmpty>},
                                       {"isIPv4", wrap<nmIsIPv4>},
                                       {"isIpv4", wrap<nmIsIPv4>},  // dnsdist has both spellings
                                       {"isIPv6", wrap<nmIsIPv6>},
                                       {"isIpv6", wrap<nmIsIPv6>},
                                       {"match", wrap<nmMatch>},
                                       {"toString", nmToString}},
                                      nmToString);
  luaL_getmetatable(L, kNetmaskMeta);
  lua_pushcfunction(L, nmEqual);
  lua_setfield(L, -2, "__eq");
  lua_pop(L, 1);
  setTextConversion(L, kNetmaskMeta, nmToString);
  addUserdataMethods(L, kNmgMeta, {{"clear", wrap<nmgClear>}});
  addUserdataMethods(L, kSmnMeta, {{"remove", wrap<smnRemove>}});
  addUserdataMethods(L, kComboAddressMeta,
                     {{"ipencrypt", wrap<addrCrypt<true>>}, {"ipdecrypt", wrap<addrCrypt<false>>}});
  static const Binding b[] = {
      {"newNetmask", wrap<newNetmask>},
      {"newCA", wrap<newCA>},
      {"makeIPCipherKey", wrap<makeIPCipherKeyFn>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
