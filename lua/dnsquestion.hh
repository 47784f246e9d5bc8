// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The DNSQuestion object handed to LuaRule and LuaAction functions (and DNSResponse, the
/// same object on a response): dnsdist's fields and methods over a core::rules::DQ, valid
/// only during the call.
#include <lua.hpp>

#include <string>
#include <string_view>

#include "core/rules/rule.hh"

namespace ballast::lua {

/// Pushes a DNSQuestion for `dq`; call invalidateDNSQuestion on it (same stack slot) after
/// the Lua call, so a script that kept it gets an error instead of a dangling pointer.
void pushDNSQuestion(lua_State* L, core::rules::DQ* dq);
void invalidateDNSQuestion(lua_State* L, int idx);

/// The verdict for what a Lua action returned: a DNSAction value and its argument (a pool
/// name, the spoofed addresses or CNAME target).
core::rules::Verdict verdictFromLua(int action, const std::string& arg, core::rules::DQ& dq);

void registerDNSQuestionTypes(lua_State* L);

/// The DNSQuestion at `idx`, or a Lua error (not one, or its query is over).
core::rules::DQ& checkDNSQuestion(lua_State* L, int idx);
/// The bytes after the message's last record (getTrailingData; the FFI's too).
std::string_view trailingData(const core::rules::DQ& dq);
/// Replaces them; false (nothing changed) when the message buffer is too small.
bool setTrailingData(core::rules::DQ& dq, std::string_view tail);
/// The TLS server name of a DoT or DoH query; null without one.
const std::string* serverName(const core::rules::DQ& dq);
/// Sets the methods of dnsquestion_methods.cc into the table at `methods`.
void addDNSQuestionMethods(lua_State* L, int methods);

}  // namespace ballast::lua
