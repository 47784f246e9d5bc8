// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Request handling without libevent: authentication, the route table, the handlers.
#include "web/routes.hh"
#include "web/service.hh"

namespace ballast::web {

/// Who may read a path, as dnsdist's table of endpoints has it:
/// - Api: the API key (X-API-Key) only; apiRequiresAuthentication.
/// - Stats (/jsonstat, /metrics): the API key or the password; statsRequireAuthentication.
/// - ServerInfo (/api/v1/servers/localhost and what the dashboard reads): the API key or the
///   password; dashboardRequiresAuthentication.
/// - Dashboard (the pages): the password only; dashboardRequiresAuthentication.
enum class Access { Api, Stats, ServerInfo, Dashboard };

/// Whether the request carries what `a` requires (above); true when `a` needs none.
bool authorized(const WebConfig& cfg, const WebRequest& r, Access a);

/// Authenticates the request and runs its route's handler.
Reply handle(Service& s, const WebConfig& cfg, const WebRequest& r);

}  // namespace ballast::web
