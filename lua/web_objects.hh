// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// dnsdist's WebRequest and WebResponse objects, as registerWebHandler's handlers get them.
#include <lua.hpp>

#include "web/settings.hh"

namespace ballast::lua {

/// Declares the WebRequest (path, method, version, body, headers, getvars, postvars; read
/// only) and WebResponse (status, body, headers; writable) types.
void registerWebObjectTypes(lua_State* L);

/// Calls the handler (registry reference `ref`) with (req, resp) and copies resp back to
/// `resp`. False, with the error on stderr, when the handler failed or set a status outside
/// 100-599.
bool callWebHandler(lua_State* L, int ref, const web::WebRequest& req, web::WebResponse& resp);

}  // namespace ballast::lua
