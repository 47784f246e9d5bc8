// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One registration function per API area (one binding file each).
#include <lua.hpp>

#include <string>

#include "core/packet_cache.hh"
#include "core/socket_options.hh"
#include "frontend/tls_context.hh"

namespace ballast::lua {

void registerServerBindings(lua_State* L);    ///< newServer, showServers, policies
void registerFrontendBindings(lua_State* L);  ///< addLocal, setLocal, UDP sizes
void registerAclBindings(lua_State* L);       ///< setACL, addACL, showACL
void registerSettingBindings(lua_State* L);   ///< runtime settings, statistics, includes
void registerPoolBindings(lua_State* L);      ///< getPool, showPools, wrandom/whashed/chashed, knobs
void registerCacheBindings(lua_State* L);     ///< newPacketCache, pool:setCache, stale settings
void registerEcsBindings(lua_State* L);       ///< setECSSourcePrefixV4/V6, setECSOverride, pool:setECS
void registerConsoleBindings(lua_State* L);   ///< controlSocket, setKey, dumpStats, shutdown...
void registerResolverBindings(lua_State* L);  ///< newResolver, showResolvers, setResolverTracing
void registerWebBindings(lua_State* L);       ///< webserver, setWebserverConfig, carbonServer, ...
void registerRuleBindings(lua_State* L);      ///< selectors, actions, rule chains (bind_rules)
void registerRuleChainBindings(lua_State* L); ///< addAction, showRules, rmRule... (bind_rule_chains)
void registerRingBindings(lua_State* L);      ///< setRingBuffersSize, top*, grepq
void registerDynBlockBindings(lua_State* L);  ///< newDynBlockRulesGroup, addDynBlocks, showDynBlocks...
void registerLuaPolicyBindings(lua_State* L); ///< newServerPolicy, setServerPolicyLua(FFI), setPoolServerPolicyLua(FFI)
void registerTcpBindings(lua_State* L);       ///< addTLSLocal, setMaxTCP*, showTCPStats
void registerDohBindings(lua_State* L);       ///< addDOHLocal, getDOHFrontend, showDOH*
/// newNetmask and Netmask, newCA, NetmaskGroup:clear, SuffixMatchNode:remove (after
/// registerRuleBindings: adds to its metatables).
void registerNetmaskBindings(lua_State* L);
void registerDNSNameSetBindings(lua_State* L);  ///< newDNSNameSet and DNSNameSet
/// newRemoteLogger, newFrameStream*Logger, RemoteLog*Action, DnstapLog*Action (logging/).
void registerRemoteLoggingBindings(lua_State* L);

class Options;
/// The listening-socket options addLocal, addTLSLocal and addDOHLocal share (interface,
/// cpus, tcpListenQueueSize, tcpFastOpenQueueSize), read from `o` (bind_frontend.cc).
core::ListenOptions readListenOptions(Options& o);

/// The TLS options addTLSLocal and addDOHLocal share, read from `o` into `tls` (bind_tcp.cc).
void readTlsOptions(Options& o, frontend::TlsConfig& tls);

/// "entries/maxEntries" for showPools; "" without a cache.
std::string poolCacheDescription(const core::PacketCache* c);

}  // namespace ballast::lua
