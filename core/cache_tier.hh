// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A second cache level behind a packet cache, shared by several ballast processes
/// (tier/redis_tier implements it on Redis). A local miss parks the query and asks the
/// tier; the tier's thread resumes it with what it found (resumeParked, core/pipeline.hh):
/// an answer fills the local cache and goes to the client, nothing sends the query on to
/// the pool. Every answer the local cache takes is also written to the tier, with its TTL
/// and insertion time, so every process ages it the same way.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/packet_cache.hh"
#include "core/query_context.hh"

namespace ballast::core {

/// A query waiting for the tier: its pipeline state with a buffer of its own.
struct ParkedQuery {
  QueryContext q;  ///< q.packet points into `buffer`; q.cache and q.cacheKey are set
  std::vector<uint8_t> buffer;
  /// Every server of the pool was down: only a (stale) answer from the tier will do.
  bool poolDown = false;
  /// Copies q (its packet re-parsed from the copy; transport data dropped).
  static std::unique_ptr<ParkedQuery> park(const QueryContext& q, bool poolDown);
};

/// An answer as the tier keeps it: the answer bytes, the TTL the writer's cache gave it and
/// the wall-clock second it was written.
struct TierValue {
  uint64_t insertedUnix = 0;
  uint32_t ttl = 0;
  std::span<const uint8_t> answer;
};

/// The value format: "BLST", schema version, insertion time, TTL, answer, checksum.
constexpr uint8_t kTierSchema = 1;
std::vector<uint8_t> encodeTierValue(std::span<const uint8_t> answer, uint32_t ttl,
                                     uint64_t insertedUnix);
/// False for anything not written by encodeTierValue of this schema (corrupt, truncated,
/// another version or program).
bool decodeTierValue(std::span<const uint8_t> bytes, TierValue& out);
/// The tier's key for a packet cache key; names the schema version, so two versions never
/// read each other's values.
std::string tierKey(const CacheKey& k);

class CacheTier {
 public:
  virtual ~CacheTier() = default;
  /// Worth asking now (connected, circuit breaker closed). Any thread; cheap.
  virtual bool usable() const = 0;
  /// A lookup not asked because usable() said no (counted as redis-skipped). Any thread.
  virtual void countSkipped() = 0;
  /// Takes a parked query; resumes it on the tier's thread within the lookup budget,
  /// whatever happens to the tier.
  virtual void lookup(std::unique_ptr<ParkedQuery> q) = 0;
  /// Writes an answer the local cache took for `ttl` seconds; kept `ttl + staleWindow`.
  /// Any thread; never blocks (dropped and counted when the tier is behind or down).
  virtual void store(const CacheKey& k, std::span<const uint8_t> answer, uint32_t ttl,
                     uint32_t staleWindow) = 0;
  /// One line of figures, for printStats().
  virtual std::string describe() const = 0;
  /// At shutdown, before the listeners and the servers stop: every query waiting for the
  /// tier goes on to its pool, the tier's thread ends; later lookups go on at once,
  /// later writes are dropped. Idempotent.
  virtual void stop() = 0;
};

/// The same tier seen as a store of keys and values, for a user that makes its own keys and
/// values and waits for lookups its own way (the embedded resolver's record cache,
/// backends/resolver/shared_tier.hh). Same connection, budget, breaker and write bound as
/// the packet cache's lookups.
class KeyValueTier {
 public:
  virtual ~KeyValueTier() = default;
  /// What the user made of the values found: how many it used, how many it threw away as
  /// corrupt or foreign (counted as redis-corrupt). A lookup with a value used is a hit.
  struct Used {
    size_t used = 0;
    size_t corrupt = 0;
  };
  /// `values[i]` is the value under keys[i] (nullopt: none); `failed` when Redis was not
  /// asked, failed or ran over the budget (then `values` is empty).
  using Done =
      std::function<Used(bool failed, const std::vector<std::optional<std::string_view>>& values)>;
  /// Worth asking now (connected, circuit breaker closed). Any thread; cheap.
  virtual bool usable() const = 0;
  /// A lookup not asked because usable() said no (counted as redis-skipped). Any thread.
  virtual void countSkipped() = 0;
  /// Looks `keys` up in one round trip; `done` runs once, on the tier's thread (or the
  /// caller's after stop()), within the lookup budget whatever happens to the tier.
  virtual void get(std::vector<std::string> keys, Done done) = 0;
  /// Writes `value` under `key` for `expiryMs`. Any thread; never blocks (dropped and counted
  /// when the tier is behind or down).
  virtual void set(std::string key, std::vector<uint8_t> value, uint64_t expiryMs) = 0;
  /// The lookup budget, microseconds.
  virtual int64_t budgetUsec() const = 0;
  virtual std::string describe() const = 0;
  virtual void stop() = 0;
};

}  // namespace ballast::core
