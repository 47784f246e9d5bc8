// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// newServer{checkFunction=fn}: dnsdist's health-check function, called before each check
/// query as fn(qname, qtype, qclass, dh); it may change the header through dh (dh:setCD)
/// and returns the qname (a DNSName or a string), qtype and qclass to ask. It runs on the
/// health-check thread, on the shared Lua state under its lock (Host::withLua).
#include <lua.hpp>

#include <memory>

#include "core/backend.hh"
#include "lua/host.hh"

namespace ballast::lua {

/// The function at the top of the stack (popped) as the check query builder.
std::shared_ptr<core::CheckQueryBuilder> makeCheckFunction(lua_State* L, Host& h);

/// newDNSName(name): a DNSName, as a checkFunction returns.
int newDNSName(lua_State* L, Host& h);

}  // namespace ballast::lua
