// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// dnsdist's StatNode objects, as the visitors of statNodeRespRing and
/// DynBlockRulesGroup:setSuffixMatchRule receive them.
#include <lua.hpp>

#include <functional>
#include <string>

#include "core/stat_node.hh"

/// What setSuffixMatchRuleFFI's visitor receives (defined for the dnsdist_ffi_stat_node_*
/// functions of kFfiCdef, in stat_node.cc): a node, its own counts, its counts with those
/// below, and the reason the visitor may set.
struct dnsdist_ffi_stat_node_t {
  const ballast::core::StatNode* node;
  const ballast::core::StatNodeStats* self;
  const ballast::core::StatNodeStats* children;
  std::string* reason;
};

namespace ballast::lua {

/// Declares the StatNode type: fullname, labelsCount, queries, noerrors, nxdomains,
/// servfails, drops, bytes, and numChildren().
void registerStatNodeType(lua_State* L);

/// Pushes a StatNode object for `node` carrying the counts `stats` (a copy: the object
/// outlives the visit safely).
void pushStatNode(lua_State* L, const core::StatNode& node, const core::StatNodeStats& stats);

/// Calls the Lua function at `fnIdx` with (node, self, all) for every node of `root`, as
/// dnsdist's visitors are called; `results` return values are left on the stack for
/// `each` to read and pop. A Lua error in the visitor becomes a ConfigError.
void visitStatNodes(lua_State* L, int fnIdx, const core::StatNode& root, int results,
                    const std::function<void(const core::StatNode&)>& each);

}  // namespace ballast::lua
