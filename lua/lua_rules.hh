// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Selectors and actions written in Lua. LuaRule, LuaAction, LuaFFIRule and LuaFFIAction
/// call a function of the shared configuration state under its lock (as dnsdist: slow,
/// one query at a time); LuaFFIPerThreadRule and LuaFFIPerThreadAction run their code in
/// one LuaJIT state per query thread, made on first use, and take no lock.
#include <lua.hpp>

#include <mutex>
#include <string>
#include <utility>

#include "core/rules/actions.hh"
#include "core/rules/selectors.hh"

namespace ballast::lua {

/// The lock of the shared state `L` (set by LuaConfig), taken by the shared-state rules.
void setSharedLock(lua_State* L, std::mutex* m);

/// The lock set by setSharedLock.
std::mutex* sharedLock(lua_State* L);

/// Declares the FFI interface (ffi.cdef) in `L`, as every state running FFI code needs.
void declareFfiInterface(lua_State* L);

/// The function at `idx` of the shared state, called with a DNSQuestion (or, `ffi`, with a
/// dnsdist_ffi_dnsquestion_t pointer).
core::rules::SelectorPtr makeLuaRule(lua_State* L, int idx, bool ffi);
core::rules::ActionPtr makeLuaAction(lua_State* L, int idx, bool ffi);
/// `code`, a chunk returning the function, run in each query thread's own state; checked
/// once here so that a mistake fails at configuration time.
core::rules::SelectorPtr makePerThreadRule(const std::string& code);
core::rules::ActionPtr makePerThreadAction(const std::string& code);
/// The per-thread machinery for other users (setServerPolicyLuaFFIPerThread): a fresh id
/// for `code`; `code` checked as the per-thread rules check it (throws ConfigError naming
/// `fn`); and this thread's state for (id, code), made on first use (null when the code
/// fails there), with the function's registry reference.
uint64_t newPerThreadId();
void checkPerThreadCode(const std::string& code, const char* fn);
std::pair<lua_State*, int>* perThreadFunction(uint64_t id, const std::string& code);

/// LuaResponseAction, LuaFFIResponseAction, LuaFFIPerThreadResponseAction: the same on a
/// response, the function returning a DNSResponseAction value.
core::rules::ResponseActionPtr makeLuaResponseAction(lua_State* L, int idx, bool ffi);
core::rules::ResponseActionPtr makePerThreadResponseAction(const std::string& code);

}  // namespace ballast::lua
