// SPDX-License-Identifier: GPL-2.0-only
/// Load-balancing policies written in Lua (issue 3): newServerPolicy, setServerPolicyLua,
/// setServerPolicyLuaFFI, setPoolServerPolicyLua, setPoolServerPolicyLuaFFI. The function
/// runs in the shared state under its lock, as dnsdist's Lua policies do.
#include <fmt/format.h>

#include <mutex>

#include "core/policy.hh"
#include "core/runtime_config.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/dnsquestion.hh"
#include "lua/ffi/ffi_api.hh"
#include "lua/lua_rules.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

const char kServerMeta[] = "ballast.Server";        // made by registerServerBindings
const char kPolicyMeta[] = "ballast.ServerPolicy";  // likewise
using ServerRef = std::shared_ptr<core::Backend>;
using PolicyRef = std::shared_ptr<const core::Policy>;

/// The query as rules see it, for the DNSQuestion handed to the policy.
core::rules::DQ makeDQ(const core::QueryContext& q) {
  core::rules::DQ dq;
  dq.packet = q.packet;
  dq.length = q.length;
  dq.capacity = q.capacity;
  dq.message = q.message;
  dq.qname = q.message.question().name.toName();
  dq.remote = &q.destination.client;
  dq.local = &q.destination.local;
  dq.tcp = q.destination.sink != nullptr;
  dq.query = const_cast<core::QueryContext*>(&q);
  dq.nowUsec = q.receivedUsec;
  return dq;
}

/// Plain Lua: fn(servers, dq) with the pool's servers as server objects, returning one of
/// them (or its position, from 1). FFI: fn(servers_list, dq) returning a position from 0.
class LuaPolicy : public core::Policy {
 public:
  LuaPolicy(std::string name, lua_State* L, int ref, bool ffi, std::mutex* lock)
      : name_(std::move(name)), L_(L), ref_(ref), ffi_(ffi), lock_(lock) {}
  const std::string& name() const override { return name_; }

  core::Backend* select(std::span<core::Backend* const> servers,
                        const core::QueryContext& q) const override {
    if (servers.empty()) return nullptr;
    core::rules::DQ dq = makeDQ(q);
    std::lock_guard lock(*lock_);
    int top = lua_gettop(L_);
    core::Backend* chosen = ffi_ ? callFfi(servers, dq) : callLua(servers, dq);
    lua_settop(L_, top);
    return chosen;
  }

 private:
  core::Backend* callLua(std::span<core::Backend* const> servers, core::rules::DQ& dq) const {
    // Server objects hold a reference: find each server's owner in the runtime.
    auto all = host(L_).target().servers();
    lua_rawgeti(L_, LUA_REGISTRYINDEX, ref_);
    lua_createtable(L_, int(servers.size()), 0);
    for (size_t i = 0; i < servers.size(); ++i) {
      auto it = std::find_if(all.begin(), all.end(),
                             [&](const ServerRef& s) { return s.get() == servers[i]; });
      if (it == all.end()) return nullptr;  // removed meanwhile
      pushUserdata(L_, kServerMeta, *it);
      lua_rawseti(L_, -2, int(i + 1));
    }
    pushDNSQuestion(L_, &dq);
    int dqIdx = lua_gettop(L_);
    lua_pushvalue(L_, dqIdx);
    lua_remove(L_, dqIdx);  // function, servers, dq
    if (lua_pcall(L_, 2, 1, 0) != 0) return fail();
    if (auto* s = testUserdata<ServerRef>(L_, -1, kServerMeta)) {
      for (core::Backend* b : servers)
        if (b == s->get()) return b;
      return nullptr;
    }
    if (lua_type(L_, -1) == LUA_TNUMBER) {
      lua_Integer i = lua_tointeger(L_, -1);
      return i >= 1 && size_t(i) <= servers.size() ? servers[size_t(i - 1)] : nullptr;
    }
    return nullptr;
  }

  core::Backend* callFfi(std::span<core::Backend* const> servers, core::rules::DQ& dq) const {
    dnsdist_ffi_servers_list_t list;
    list.servers.reserve(servers.size());
    for (core::Backend* b : servers) list.servers.push_back({b});
    dnsdist_ffi_dnsquestion_t fdq{&dq, {}};
    lua_rawgeti(L_, LUA_REGISTRYINDEX, ref_);
    lua_pushlightuserdata(L_, &list);
    lua_pushlightuserdata(L_, &fdq);
    if (lua_pcall(L_, 2, 1, 0) != 0) return fail();
    if (lua_type(L_, -1) != LUA_TNUMBER) return nullptr;
    lua_Integer i = lua_tointeger(L_, -1);
    return i >= 0 && size_t(i) < servers.size() ? servers[size_t(i)] : nullptr;
  }

  core::Backend* fail() const {
    static std::atomic<int> reported{0};
    if (reported.fetch_add(1, std::memory_order_relaxed) < 20)
      fmt::print(stderr, "Error in Lua server policy '{}': {}\n", name_,
                 lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "error");
    return nullptr;
  }

  std::string name_;
  lua_State* L_;
  int ref_;
  bool ffi_;
  std::mutex* lock_;
};

/// setServerPolicyLuaFFIPerThread: the FFI policy function returned by `code`, run in each
/// query thread's own state without the shared lock.
class PerThreadPolicy : public core::Policy {
 public:
  PerThreadPolicy(std::string name, std::string code)
      : name_(std::move(name)), code_(std::move(code)), id_(newPerThreadId()) {}
  const std::string& name() const override { return name_; }

  core::Backend* select(std::span<core::Backend* const> servers,
                        const core::QueryContext& q) const override {
    if (servers.empty()) return nullptr;
    auto* s = perThreadFunction(id_, code_);
    if (!s) return nullptr;
    lua_State* L = s->first;
    core::rules::DQ dq = makeDQ(q);
    dnsdist_ffi_servers_list_t list;
    list.servers.reserve(servers.size());
    for (core::Backend* b : servers) list.servers.push_back({b});
    dnsdist_ffi_dnsquestion_t fdq{&dq, {}};
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->second);
    lua_pushlightuserdata(L, &list);
    lua_pushlightuserdata(L, &fdq);
    core::Backend* chosen = nullptr;
    if (lua_pcall(L, 2, 1, 0) != 0) {
      static std::atomic<int> reported{0};
      if (reported.fetch_add(1, std::memory_order_relaxed) < 20)
        fmt::print(stderr, "Error in Lua server policy '{}': {}\n", name_,
                   lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_Integer i = lua_tointeger(L, -1);
      if (i >= 0 && size_t(i) < servers.size()) chosen = servers[size_t(i)];
    }
    lua_settop(L, top);
    return chosen;
  }

 private:
  std::string name_;
  std::string code_;
  uint64_t id_;
};

int setServerPolicyLuaFFIPerThread(lua_State* L, Host& h) {
  const char* fn = "setServerPolicyLuaFFIPerThread";
  std::string name = checkString(L, 1, fn, "the policy name");
  std::string code = checkString(L, 2, fn, "the code");
  checkPerThreadCode(code, fn);
  PolicyRef p = std::make_shared<PerThreadPolicy>(std::move(name), std::move(code));
  h.runtime.update([&](core::RuntimeConfig& c) { c.policy = p; });
  return 0;
}

PolicyRef makeLuaPolicy(lua_State* L, const char* fn, bool ffi) {
  std::string name = checkString(L, 1, fn, "the policy name");
  if (lua_type(L, 2) != LUA_TFUNCTION) throw ConfigError(std::string(fn) + ": expects a function");
  lua_pushvalue(L, 2);
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);  // kept for the process's life, as Lua rules
  return std::make_shared<LuaPolicy>(std::move(name), L, ref, ffi, sharedLock(L));
}

int newServerPolicy(lua_State* L, Host&) {
  pushUserdata(L, kPolicyMeta, makeLuaPolicy(L, "newServerPolicy", false));
  return 1;
}

template <bool Ffi>
int setServerPolicyLua(lua_State* L, Host& h) {
  auto p = makeLuaPolicy(L, Ffi ? "setServerPolicyLuaFFI" : "setServerPolicyLua", Ffi);
  h.target().update([&](core::RuntimeConfig& c) { c.policy = p; });
  return 0;
}

template <bool Ffi>
int setPoolServerPolicyLua(lua_State* L, Host& h) {
  const char* fn = Ffi ? "setPoolServerPolicyLuaFFI" : "setPoolServerPolicyLua";
  std::string pool = checkString(L, 3, fn, "the pool name");
  auto p = makeLuaPolicy(L, fn, Ffi);
  h.target().update([&](core::RuntimeConfig& c) { core::setPoolPolicy(c, pool, p); });
  return 0;
}

}  // namespace

void registerLuaPolicyBindings(lua_State* L) {
  static const Binding b[] = {
      {"newServerPolicy", wrap<newServerPolicy>},
      {"setServerPolicyLua", wrap<setServerPolicyLua<false>>},
      {"setServerPolicyLuaFFI", wrap<setServerPolicyLua<true>>},
      {"setServerPolicyLuaFFIPerThread", wrap<setServerPolicyLuaFFIPerThread>},
      {"setPoolServerPolicyLua", wrap<setPoolServerPolicyLua<false>>},
      {"setPoolServerPolicyLuaFFI", wrap<setPoolServerPolicyLua<true>>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
