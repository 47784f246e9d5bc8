// SPDX-License-Identifier: GPL-2.0-only
#include "lua/lua_rules.hh"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "dns/header.hh"
#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/dnsquestion.hh"
#include "lua/ffi/ffi_api.hh"
#include "lua/rule_types.hh"

namespace ballast::lua {

namespace rules = core::rules;

namespace {

const char kLockKey = 0;  // its address is the registry key

}  // namespace

std::mutex* sharedLock(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kLockKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  auto* m = static_cast<std::mutex*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return m;
}

namespace {

/// Errors in per-query Lua are reported on stderr, a few times only: a script failing on
/// every query must not flood the log.
void reportError(const std::string& what, const char* msg) {
  static std::atomic<int> reported{0};
  if (reported.fetch_add(1, std::memory_order_relaxed) < 20)
    fmt::print(stderr, "Error in {}: {}\n", what, msg ? msg : "unknown error");
}

/// Calls the function `ref` of `L` on `dq`; leaves its `results` results on the stack (or
/// returns false after reporting the error). The caller holds what protects `L`.
bool call(lua_State* L, int ref, rules::DQ& dq, bool ffi, int results,
          dnsdist_ffi_dnsquestion_t& fdq, const std::string& what) {
  int dqIdx = 0;
  if (!ffi) {
    pushDNSQuestion(L, &dq);  // kept below the call, to invalidate it afterwards
    dqIdx = lua_gettop(L);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  if (ffi) {
    fdq.dq = &dq;
    lua_pushlightuserdata(L, &fdq);
  } else {
    lua_pushvalue(L, dqIdx);
  }
  int rc = lua_pcall(L, 1, results, 0);
  if (!ffi) {
    invalidateDNSQuestion(L, dqIdx);
    lua_remove(L, dqIdx);
  }
  if (rc != 0) {
    reportError(what, lua_tostring(L, -1));
    lua_pop(L, 1);
    return false;
  }
  return true;
}

int takeRef(lua_State* L, int idx, const char* fn) {
  if (lua_type(L, idx) != LUA_TFUNCTION)
    throw ConfigError(std::string(fn) + ": expects a function");
  lua_pushvalue(L, idx);
  // Never released: a rule may outlive the state's lock holder at shutdown, and a few
  // registry slots per removed Lua rule are cheap.
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

class SharedLuaSelector : public rules::Selector {
 public:
  SharedLuaSelector(lua_State* L, int ref, bool ffi)
      : L_(L), ref_(ref), ffi_(ffi), lock_(sharedLock(L)) {}
  bool matches(const rules::DQ& dq) const override {
    std::lock_guard lock(*lock_);
    dnsdist_ffi_dnsquestion_t fdq{nullptr, {}};
    if (!call(L_, ref_, const_cast<rules::DQ&>(dq), ffi_, 1, fdq, describe())) return false;
    bool m = lua_toboolean(L_, -1);
    lua_pop(L_, 1);
    return m;
  }
  std::string describe() const override { return ffi_ ? "Lua FFI script" : "Lua script"; }

 private:
  lua_State* L_;
  int ref_;
  bool ffi_;
  std::mutex* lock_;
};

/// Reads (action [, argument]) left by call() and pops them; an FFI function returns the
/// action alone and leaves its argument in `ffiResult`.
std::pair<int, std::string> popAction(lua_State* L, const std::string& ffiResult, bool ffi) {
  int action = int(lua_tointeger(L, ffi ? -1 : -2));
  std::string arg = ffiResult;
  if (!ffi && lua_isstring(L, -1)) {
    size_t len = 0;
    const char* p = lua_tolstring(L, -1, &len);
    arg.assign(p, len);  // binary-safe: a DNSAction.SpoofRaw value holds NULs
  } else if (!ffi) {
    arg.clear();
  }
  lua_pop(L, ffi ? 1 : 2);
  return {action, std::move(arg)};
}

rules::Verdict popVerdict(lua_State* L, rules::DQ& dq, const std::string& ffiResult, bool ffi) {
  auto [action, arg] = popAction(L, ffiResult, ffi);
  return verdictFromLua(action, arg, dq);
}

/// A Lua action or response action on the shared state, under its lock. `Pop` reads what
/// the function returned into a verdict.
template <typename Base, typename V, V (*Pop)(lua_State*, rules::DQ&, const std::string&, bool)>
class SharedLua final : public Base {
 public:
  SharedLua(lua_State* L, int ref, bool ffi) : L_(L), ref_(ref), ffi_(ffi), lock_(sharedLock(L)) {}
  V apply(rules::DQ& dq) const override {
    std::lock_guard lock(*lock_);
    dnsdist_ffi_dnsquestion_t fdq{nullptr, {}};
    if (!call(L_, ref_, dq, ffi_, ffi_ ? 1 : 2, fdq, describe())) return V::None;
    return Pop(L_, dq, fdq.result, ffi_);
  }
  std::string describe() const override { return ffi_ ? "Lua FFI script" : "Lua script"; }

 private:
  lua_State* L_;
  int ref_;
  bool ffi_;
  std::mutex* lock_;
};

using SharedLuaAction = SharedLua<rules::Action, rules::Verdict, popVerdict>;

/// A fresh state with the FFI interface declared, where `code` has returned a function
/// (referenced in the registry). Throws with the reason.
std::pair<lua_State*, int> makeThreadState(const std::string& code) {
  lua_State* L = luaL_newstate();
  if (!L) throw std::runtime_error("cannot create a Lua state");
  luaL_openlibs(L);
  declareFfiInterface(L);
  registerDnsConstants(L);
  if (luaL_loadbuffer(L, code.data(), code.size(), "=per-thread code") != 0 ||
      lua_pcall(L, 0, 1, 0) != 0) {
    std::string msg = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error";
    lua_close(L);
    throw std::invalid_argument(msg);
  }
  if (lua_type(L, -1) != LUA_TFUNCTION) {
    lua_close(L);
    throw std::invalid_argument("the code must return a function");
  }
  return {L, luaL_ref(L, LUA_REGISTRYINDEX)};
}

/// This thread's states, one per per-thread rule (by id), closed when the thread ends.
struct ThreadStates {
  std::unordered_map<uint64_t, std::pair<lua_State*, int>> states;
  ~ThreadStates() {
    for (auto& [id, s] : states) lua_close(s.first);
  }
};

std::pair<lua_State*, int>* threadState(uint64_t id, const std::string& code) {
  thread_local ThreadStates mine;
  auto it = mine.states.find(id);
  if (it != mine.states.end()) return &it->second;
  try {
    return &mine.states.emplace(id, makeThreadState(code)).first->second;
  } catch (const std::exception& e) {
    reportError("per-thread Lua code", e.what());
    return nullptr;
  }
}

std::atomic<uint64_t> nextPerThreadId{1};

class PerThreadSelector : public rules::Selector {
 public:
  explicit PerThreadSelector(std::string code) : code_(std::move(code)), id_(nextPerThreadId++) {}
  bool matches(const rules::DQ& dq) const override {
    auto* s = threadState(id_, code_);
    if (!s) return false;
    dnsdist_ffi_dnsquestion_t fdq{nullptr, {}};
    if (!call(s->first, s->second, const_cast<rules::DQ&>(dq), true, 1, fdq, describe()))
      return false;
    bool m = lua_toboolean(s->first, -1);
    lua_pop(s->first, 1);
    return m;
  }
  std::string describe() const override { return "Lua FFI per-thread script"; }

 private:
  std::string code_;
  uint64_t id_;
};

/// A Lua FFI action or response action in a state of each thread's own.
template <typename Base, typename V, V (*Pop)(lua_State*, rules::DQ&, const std::string&, bool)>
class PerThread final : public Base {
 public:
  explicit PerThread(std::string code) : code_(std::move(code)), id_(nextPerThreadId++) {}
  V apply(rules::DQ& dq) const override {
    auto* s = threadState(id_, code_);
    if (!s) return V::None;
    dnsdist_ffi_dnsquestion_t fdq{nullptr, {}};
    if (!call(s->first, s->second, dq, true, 1, fdq, describe())) return V::None;
    return Pop(s->first, dq, fdq.result, true);
  }
  std::string describe() const override { return "Lua FFI per-thread script"; }

 private:
  std::string code_;
  uint64_t id_;
};

using PerThreadAction = PerThread<rules::Action, rules::Verdict, popVerdict>;

/// What a response function returned (a DNSResponseAction value and, for Delay, the delay
/// in milliseconds), as a verdict on the response.
rules::ResponseVerdict responseVerdict(int action, const std::string& arg, rules::DQ& dr) {
  switch (action) {
    case kAllow:
      return rules::ResponseVerdict::Allow;
    case kDrop:
      return rules::ResponseVerdict::Drop;
    case kServFail:
      dns::HeaderRef(dr.packet).setRcode(dns::rcode::ServFail);
      return rules::ResponseVerdict::Allow;
    case kHeaderModify:
      return rules::ResponseVerdict::Allow;
    case kDelay:
      if (dr.delayMsec) {
        char* end = nullptr;
        unsigned long ms = std::strtoul(arg.c_str(), &end, 10);
        if (end != arg.c_str()) *dr.delayMsec = uint32_t(std::min(ms, 3600000UL));
      }
      return rules::ResponseVerdict::None;
    default:
      return rules::ResponseVerdict::None;
  }
}

rules::ResponseVerdict popResponseVerdict(lua_State* L, rules::DQ& dr, const std::string& ffiResult,
                                          bool ffi) {
  auto [action, arg] = popAction(L, ffiResult, ffi);
  return responseVerdict(action, arg, dr);
}

using SharedLuaResponseAction =
    SharedLua<rules::ResponseAction, rules::ResponseVerdict, popResponseVerdict>;

using PerThreadResponseAction =
    PerThread<rules::ResponseAction, rules::ResponseVerdict, popResponseVerdict>;

void checkCode(const std::string& code, const char* fn) {
  try {
    lua_close(makeThreadState(code).first);
  } catch (const std::exception& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
}

}  // namespace

void declareFfiInterface(lua_State* L) {
  std::string prelude =
      std::string("local ffi = require('ffi')\nffi.cdef[[") + ffi::kFfiCdef + "]]\n";
  if (luaL_loadbuffer(L, prelude.data(), prelude.size(), "=ffi-interface") != 0 ||
      lua_pcall(L, 0, 0, 0) != 0)
    throw std::logic_error(std::string("the FFI interface does not load: ") + lua_tostring(L, -1));
}

void setSharedLock(lua_State* L, std::mutex* m) {
  ffi::linkApi();
  declareFfiInterface(L);  // LuaFFIRule and LuaFFIAction functions run in this state
  lua_pushlightuserdata(L, const_cast<char*>(&kLockKey));
  lua_pushlightuserdata(L, m);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

rules::SelectorPtr makeLuaRule(lua_State* L, int idx, bool ffi) {
  return std::make_shared<SharedLuaSelector>(L, takeRef(L, idx, ffi ? "LuaFFIRule" : "LuaRule"),
                                             ffi);
}
rules::ActionPtr makeLuaAction(lua_State* L, int idx, bool ffi) {
  return std::make_shared<SharedLuaAction>(L, takeRef(L, idx, ffi ? "LuaFFIAction" : "LuaAction"),
                                           ffi);
}
rules::SelectorPtr makePerThreadRule(const std::string& code) {
  checkCode(code, "LuaFFIPerThreadRule");
  return std::make_shared<PerThreadSelector>(code);
}
rules::ActionPtr makePerThreadAction(const std::string& code) {
  checkCode(code, "LuaFFIPerThreadAction");
  return std::make_shared<PerThreadAction>(code);
}
uint64_t newPerThreadId() {
  return nextPerThreadId++;
}
void checkPerThreadCode(const std::string& code, const char* fn) {
  checkCode(code, fn);
}
std::pair<lua_State*, int>* perThreadFunction(uint64_t id, const std::string& code) {
  return threadState(id, code);
}

rules::ResponseActionPtr makeLuaResponseAction(lua_State* L, int idx, bool ffi) {
  return std::make_shared<SharedLuaResponseAction>(
      L, takeRef(L, idx, ffi ? "LuaFFIResponseAction" : "LuaResponseAction"), ffi);
}
rules::ResponseActionPtr makePerThreadResponseAction(const std::string& code) {
  checkCode(code, "LuaFFIPerThreadResponseAction");
  return std::make_shared<PerThreadResponseAction>(code);
}

}  // namespace ballast::lua
