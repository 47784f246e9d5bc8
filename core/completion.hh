// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The handle a backend keeps for each query it took, and gives back to a Completer
/// (core/completer.hh) with the answer or the reason it has none. What is inside (the
/// client's destination, the question to check the answer against, the cache the answer
/// goes into) is the core's: a backend only asks whether the query is a health check,
/// whether the client came over a stream, and when it arrived.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/packet_cache.hh"
#include "core/query_context.hh"

namespace ballast::core {

/// Receives the raw answers to health checks (backends/health): no client statistics, no
/// response rules, no cache. A check that gets no answer is left to time out there.
class CheckSink {
 public:
  virtual ~CheckSink() = default;
  virtual void checked(uint64_t cookie, std::span<const uint8_t> response) = 0;
};

/// What the response path needs of the client's question to check and restore an answer.
struct PendingQuery {
  uint16_t clientId = 0;
  uint16_t clientFlags = 0;  ///< the query's header flags (RD, CD, opcode)
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool edns = false;  ///< the query had an OPT record: an answer made here gets one too
  uint8_t qnameLength = 0;
  uint8_t qname[255];            ///< the client's qname, uncompressed, in the client's letter case
  PacketCache* cache = nullptr;  ///< where the answer goes, and stale answers come from
  CacheKey cacheKey;
  uint32_t tempFailureTTL = kDefaultTempFailureTTL;  ///< SetTempFailureCacheTTLAction
  /// ECS added by ballast (core/query_context.hh): taken back out of the answer.
  bool ecsAdded = false;
  bool ednsAdded = false;
  bool ecsZeroScope = false;  ///< an answer of ECS scope 0 is cached under cacheKeyNoEcs
  CacheKey cacheKeyNoEcs;

  /// Copies what is needed from the parsed query.
  void fill(const QueryContext& q);
};

class Completion {
 public:
  Completion() = default;
  /// The handle of a client query (processQuery makes it).
  explicit Completion(const QueryContext& q)
      : destination_(q.destination), receivedUsec_(q.receivedUsec) {
    pending_.fill(q);
  }
  /// The handle of a health check: its answer goes to `sink` untouched, with `cookie`.
  static Completion healthCheck(CheckSink& sink, uint64_t cookie, int64_t sentUsec) {
    Completion c;
    c.check_ = &sink;
    c.cookie_ = cookie;
    c.receivedUsec_ = sentUsec;
    return c;
  }

  /// A health check of ballast's own: left out of every client figure.
  bool internal() const { return check_ != nullptr; }
  /// The client came over TCP, DoT or DoH: it must get an untruncated answer.
  bool stream() const { return destination_.stream; }
  /// The client's address and port (X-Forwarded-For to DoH backends).
  const Address& client() const { return destination_.client; }
  /// When the query arrived (monotonic microseconds): the start of its latency and timeout.
  int64_t receivedUsec() const { return receivedUsec_; }
  /// The question's type (0 for a health check).
  uint16_t qtype() const { return pending_.qtype; }
  /// A zone transfer whose client connection takes every message (Completer::relay).
  bool relaysTransfer() const { return destination_.transferClosed != nullptr; }
  /// The client connection of a relayed transfer has closed: stop relaying.
  bool transferClosed() const {
    return destination_.transferClosed &&
           destination_.transferClosed->load(std::memory_order_relaxed);
  }

 private:
  friend class Completer;
  Destination destination_;
  PendingQuery pending_;
  int64_t receivedUsec_ = 0;
  CheckSink* check_ = nullptr;
  uint64_t cookie_ = 0;
};

}  // namespace ballast::core
