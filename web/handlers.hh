// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Request handling without libevent: authentication, the route table, the handlers.
#include "web/routes.hh"
#include "web/service.hh"

namespace ballast::web {

enum class Access { Api, Stats, Dashboard };

/// Whether the request carries what `a` requires: the API key (X-API-Key) for the API and
/// statistics, or the password (basic auth) for all three; true when `a` needs none.
bool authorized(const WebConfig& cfg, const WebRequest& r, Access a);

/// Authenticates the request and runs its route's handler.
Reply handle(Service& s, const WebConfig& cfg, const WebRequest& r);

}  // namespace ballast::web
