// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The JSON documents of the API, with dnsdist's shapes and field names. Built from the
/// runtime on each request: statistics come from the registry, so a statistic another
/// component registers appears here with no code in web/.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/runtime.hh"
#include "frontend/tcp_config.hh"

namespace ballast::web {

/// /api/v1/servers/localhost: servers, frontends, pools, rules, ACL, policy.
nlohmann::json serverInfo(core::Runtime& rt, const std::string& version,
                          const frontend::StreamConfig& stream);
/// /api/v1/servers/localhost/statistics: [{"name", "type": "StatisticItem", "value"}].
nlohmann::json statistics(const core::Runtime& rt);
/// /jsonstat?command=stats: {"name": value, ...}.
nlohmann::json jsonStats(const core::Runtime& rt);
/// /jsonstat?command=dynblocklist: {"network": {"reason", "seconds", "blocks", "action",
/// "warning"}} for the blocks active at `nowUsec`.
nlohmann::json dynBlockList(const core::Runtime& rt, int64_t nowUsec);
/// /api/v1/servers/localhost/config: [{"name", "type": "ConfigSetting", "value"}].
nlohmann::json configSettings(core::Runtime& rt, bool apiWritable);
/// /api/v1/servers/localhost/config/allow-from.
nlohmann::json allowFrom(core::Runtime& rt);
/// Replaces the client ACL with {"value": ["netmask", ...]}; throws std::invalid_argument
/// (nothing changed) on a malformed body or netmask.
void setAllowFrom(core::Runtime& rt, const std::string& body);
/// /api/v1/servers/localhost/pool?name=: {"stats": {...}, "servers": [...]}; null if the
/// pool does not exist.
nlohmann::json poolInfo(core::Runtime& rt, const std::string& name);

/// One server as the API shows it (also used by the dashboard).
nlohmann::json serverJson(const core::Backend& b, size_t id);

}  // namespace ballast::web
