// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The packet cache (dnsdist's newPacketCache): whole responses keyed by what makes an
/// answer differ, sharded with one lock per shard, aged on the way out, kept past expiry for
/// serving stale when backends fail (RFC 8767). Time is passed in by the caller (seconds on
/// a monotonic clock), so expiry is tested without sleeping.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dns/message.hh"
#include "dns/name.hh"
#include "metrics/counter.hh"

namespace ballast::core {

class CacheTier;

/// No SetTempFailureCacheTTLAction: the cache's own temporaryFailureTTL applies.
constexpr uint32_t kDefaultTempFailureTTL = UINT32_MAX;

struct PacketCacheOptions {
  size_t maxEntries = 0;
  uint32_t maxTTL = 86400;
  uint32_t minTTL = 0;                ///< answers with a smaller TTL are not cached (counted)
  uint32_t temporaryFailureTTL = 60;  ///< SERVFAIL and REFUSED
  uint32_t staleTTL = 60;             ///< the TTL a stale answer carries
  uint32_t maxNegativeTTL = 3600;
  bool dontAge = false;
  size_t shards = 20;
  /// Expired entries are not purged while a pool using the cache has no server up.
  bool keepStaleData = false;
  bool cookieHashing = false;         ///< EDNS cookies split entries
  bool deferrableInsertLock = true;   ///< skip an insert rather than wait for a busy shard
  std::string tier;  ///< the shared tier's address (redis=...); empty: none
  std::vector<uint16_t> skipOptions;  ///< EDNS options that do not split entries
  /// parseECS: a client's ECS option enters the key as the subnet it names (family, source
  /// prefix, address cut to it) rather than as raw bytes; needed for the zero-scope lookup.
  bool parseEcs = false;
};

/// What identifies a cached answer besides the qname, computed once per query.
struct CacheKey {
  uint64_t hash = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  uint8_t flags = 0;     ///< kRd | kCd | kDo | kEdns | kTcp
  uint16_t maxSize = 0;  ///< the largest answer the client accepts (UDP)

  static constexpr uint8_t kRd = 1, kCd = 2, kDo = 4, kEdns = 8, kTcp = 16;
};

struct PacketCacheStats {
  metrics::Counter hits;
  metrics::Counter misses;
  metrics::Counter staleHits;
  metrics::Counter deferredInserts;  ///< insert skipped: the shard was busy
  metrics::Counter deferredLookups;  ///< lookup had to wait for the shard
  metrics::Counter lookupCollisions;
  metrics::Counter insertCollisions;
  metrics::Counter ttlTooShorts;
  metrics::Counter expunged;  ///< removed by expunge*, the cleaner or eviction
  metrics::Counter inserts;
};

class PacketCache {
 public:
  /// How a lookup may use an entry past its expiry.
  enum class Stale : uint8_t { No, Allowed };
  enum class Result : uint8_t { Miss, Hit, StaleHit };

  explicit PacketCache(PacketCacheOptions opts);
  ~PacketCache();
  PacketCache(const PacketCache&) = delete;
  PacketCache& operator=(const PacketCache&) = delete;

  const PacketCacheOptions& options() const { return opts_; }

  /// The key of a parsed query. Never allocates.
  CacheKey makeKey(const dns::MessageView& query, bool tcp) const;

  /// Copies the answer for the question `key` and `qname` (uncompressed wire bytes, in the
  /// client's letter case) into out[0..capacity), with the client's ID and letter case,
  /// TTLs reduced by the entry's age (or set to staleTTL when it is used stale).
  /// Stale::Allowed accepts entries expired for less than `staleWindow` seconds. `out` may
  /// hold the query itself. Never allocates. `len` receives the answer's length.
  Result lookup(const CacheKey& key, uint16_t clientId, std::span<const uint8_t> qname,
                uint32_t now, uint8_t* out, size_t capacity, size_t& len, Stale stale = Stale::No,
                uint32_t staleWindow = 0);
  /// The same for a parsed query (its ID and name).
  Result lookup(const CacheKey& key, const dns::MessageView& query, uint32_t now, uint8_t* out,
                size_t capacity, size_t& len, Stale stale = Stale::No, uint32_t staleWindow = 0);

  /// Stores a response that passed the response checks. Decides whether and how long from
  /// its rcode and records (RFC 2308 for negative answers).
  /// Returns the TTL the entry got, 0 when the answer was not cached.
  /// `tempFailureTTL` replaces temporaryFailureTTL for this answer (SetTempFailureCacheTTLAction).
  uint32_t insert(const CacheKey& key, const uint8_t* response, size_t len, uint32_t now,
                  uint32_t tempFailureTTL = kDefaultTempFailureTTL);

  /// Removes entries expired for more than `staleWindow` seconds, stopping once at most
  /// `upTo` entries remain (setCacheCleaningPercentage; 0: every expired one); returns how
  /// many.
  size_t purgeExpired(uint32_t now, uint32_t staleWindow, size_t upTo = 0);
  /// Removes entries until at most `keep` remain; returns how many went.
  size_t expunge(size_t keep);
  /// Removes the entries for `name` (or names under it), of `qtype` (255: any).
  size_t expungeByName(const dns::Name& name, uint16_t qtype, bool suffixMatch);
  /// Writes one line per entry; returns the count.
  size_t dump(std::string& out, uint32_t now) const;

  size_t entries() const;
  size_t maxEntries() const { return opts_.maxEntries; }
  bool isFull() const { return entries() >= opts_.maxEntries; }

  /// Set by the query path when it found no server up in a pool using this cache
  /// (keepStaleData then keeps expired entries).
  void setBackendsDown(bool down) { backendsDown_.store(down, std::memory_order_relaxed); }

  /// The shared second level (core/cache_tier.hh), or null. Set once at configuration,
  /// before the cache is used.
  CacheTier* tier() const { return tier_.get(); }
  void setTier(std::shared_ptr<CacheTier> t) { tier_ = std::move(t); }

  PacketCacheStats stats;

 private:
  struct Entry;
  struct Shard;

  Shard& shardFor(uint64_t hash) const;
  std::shared_ptr<CacheTier> tier_;
  uint32_t ttlFor(const uint8_t* response, size_t len, const dns::MessageView& m,
                  bool& negative) const;

  PacketCacheOptions opts_;
  size_t perShard_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<bool> backendsDown_{false};
};

}  // namespace ballast::core
