// SPDX-License-Identifier: GPL-2.0-only
#include "core/pipeline.hh"

#include <cstring>

#include "core/cache_tier.hh"
#include "core/clock.hh"
#include "core/delay_queue.hh"
#include "core/rules/actions.hh"
#include "core/rules/apply.hh"
#include "core/xpf.hh"
#include "dns/ecs.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::core {

namespace {

QueryAction answerLocally(QueryContext& q, uint8_t rcode, const RuntimeConfig& cfg,
                          GlobalStats& stats) {
  q.length =
      rules::selfGeneratedResponse(q.packet, q.length, q.capacity, q.message, rcode, &cfg.settings);
  if (!rules::processResponseChain(cfg.rules.selfAnswered, q.packet, q.length, q.capacity,
                                   q.destination, cfg, q.receivedUsec, nullptr, &q.tags))
    return QueryAction::Drop;
  stats.selfAnswered.inc();
  stats.countFrontendRcode(rcode);
  return QueryAction::Answer;
}

/// A query without a question cannot be parsed as a message with one: answer from the
/// header alone (dnsdist answers NOTIMP).
QueryAction answerEmpty(QueryContext& q, GlobalStats& stats) {
  dns::HeaderRef h(q.packet);
  h.setQr(true);
  h.setRcode(dns::rcode::NotImp);
  h.setAncount(0);
  h.setNscount(0);
  h.setArcount(0);
  q.length = dns::kHeaderSize;
  stats.selfAnswered.inc();
  stats.countFrontendRcode(dns::rcode::NotImp);
  return QueryAction::Answer;
}

uint32_t nowSeconds() {
  return uint32_t(monotonicUsec() / 1000000);
}

/// The time the query was read, in the cache's seconds: the frontend read the clock once
/// for it (UDP: once per recvmmsg batch), so a hit reads no clock of its own.
uint32_t receivedSeconds(const QueryContext& q) {
  return q.receivedUsec > 0 ? uint32_t(q.receivedUsec / 1000000) : nowSeconds();
}

/// The answer from `cache` for the parsed query in q, written over it, as of `now`.
PacketCache::Result cacheLookup(QueryContext& q, PacketCache& cache, uint32_t now,
                                PacketCache::Stale stale, uint32_t staleWindow) {
  size_t len = 0;
  auto r = cache.lookup(q.cacheKey, q.message, now, q.packet, q.capacity, len, stale,
                        staleWindow);
  if (r != PacketCache::Result::Miss) q.length = len;
  return r;
}

/// True when some server of the pool could take a query (up, whatever its QPS limit).
bool anyServerUp(const Pool& pool) {
  for (const Backend* b : pool.servers)
    if (b->isUp()) return true;
  return false;
}

QueryAction answerFromCache(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats) {
  if (!rules::processCacheHitResponse(q.packet, q.length, q.capacity, q.destination, cfg,
                                      q.receivedUsec, &q.tags))
    return QueryAction::Drop;
  stats.cacheHits.inc();
  stats.countFrontendRcode(dns::HeaderView(q.packet).rcode());
  return QueryAction::Answer;
}

QueryAction answerStaleHit(QueryContext& q, GlobalStats& stats) {
  stats.cacheStaleHits.inc();
  stats.countFrontendRcode(dns::HeaderView(q.packet).rcode());
  return QueryAction::Answer;
}

/// No server can take the query: SERVFAIL or nothing, as setServFailWhenNoServer says.
QueryAction noServer(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats) {
  stats.noPolicy.inc();
  if (cfg.settings.servFailWhenNoServer) return answerLocally(q, dns::rcode::ServFail, cfg, stats);
  return QueryAction::Drop;
}

/// An answer from the shared tier goes into the local cache with the age it has there, and
/// the client's answer is read back from it (ID, letter case and TTLs made as for any hit).
/// False when that gives nothing usable (expired, or stale where stale will not do).
bool fillFromTier(QueryContext& q, const TierValue& v, bool staleAllowed,
                  const RuntimeConfig& cfg) {
  uint32_t now = nowSeconds();
  uint64_t wall = unixSeconds();
  uint64_t age = wall > v.insertedUnix ? wall - v.insertedUnix : 0;
  if (age > now) age = now;
  if (!q.cache->insert(q.cacheKey, v.answer.data(), v.answer.size(), uint32_t(now - age)))
    return false;
  auto r = cacheLookup(q, *q.cache, now,
                       staleAllowed ? PacketCache::Stale::Allowed : PacketCache::Stale::No,
                       cfg.settings.staleCacheEntriesTTL);
  return staleAllowed ? r != PacketCache::Result::Miss : r == PacketCache::Result::Hit;
}

/// As dnsdist, after the cache lookup, for the server picked: an XPF record with the
/// client's and the frontend's addresses; left out when it does not fit.
void addXpf(QueryContext& q, uint16_t rrType) {
  size_t n = appendXpf(q.packet, q.message.messageEnd(), q.capacity, rrType,
                       xpfPayload(q.destination.sink != nullptr, q.destination.client,
                                  q.destination.local));
  if (!n) return;
  dns::MessageView m;
  if (dns::MessageView::parse({q.packet, n}, m) != dns::ParseError::None) {
    dns::HeaderRef h(q.packet);  // cannot happen with a parsed query; undone all the same
    h.setArcount(uint16_t(h.arcount() - 1));
    return;
  }
  q.length = n;
  q.message = m;
}

/// The query goes to a server of `pool`; when none can take it, a stale answer from the
/// cache (local, then the shared tier when `askTier`), else noServer.
QueryAction forward(QueryContext& q, const Pool* pool, const RuntimeConfig& cfg, GlobalStats& stats,
                    UdpSender& out, bool askTier) {
  PacketCache* cache = q.cache;
  Backend* backend = nullptr;
  if (pool) {
    const Policy& policy = pool->policy ? *pool->policy : *cfg.policy;
    backend = policy.select(pool->servers, q);
  }
  if (!backend) {
    if (cache) {
      bool down = !anyServerUp(*pool);
      cache->setBackendsDown(down);
      // The pool is down: what was answered recently is still answered, for as long as
      // setStaleCacheEntriesTTL allows, from here or from the shared tier.
      if (down && cfg.settings.staleCacheEntriesTTL) {
        if (cacheLookup(q, *cache, nowSeconds(), PacketCache::Stale::Allowed,
                        cfg.settings.staleCacheEntriesTTL) == PacketCache::Result::StaleHit)
          return answerStaleHit(q, stats);
        if (CacheTier* tier = cache->tier(); askTier && tier) {
          if (tier->usable()) {
            tier->lookup(ParkedQuery::park(q, true));
            return QueryAction::Forwarded;
          }
          tier->countSkipped();
        }
      }
    }
    return noServer(q, cfg, stats);
  }
  if (cache) cache->setBackendsDown(false);
  if (backend->xpfRRCode) addXpf(q, backend->xpfRRCode);
  Query query{q.packet, q.length, &q.message, &out};
  query.client = &q.destination.client;
  query.local = &q.destination.local;
  query.proxyValues = &q.proxyValues;
  return backend->submit(query, Completion(q)) ? QueryAction::Forwarded : QueryAction::Drop;
}

/// ECS is added for a pool with a server that asks for it (useClientSubnet), or, when no
/// server of the pool is up, for a pool that says so (ServerPool:setECS), so that answers
/// cached with ECS are found. dnsdist decides on the server its policy picked before the
/// cache lookup; here the server is picked after it, so a pool mixing servers with and
/// without ECS sends ECS to all of them (and its cache keys on the subnet): answers for
/// different subnets never mix.
bool poolWantsEcs(const Pool& pool) {
  return pool.serversWantEcs || (pool.ecs && !anyServerUp(pool));
}

/// DoH shares UDP's cache entries, as in dnsdist (its queries carry an OPT of 4096 by then).
bool streamKey(const QueryContext& q) {
  return q.destination.sink != nullptr && q.http == nullptr;
}

/// Puts the client's subnet (or SetECSAction's) into the query, as setECSOverride and the
/// rules say; the query is parsed again when it changed.
void addEcs(QueryContext& q) {
  dns::ClientSubnet s =
      q.ecsSet ? q.ecsSubnet
               : dns::makeClientSubnet(q.destination.client.bytes(),
                                       q.destination.client.byteLength(), q.ecsPrefixLength);
  uint8_t option[dns::kMaxEcsOptionSize];
  size_t n = dns::writeClientSubnetOption(s, option);
  auto r =
      dns::addClientSubnet(q.packet, q.length, q.capacity, q.message, {option, n}, q.ecsOverride);
  if (r == dns::EcsEdit::Kept || r == dns::EcsEdit::NoRoom) return;
  q.ecsAdded = r != dns::EcsEdit::Replaced;
  q.ednsAdded = r == dns::EcsEdit::AddedWithOpt;
  // The edit keeps the message well formed, so this parse cannot fail.
  dns::MessageView::parse({q.packet, q.length}, q.message);
}

/// The zero-scope lookup (parseECS, disableZeroScope unset): before ECS is added, an answer
/// a server said holds for every subnet. Only for a query without its own ECS option.
bool zeroScopeLookup(QueryContext& q, PacketCache& cache) {
  q.cacheKeyNoEcs = cache.makeKey(q.message, streamKey(q));
  dns::ClientSubnet theirs;
  if (dns::findClientSubnet(q.message, theirs)) return false;
  q.cacheKey = q.cacheKeyNoEcs;
  if (cacheLookup(q, cache, receivedSeconds(q), PacketCache::Stale::No, 0) ==
      PacketCache::Result::Hit)
    return true;
  q.ecsZeroScope = true;
  return false;
}

/// A query that reached here without an OPT record got one to carry ECS; its answer must
/// still carry none, so its key is not the key of a query that came with the same OPT: the
/// EDNS flag off, as the client sent it, and a hash of its own.
void keyWithoutAddedOpt(CacheKey& k) {
  k.flags &= uint8_t(~CacheKey::kEdns);
  k.hash ^= 0x5bd1e9955bd1e995ull;
}

}  // namespace

QueryAction processQuery(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats,
                         UdpSender& out) {
  if (q.length < dns::kHeaderSize) {
    stats.nonCompliantQueries.inc();
    return QueryAction::Drop;
  }
  stats.queries.inc();
  const Destination& d = q.destination;
  // A proxied client: the ACL is the proxy's, and the client's too with setProxyProtocolApplyACL.
  if (!cfg.acl.match(d.proxied ? d.peer : d.client) ||
      (d.proxied && cfg.settings.proxyProtocolApplyACL && !cfg.acl.match(d.client))) {
    stats.aclDrops.inc();
    return QueryAction::Drop;
  }
  dns::HeaderView h(q.packet);
  if (h.qr()) {
    stats.nonCompliantQueries.inc();
    return QueryAction::Drop;
  }
  if (h.qdcount() == 0) {
    stats.emptyQueries.inc();
    if (cfg.settings.dropEmptyQueries) return QueryAction::Drop;
    return answerEmpty(q, stats);
  }
  if (dns::MessageView::parse({q.packet, q.length}, q.message) != dns::ParseError::None) {
    stats.nonCompliantQueries.inc();
    return QueryAction::Drop;
  }
  if (h.rd()) stats.rdQueries.inc();
  q.clientFlags = uint16_t(q.packet[2] << 8 | q.packet[3]);

  // Ring buffer, dynamic blocks and rules (core/rings, core/dynblock, core/rules): may drop,
  // answer, or choose the pool and set tags for later stages.
  q.poolName.clear();
  // A transfer is a stream of messages, and an IXFR answer depends on the serial the client
  // sent (not in the cache key): never looked up nor stored (dnsdist skips the cache for
  // AXFR and IXFR over TCP; ballast over UDP too).
  q.skipCache = isTransferType(q.message.question().qtype);
  q.tempFailureTTL = kDefaultTempFailureTTL;
  q.tags.clear();
  q.destination.delayMsec = 0;
  q.useECS = true;
  q.ecsOverride = cfg.settings.ecsOverride;
  q.ecsSet = false;
  q.ecsPrefixLength =
      q.destination.client.isV4() ? cfg.settings.ecsSourcePrefixV4 : cfg.settings.ecsSourcePrefixV6;
  q.ecsAdded = q.ednsAdded = q.ecsZeroScope = false;
  switch (rules::processQueryRules(q, cfg, stats)) {
    case rules::Verdict::Drop:
      return QueryAction::Drop;
    case rules::Verdict::Answer:
      stats.selfAnswered.inc();
      stats.countFrontendRcode(dns::HeaderView(q.packet).rcode());
      return QueryAction::Answer;
    default:
      break;
  }
  // End of rules.

  const Pool* pool = cfg.findPool(q.poolName);
  PacketCache* cache = pool && !q.skipCache ? pool->cache : nullptr;
  q.cache = nullptr;
  if (pool && q.useECS && poolWantsEcs(*pool)) {
    if (cache && pool->ecsZeroScopeAllowed && cache->options().parseEcs &&
        zeroScopeLookup(q, *cache))
      return answerFromCache(q, cfg, stats);
    addEcs(q);
  }
  if (cache) {
    q.cacheKey = cache->makeKey(q.message, streamKey(q));
    if (q.ednsAdded) keyWithoutAddedOpt(q.cacheKey);
    if (cacheLookup(q, *cache, receivedSeconds(q), PacketCache::Stale::No, 0) ==
        PacketCache::Result::Hit)
      return answerFromCache(q, cfg, stats);
    stats.cacheMisses.inc();
    cache->stats.misses.inc();
    q.cache = cache;
    // The shared tier next: it resumes the query (resumeParked) on its own thread.
    if (CacheTier* tier = cache->tier()) {
      if (tier->usable()) {
        tier->lookup(ParkedQuery::park(q, false));
        return QueryAction::Forwarded;
      }
      tier->countSkipped();  // breaker open or not connected
    }
  }
  return forward(q, pool, cfg, stats, out, true);
}

void resumeParked(ParkedQuery& p, const TierValue* found, const RuntimeConfig& cfg,
                  GlobalStats& stats, UdpSender& out) {
  QueryContext& q = p.q;
  QueryAction a = QueryAction::Drop;
  if (found && fillFromTier(q, *found, p.poolDown, cfg)) {
    a = p.poolDown ? answerStaleHit(q, stats) : answerFromCache(q, cfg, stats);
  } else if (p.poolDown) {
    a = noServer(q, cfg, stats);
  } else {
    a = forward(q, cfg.findPool(q.poolName), cfg, stats, out, false);
  }
  if (a == QueryAction::Answer) sendToClient(q.destination, q.packet, q.length, out);
}

void sendToClient(const Destination& d, const uint8_t* packet, size_t len, UdpSender& sender) {
  if (d.sink) {
    d.sink->deliver(d, {packet, len});
  } else if (d.muted && d.muted->load(std::memory_order_relaxed)) {
    return;  // ClientState.muted: processed, never answered over UDP
  } else if (d.delayMsec) {
    delayQueue().schedule(d, packet, len, monotonicUsec());
  } else {
    sender.add(d.fd, &d.replyTo(), d.needSourceAddress ? &d.replyFrom() : nullptr, packet, len,
               nullptr);
  }
}

}  // namespace ballast::core
