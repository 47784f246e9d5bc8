// SPDX-License-Identifier: GPL-2.0-only
/// The client ACL: setACL, setACLFromFile, addACL, rmACL, showACL; setProxyProtocolACL.
#include <fmt/format.h>

#include <fstream>

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

/// The netmasks of a file, one a line; blank lines and lines starting with '#' skipped.
int setACLFromFile(lua_State* L, Host& h) {
  std::string file = checkString(L, 1, "setACLFromFile", "the file name");
  std::ifstream in(file);
  if (!in) throw ConfigError("setACLFromFile: cannot open '" + file + "'");
  core::NetmaskGroup acl;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    std::string mask = line.substr(b, line.find_last_not_of(" \t\r") + 1 - b);
    try {
      acl.add(mask);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(fmt::format("setACLFromFile: {}:{}: {}", file, n, e.what()));
    }
  }
  h.runtime.update([&](core::RuntimeConfig& c) { c.acl = acl; });
  return 0;
}

int addACL(lua_State* L, Host& h) {
  std::string mask = checkString(L, 1, "addACL", "the netmask");
  core::NetmaskGroup probe;
  probe.add(mask);  // validate before touching the live ACL
  h.target().update([&](core::RuntimeConfig& c) { c.acl.add(mask); });
  return 0;
}

int rmACL(lua_State* L, Host& h) {
  std::string mask = checkString(L, 1, "rmACL", "the netmask");
  core::NetmaskGroup probe;
  probe.add(mask);  // validate before touching the live ACL
  h.runtime.update([&](core::RuntimeConfig& c) { c.acl.remove(mask); });
  return 0;
}

int setProxyProtocolACL(lua_State* L, Host& h) {
  core::NetmaskGroup acl;
  for (const auto& m : checkStrings(L, 1, "setProxyProtocolACL", "the netmasks")) acl.add(m);
  h.target().update([&](core::RuntimeConfig& c) { c.proxyProtocolACL = acl; });
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
      {"setACL", wrap<setACL>},   {"setACLFromFile", wrap<setACLFromFile>},
      {"rmACL", wrap<rmACL>},     {"addACL", wrap<addACL>},
      {"showACL", wrap<showACL>}, {"setProxyProtocolACL", wrap<setProxyProtocolACL>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
