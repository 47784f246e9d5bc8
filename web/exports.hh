// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The runtime's figures in Prometheus text and as carbon paths: every registry statistic,
/// then per-server and per-pool figures with dnsdist's names.
#include <string>
#include <utility>
#include <vector>

#include "core/runtime.hh"
#include "frontend/tcp_config.hh"

namespace ballast::web {

/// The /metrics page.
std::string prometheusText(core::Runtime& rt, const frontend::StreamConfig& stream);

/// Paths below "<namespace>.<ourname>.<instance>." and values, as dnsdist's carbon export:
/// "<stat>", "servers.<name>.<figure>", "pools.<name>.<figure>" ("_default_" for "").
std::vector<std::pair<std::string, double>> carbonStats(core::Runtime& rt);

}  // namespace ballast::web
