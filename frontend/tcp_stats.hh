// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The TCP and DoT figures: showTCPStats' table and the tcp-* statistics.
#include <cstdint>
#include <string>
#include <vector>

#include "frontend/tcp_config.hh"
#include "metrics/registry.hh"

namespace ballast::frontend {

/// Every stream bind, plain TCP first then DoT, in configuration order.
std::vector<const StreamBind*> allStreamBinds(const StreamConfig& cfg);

/// dnsdist's showTCPStats: clients and queues, connections per worker thread, then one row
/// per bind with why its connections closed.
std::string formatTcpStats(const StreamConfig& cfg, const std::vector<int64_t>& perThread);

/// Registers the tcp-* statistics (sums over the binds). `cfg`'s binds must not change
/// afterwards.
void registerStreamStats(metrics::Registry& r, const StreamConfig& cfg);

}  // namespace ballast::frontend
