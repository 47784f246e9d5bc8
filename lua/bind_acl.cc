// SPDX-License-Identifier: GPL-2.0-only
/// The client ACL: setACL, addACL, showACL.
#include "lua/binding.hh"
#include "lua/bindings.hh"

namespace ballast::lua {

namespace {

int setACL(lua_State* L, Host& h) {
  core::NetmaskGroup acl;
  for (const auto& m : checkStrings(L, 1, "setACL", "the ACL")) acl.add(m);
  h.target().update([&](core::RuntimeConfig& c) { c.acl = acl; });
  return 0;
}

int addACL(lua_State* L, Host& h) {
  std::string mask = checkString(L, 1, "addACL", "the netmask");
  core::NetmaskGroup probe;
  probe.add(mask);  // validate before touching the live ACL
  h.target().update([&](core::RuntimeConfig& c) { c.acl.add(mask); });
  return 0;
}

int showACL(lua_State*, Host& h) {
  std::string out;
  for (const auto& m : h.target().current()->acl.toStrings()) out += m + "\n";
  h.out(out);
  return 0;
}

}  // namespace

void registerAclBindings(lua_State* L) {
  static const Binding b[] = {
      {"setACL", wrap<setACL>},
      {"addACL", wrap<addACL>},
      {"showACL", wrap<showACL>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
