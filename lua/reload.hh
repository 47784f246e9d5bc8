// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Configuration reload helpers shared by the binding files (LuaConfig::reload is in
/// lua/reload.cc): the key by which a reload recognises a server it already runs.
#include <lua.hpp>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "core/runtime.hh"

namespace ballast::backends::resolver {
class Resolver;
}

namespace ballast::lua {

/// The option table at `idx` as canonical text (keys sorted, nested tables included),
/// leaving out the keys in `skip`: two calls with the same options give the same text.
/// Empty when the table holds a function or userdata, which cannot be compared: such a
/// server is never kept by a reload.
std::string optionsKey(lua_State* L, int idx, std::initializer_list<std::string_view> skip);

/// The resolver-NAME-* statistics of newResolver (bind_resolver.cc). A reload registers
/// those of the resolvers it starts and drops those of the ones it stops.
void registerResolverStats(core::Runtime& rt,
                           const std::shared_ptr<backends::resolver::Resolver>& r);
void unregisterResolverStats(core::Runtime& rt, const std::string& name);

}  // namespace ballast::lua
