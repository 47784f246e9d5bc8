// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One registration function per API area (one binding file each).
#include <lua.hpp>

namespace ballast::lua {

void registerServerBindings(lua_State* L);    ///< newServer, showServers, policies
void registerFrontendBindings(lua_State* L);  ///< addLocal, setLocal, UDP sizes
void registerAclBindings(lua_State* L);       ///< setACL, addACL, showACL
void registerSettingBindings(lua_State* L);   ///< runtime settings, statistics, includes
void registerPoolBindings(lua_State* L);
void registerTcpBindings(lua_State* L);       ///< addTLSLocal, setMaxTCP*, showTCPStats      ///< getPool, showPools, wrandom/whashed/chashed, knobs

}  // namespace ballast::lua
