// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The query path shared by every frontend (the response path is core/completer.hh). Pure
/// logic over a packet buffer: no sockets, no threads.
#include <cstddef>
#include <cstdint>

#include "core/backend.hh"
#include "core/query_context.hh"
#include "core/runtime_config.hh"
#include "core/stats.hh"

namespace ballast::core {

enum class QueryAction : uint8_t {
  Drop,       ///< nothing to send (counted)
  Answer,     ///< q.packet[0..q.length) now holds a local answer to send to the client
  Forwarded,  ///< a backend took the query; its answer comes back through a Completer
};

/// Runs one query from a client: header sanity, ACL, parse, empty-query handling, pool and
/// policy, submission to the chosen backend. q.packet/q.length/q.capacity and q.destination
/// must be filled; the rest is filled here.
QueryAction processQuery(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats,
                         UdpSender& out);

struct ParkedQuery;
struct TierValue;
/// Goes on with a query the shared cache tier (core/cache_tier.hh) held: answered from
/// `found` when it is usable (and stored in the local cache), else sent on to its pool.
/// On the tier's thread; `out` must be flushed before `p` goes.
void resumeParked(ParkedQuery& p, const TierValue* found, const RuntimeConfig& cfg,
                  GlobalStats& stats, UdpSender& out);

/// Sends a finished response to its client: handed to the sink for stream frontends, queued
/// in `sender` (flushed by the caller once per batch) for UDP.
void sendToClient(const Destination& d, const uint8_t* packet, size_t len, UdpSender& sender);

}  // namespace ballast::core
