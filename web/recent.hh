// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What the dashboard shows beyond counters: the busiest clients and names and the latency
/// percentiles of the last seconds (from the ring buffers), and the dynamic blocks in force.
#include <nlohmann/json.hpp>

#include <cstdint>

#include "core/runtime.hh"

namespace ballast::web {

/// /api/v1/servers/localhost/recent: {"windowSeconds", "queries", "topClients": [{"client",
/// "queries"}], "topNames": [{"name", "queries"}], "latency": {"answers", "p50", "p90",
/// "p99", "max"} (ms, answers from servers), "dynamicBlocks": [{"network", "reason",
/// "action", "secondsLeft", "blocks", "warning"}]}. Queries older than `windowUsec` are
/// left out; `top` entries at most per list.
nlohmann::json recentActivity(const core::Runtime& rt, int64_t nowUsec, int64_t windowUsec,
                              size_t top);

}  // namespace ballast::web
