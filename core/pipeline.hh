// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The query path shared by every frontend, and the checks every response passes before it
/// goes back to a client. Pure logic over a packet buffer: no sockets, no threads.
#include <cstddef>
#include <cstdint>

#include "core/backend.hh"
#include "core/runtime_config.hh"
#include "core/stats.hh"

namespace ballast::core {

enum class QueryAction : uint8_t {
  Drop,       ///< nothing to send (counted)
  Answer,     ///< q.packet[0..q.length) now holds a local answer to send to the client
  Forwarded,  ///< a backend took the query and will answer through q.destination
};

/// Runs one query from a client: header sanity, ACL, parse, empty-query handling, pool and
/// policy, submission to the chosen backend. q.packet/q.length/q.capacity and q.destination
/// must be filled; the rest is filled here.
QueryAction processQuery(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats,
                         UdpSender& out);

/// What a backend remembers of a query to check and restore the response.
struct PendingQuery {
  uint16_t clientId = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  uint8_t qnameLength = 0;
  uint8_t qname[255];  ///< the client's qname, uncompressed, in the client's letter case
  PacketCache* cache = nullptr;  ///< where the answer goes, and stale answers come from
  CacheKey cacheKey;

  /// Copies what is needed from the parsed query.
  void fill(const QueryContext& q);
};

/// Checks a backend's response to `pending` and rewrites it for the client (ID restored,
/// qname case fixed up, TC truncation), and stores it in the pool's cache. A SERVFAIL is
/// replaced by a stale answer from the cache when there is one (see answerStale). Returns
/// false, having counted it, when the response must be dropped. On success updates `len`
/// and counts the rcode.
bool processResponse(uint8_t* packet, size_t& len, size_t capacity, const PendingQuery& pending,
                     const Settings& settings, GlobalStats& stats);

/// Writes into packet[0..capacity) a stale answer to `pending` from its pool's cache, when
/// serving stale on backend failure is on and one exists (RFC 8767): what a backend does
/// instead of dropping a query that timed out. Counts it.
bool answerStale(const PendingQuery& pending, const Settings& settings, GlobalStats& stats,
                 uint8_t* packet, size_t capacity, size_t& len);
/// After processResponse accepted a backend's response: the response rules (which may edit
/// it) and the response ring, which takes the question from `pending` (no second parse).
/// False: a rule dropped it; the query is over, send nothing.
bool afterResponse(uint8_t* packet, size_t& len, size_t capacity, Destination& d,
                   const PendingQuery& pending, const RuntimeConfig& cfg, GlobalStats& stats,
                   int64_t latencyUsec);

/// Sends a finished response to its client: handed to the sink for stream frontends, queued
/// in `sender` (flushed by the caller once per batch) for UDP.
void sendToClient(const Destination& d, const uint8_t* packet, size_t len, UdpSender& sender);

}  // namespace ballast::core
