// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What a configuration reload keeps: the pure comparison between the running servers and
/// caches and those a fresh run of the configuration file built (ReloadStaging::commit).
#include <memory>
#include <string>
#include <vector>

#include "core/backend.hh"
#include "core/packet_cache.hh"

namespace ballast::core {

/// For each desired server, the running server that stands for it (same non-empty
/// Backend::reloadKey), or null when the desired one is new. Each running server stands
/// for at most one desired server; among equals the earlier ones pair first.
std::vector<std::shared_ptr<Backend>> matchServers(
    const std::vector<std::shared_ptr<Backend>>& running,
    const std::vector<std::shared_ptr<Backend>>& desired);

/// The running servers no desired server was matched with: to drain and stop.
std::vector<std::shared_ptr<Backend>> unmatchedServers(
    const std::vector<std::shared_ptr<Backend>>& running,
    const std::vector<std::shared_ptr<Backend>>& matches);

/// A kept server takes what the file says about the attributes a running server changes
/// in place: pools, weight, QPS limit, admin state (its health state stays).
void adoptAttributes(Backend& running, const Backend& desired);

/// A running cache can serve for a new one when every option is the same.
bool sameCacheOptions(const PacketCacheOptions& a, const PacketCacheOptions& b);

}  // namespace ballast::core
