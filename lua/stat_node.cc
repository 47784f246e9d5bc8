// SPDX-License-Identifier: GPL-2.0-only
/// StatNode objects for Lua visitors.
#include "lua/stat_node.hh"

#include <string>
#include <string_view>

#include "lua/binding.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

constexpr const char* kStatNodeMeta = "ballast.StatNode";

/// What a visitor sees of a node: a copy, so a visitor that keeps it holds no pointer into
/// a tree freed after the visit.
struct StatNodeView {
  std::string fullname;
  unsigned labelsCount = 0;
  size_t numChildren = 0;
  core::StatNodeStats stats;
};

StatNodeView& view(lua_State* L) {
  return checkUserdata<StatNodeView>(L, 1, kStatNodeMeta);
}

int numChildren(lua_State* L, Host&) {
  lua_pushinteger(L, lua_Integer(view(L).numChildren));
  return 1;
}

int statNodeIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));  // a method
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  const StatNodeView& v = view(L);
  const char* key = lua_tostring(L, 2);
  std::string_view k = key ? key : "";
  const core::StatNodeStats& s = v.stats;
  if (k == "fullname")
    lua_pushlstring(L, v.fullname.data(), v.fullname.size());
  else if (k == "labelsCount")
    lua_pushinteger(L, lua_Integer(v.labelsCount));
  else if (k == "queries")
    lua_pushnumber(L, double(s.queries));
  else if (k == "noerrors")
    lua_pushnumber(L, double(s.noerrors));
  else if (k == "nxdomains")
    lua_pushnumber(L, double(s.nxdomains));
  else if (k == "servfails")
    lua_pushnumber(L, double(s.servfails));
  else if (k == "drops")
    lua_pushnumber(L, double(s.drops));
  else if (k == "bytes")
    lua_pushnumber(L, double(s.bytes));
  else
    lua_pushnil(L);
  return 1;
}

}  // namespace

void registerStatNodeType(lua_State* L) {
  registerUserdataType<StatNodeView>(L, kStatNodeMeta, {{"numChildren", wrap<numChildren>}});
  setAttributes(L, kStatNodeMeta, statNodeIndex,
                {"fullname", "labelsCount", "queries", "noerrors", "nxdomains", "servfails",
                 "drops", "bytes"});
}

void pushStatNode(lua_State* L, const core::StatNode& node, const core::StatNodeStats& stats) {
  pushUserdata(L, kStatNodeMeta,
               StatNodeView{node.fullname(), node.labelsCount(), node.numChildren(), stats});
}

void visitStatNodes(lua_State* L, int fnIdx, const core::StatNode& root, int results,
                    const std::function<void(const core::StatNode&)>& each) {
  root.visit([&](const core::StatNode& n, const core::StatNodeStats& self,
                 const core::StatNodeStats& all) {
    lua_pushvalue(L, fnIdx);
    pushStatNode(L, n, self);
    pushStatNode(L, n, self);
    pushStatNode(L, n, all);
    if (lua_pcall(L, 3, results, 0) != 0) {
      std::string err = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error in the visitor";
      lua_pop(L, 1);
      throw ConfigError(err);
    }
    each(n);
  });
}

}  // namespace ballast::lua

#define BALLAST_FFI extern "C" __attribute__((visibility("default")))

BALLAST_FFI uint64_t dnsdist_ffi_stat_node_get_queries_count(const dnsdist_ffi_stat_node_t* n) {
  return n->self->queries;
}
BALLAST_FFI uint64_t dnsdist_ffi_stat_node_get_noerrors_count(const dnsdist_ffi_stat_node_t* n) {
  return n->self->noerrors;
}
BALLAST_FFI uint64_t dnsdist_ffi_stat_node_get_nxdomains_count(const dnsdist_ffi_stat_node_t* n) {
  return n->self->nxdomains;
}
BALLAST_FFI uint64_t dnsdist_ffi_stat_node_get_servfails_count(const dnsdist_ffi_stat_node_t* n) {
  return n->self->servfails;
}
BALLAST_FFI uint64_t dnsdist_ffi_stat_node_get_drops_count(const dnsdist_ffi_stat_node_t* n) {
  return n->self->drops;
}
BALLAST_FFI uint64_t dnsdist_ffi_stat_node_get_bytes(const dnsdist_ffi_stat_node_t* n) {
  return n->self->bytes;
}
BALLAST_FFI unsigned int dnsdist_ffi_stat_node_get_labels_count(const dnsdist_ffi_stat_node_t* n) {
  return n->node->labelsCount();
}
BALLAST_FFI void dnsdist_ffi_stat_node_get_full_name_raw(const dnsdist_ffi_stat_node_t* n,
                                                         const char** name, size_t* nameSize) {
  *name = n->node->fullname().data();
  *nameSize = n->node->fullname().size();
}
BALLAST_FFI unsigned int dnsdist_ffi_stat_node_get_children_count(
    const dnsdist_ffi_stat_node_t* n) {
  return unsigned(n->node->numChildren());
}
BALLAST_FFI uint64_t
dnsdist_ffi_stat_node_get_children_queries_count(const dnsdist_ffi_stat_node_t* n) {
  return n->children->queries;
}
BALLAST_FFI uint64_t
dnsdist_ffi_stat_node_get_children_noerrors_count(const dnsdist_ffi_stat_node_t* n) {
  return n->children->noerrors;
}
BALLAST_FFI uint64_t
dnsdist_ffi_stat_node_get_children_nxdomains_count(const dnsdist_ffi_stat_node_t* n) {
  return n->children->nxdomains;
}
BALLAST_FFI uint64_t
dnsdist_ffi_stat_node_get_children_servfails_count(const dnsdist_ffi_stat_node_t* n) {
  return n->children->servfails;
}
BALLAST_FFI uint64_t
dnsdist_ffi_stat_node_get_children_drops_count(const dnsdist_ffi_stat_node_t* n) {
  return n->children->drops;
}
BALLAST_FFI uint64_t
dnsdist_ffi_stat_node_get_children_bytes_count(const dnsdist_ffi_stat_node_t* n) {
  return n->children->bytes;
}
BALLAST_FFI void dnsdist_ffi_state_node_set_reason(dnsdist_ffi_stat_node_t* n, const char* reason,
                                                   size_t reasonSize) {
  n->reason->assign(reason, reasonSize);
}
