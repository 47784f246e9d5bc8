// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The Lua userdata of the rule engine (selectors, actions, netmask groups, suffix sets) and
/// the readers the rule binding files share.
#include <lua.hpp>

#include <string>
#include <vector>

#include "core/netmask.hh"
#include "core/rules/actions.hh"
#include "core/rules/selectors.hh"

namespace ballast::lua {

inline constexpr const char* kSelectorMeta = "ballast.Selector";
inline constexpr const char* kActionMeta = "ballast.Action";
inline constexpr const char* kResponseActionMeta = "ballast.ResponseAction";
inline constexpr const char* kNmgMeta = "ballast.NetmaskGroup";
inline constexpr const char* kSmnMeta = "ballast.SuffixMatchNode";
inline constexpr const char* kRuleActionMeta = "ballast.RuleAction";
inline constexpr const char* kSvcMeta = "ballast.SVCRecordParameters";
inline constexpr const char* kKvsMeta = "ballast.KeyValueStore";
inline constexpr const char* kLookupKeyMeta = "ballast.KeyValueLookupKey";

/// dnsdist's DNSAction values (the DNSAction table), returned by Lua actions and taken by
/// dynamic blocks.
enum LuaDNSAction {
  kAllow,
  kDelay,
  kDrop,
  kHeaderModify,
  kNxdomain,
  kPool,
  kRefused,
  kSpoofed,
  kTruncate,
  kServFail,
  kNone,
  kNoOp,
  kSpoofRaw,
  kNoRecurse,
};

/// newRuleAction(selector, action, {name=, uuid=}): one entry for setRules.
struct RuleActionValue {
  core::rules::SelectorPtr selector;
  core::rules::ActionPtr action;
  std::string name;
  std::string uuid;
};

/// A selector: a Selector userdata, or (dnsdist's makeRule) a string or list of strings,
/// each a netmask or a domain.
core::rules::SelectorPtr toSelector(lua_State* L, int idx, const char* fn);
/// A netmask group: a NetmaskGroup userdata, a string or a list of strings.
core::NetmaskGroup toNetmaskGroup(lua_State* L, int idx, const char* fn);
/// A qtype: a number or a name ("AAAA").
uint16_t toQType(lua_State* L, int idx, const char* fn);
/// PROXY protocol values from a table {[type] = "content", ...} (types 0 to 255), in
/// increasing type order. Throws ConfigError.
std::vector<dns::proxy::Value> toProxyValues(lua_State* L, int idx, const char* fn);
/// A whole number in [min, max].
int64_t checkInteger(lua_State* L, int idx, const char* fn, const char* what, int64_t min,
                     int64_t max);

void registerRuleTypes(lua_State* L);
/// newCDBKVStore, newLMDBKVStore, KeyValueLookupKey*, the KeyValueStore methods (bind_kvs).
void registerKvsBindings(lua_State* L);
/// DNSRCode, DNSQType, DNSClass, DNSOpcode, DNSAction: also in per-thread states.
void registerDnsConstants(lua_State* L);  ///< metatables, newNMG, newSuffixMatchNode, DNS* tables

}  // namespace ballast::lua
