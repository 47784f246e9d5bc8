// SPDX-License-Identifier: GPL-2.0-only
#include "core/pipeline.hh"

#include <cstring>

#include "core/clock.hh"
#include "core/delay_queue.hh"
#include "core/rules/apply.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::core {

namespace {

QueryAction answerLocally(QueryContext& q, uint8_t rcode, const RuntimeConfig& cfg,
                          GlobalStats& stats) {
  q.length = dns::makeResponseInPlace(q.packet, q.length, q.capacity, q.message, rcode);
  if (!rules::processResponseChain(cfg.rules.selfAnswered, q.packet, q.length, q.capacity,
                                   q.destination, cfg, q.receivedUsec))
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

/// The answer from `cache` for the parsed query in q, written over it. Fills q.cacheKey.
PacketCache::Result cacheLookup(QueryContext& q, PacketCache& cache, PacketCache::Stale stale,
                                uint32_t staleWindow) {
  size_t len = 0;
  auto r = cache.lookup(q.cacheKey, q.message, nowSeconds(), q.packet, q.capacity, len, stale,
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

}  // namespace

QueryAction processQuery(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats,
                         UdpSender& out) {
  if (q.length < dns::kHeaderSize) {
    stats.nonCompliantQueries.inc();
    return QueryAction::Drop;
  }
  stats.queries.inc();
  if (!cfg.acl.match(q.destination.client)) {
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

  // Ring buffer, dynamic blocks and rules (core/rings, core/dynblock, core/rules): may drop,
  // answer, or choose the pool and set tags for later stages.
  q.poolName.clear();
  q.skipCache = false;
  q.tags.clear();
  q.destination.delayMsec = 0;
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
  if (cache) {
    q.cacheKey = cache->makeKey(q.message, q.destination.sink != nullptr);
    if (cacheLookup(q, *cache, PacketCache::Stale::No, 0) == PacketCache::Result::Hit) {
      if (!rules::processCacheHitResponse(q.packet, q.length, q.capacity, q.destination, cfg,
                                          q.receivedUsec))
        return QueryAction::Drop;
      stats.cacheHits.inc();
      stats.countFrontendRcode(dns::HeaderView(q.packet).rcode());
      return QueryAction::Answer;
    }
    stats.cacheMisses.inc();
    cache->stats.misses.inc();
    q.cache = cache;
  }
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
      // setStaleCacheEntriesTTL allows.
      if (down && cfg.settings.staleCacheEntriesTTL &&
          cacheLookup(q, *cache, PacketCache::Stale::Allowed, cfg.settings.staleCacheEntriesTTL) ==
              PacketCache::Result::StaleHit) {
        stats.cacheStaleHits.inc();
        stats.countFrontendRcode(dns::HeaderView(q.packet).rcode());
        return QueryAction::Answer;
      }
    }
    stats.noPolicy.inc();
    if (cfg.settings.servFailWhenNoServer)
      return answerLocally(q, dns::rcode::ServFail, cfg, stats);
    return QueryAction::Drop;
  }
  if (cache) cache->setBackendsDown(false);
  Query query{q.packet, q.length, &q.message, &out};
  return backend->submit(query, Completion(q)) ? QueryAction::Forwarded : QueryAction::Drop;
}

void sendToClient(const Destination& d, const uint8_t* packet, size_t len, UdpSender& sender) {
  if (d.sink) {
    d.sink->deliver(d, {packet, len});
  } else if (d.delayMsec) {
    delayQueue().schedule(d, packet, len, monotonicUsec());
  } else {
    sender.add(d.fd, &d.client, d.needSourceAddress ? &d.local : nullptr, packet, len, nullptr);
  }
}

}  // namespace ballast::core
