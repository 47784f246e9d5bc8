// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The query as the core and the frontends see it: where its answer goes (Destination),
/// and the state the rules and the pipeline carry for it (QueryContext). Backends never
/// use these: they get a core::Query and a core::Completion (core/backend.hh).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/address.hh"
#include "core/packet_cache.hh"
#include "dns/ecs.hh"
#include "dns/message.hh"
#include "dns/proxy_protocol.hh"
#include "dns/types.hh"

namespace ballast::core {

struct Destination;
struct HttpRequest;

/// What one message given to a stream frontend is to its query.
enum class AnswerPart : uint8_t {
  Whole,  ///< the answer, or the last message of a zone transfer: the query is finished
  More,   ///< a message of a zone transfer, more to follow: the query stays open
  Abort,  ///< (no bytes) the transfer broke off after messages were sent: the client
          ///< connection cannot be given a complete one and must close
};

/// Stream frontends (TCP, DoT, DoH) receive their answers through this; UDP answers are
/// sent straight from the socket in Destination::fd.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void deliver(const Destination& d, std::span<const uint8_t> response) = 0;
  /// A message of a zone transfer: only for a Destination with `transferClosed` set, whose
  /// connection takes several messages for one query. A sink that cannot takes the whole.
  virtual void deliverPart(const Destination& d, std::span<const uint8_t> message,
                           AnswerPart part) {
    if (part == AnswerPart::Whole) deliver(d, message);
  }
};

/// AXFR or IXFR: answered with a stream of messages, never from or into a cache.
inline bool isTransferType(uint16_t qtype) {
  return qtype == dns::qtype::AXFR || qtype == dns::qtype::IXFR;
}

/// Where the answer to a query goes.
struct Destination {
  int fd = -1;                     ///< UDP: the frontend socket the query arrived on
  Address client;                  ///< the client's address and port
  Address local;                   ///< the address the client queried
  bool needSourceAddress = false;  ///< the socket is a wildcard bind: answer with pktinfo
  ResponseSink* sink = nullptr;    ///< stream frontends; null for UDP
  uint64_t cookie = 0;             ///< the sink's own reference (connection, stream)
  /// The client came over a stream (TCP, DoT, DoH): a truncated answer is not for it.
  bool stream = false;
  /// The stream is TLS (DoT; DoH has QueryContext::http): DNSQuestion:getProtocol.
  bool tls = false;
  /// DoT: the TLS server name the client sent (the connection's, valid while the rules
  /// run); null without one. DoH has it in QueryContext::http.
  const std::string* sni = nullptr;
  /// DNS over TCP or TLS, for an AXFR or IXFR query: the connection takes every message of
  /// the transfer (ResponseSink::deliverPart), and sets this once it has closed, so the
  /// backend stops relaying and lets its connection go. Null for every other query.
  std::shared_ptr<const std::atomic<bool>> transferClosed;
  /// PROXY protocol from a client in setProxyProtocolACL: `client` and `local` are the
  /// addresses its header named (what the ACL, rules, rings and dynamic blocks see), and
  /// `peer` / `peerLocal` where the bytes really came from, where a UDP answer goes.
  bool proxied = false;
  Address peer;
  Address peerLocal;
  const Address& replyTo() const { return proxied ? peer : client; }
  const Address& replyFrom() const { return proxied ? peerLocal : local; }
  /// DelayAction / DelayResponseAction: hold a UDP answer back this long (sendToClient).
  /// Reset for every query by processQuery; never set for stream clients.
  uint32_t delayMsec = 0;
  /// UDP: the frontend's ClientState.muted switch (null: never muted).
  const std::atomic<bool>* muted = nullptr;
};

/// One query on its way through the pipeline. `packet` is the client's query, which a
/// backend may rewrite in place (ID) before sending it.
struct QueryContext {
  uint8_t* packet = nullptr;
  size_t length = 0;
  size_t capacity = 0;
  dns::MessageView message;  ///< the parsed query
  Destination destination;
  int64_t receivedUsec = 0;      ///< monotonic
  /// Header bytes 2-3 as the client sent them, before any rule changed RD or CD: the answer
  /// gets the client's RD and CD back (processQuery sets it).
  uint16_t clientFlags = 0;
  PacketCache* cache = nullptr;  ///< the pool's cache, set on a miss: the answer goes in
  CacheKey cacheKey;

  // Decisions of the rules (core/rules) that later stages read; processQuery resets them.
  std::string poolName;    ///< the pool to use ("" the default); PoolAction
  bool skipCache = false;  ///< SetSkipCacheAction
  /// SetTempFailureCacheTTLAction: the cache TTL of a SERVFAIL or REFUSED answer;
  /// kDefaultTempFailureTTL: the cache's own temporaryFailureTTL.
  uint32_t tempFailureTTL = kDefaultTempFailureTTL;
  std::vector<std::pair<std::string, std::string>> tags;  ///< SetTagAction; capacity kept
  /// EDNS Client Subnet, as the rules leave it (dnsdist's dq.useECS, dq.ecsOverride,
  /// dq.ecsPrefixLength; SetECSAction's subnet in ecsSubnet when ecsSet). processQuery sets
  /// them from the settings and the client's address family before the rules.
  bool useECS = true;
  bool ecsOverride = false;
  bool ecsSet = false;
  uint8_t ecsPrefixLength = 0;
  dns::ClientSubnet ecsSubnet;
  /// What the pipeline did about ECS, for the response path: it added the option (and the
  /// OPT record carrying it), and whether an answer of scope 0 goes in under cacheKeyNoEcs.
  bool ecsAdded = false;
  bool ednsAdded = false;
  bool ecsZeroScope = false;
  CacheKey cacheKeyNoEcs;
  /// PROXY protocol values (TLVs): those the client's header carried, then what the rules
  /// set; sent to a backend with useProxyProtocol. Filled by the frontend before
  /// processQuery (its capacity kept).
  std::vector<dns::proxy::Value> proxyValues;
  /// DoH only (core/rules/http.hh): the HTTP request, for the HTTP* rules and
  /// HTTPStatusAction; valid while processQuery runs, null for other frontends.
  HttpRequest* http = nullptr;
};

}  // namespace ballast::core
