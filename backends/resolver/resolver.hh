// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A named embedded resolver (newResolver): its settings, and what its instances share:
/// the record cache (with the negative cache), the server speed table and the statistics.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backends/resolver/cache_file.hh"
#include "backends/resolver/dnssec/denial.hh"
#include "backends/resolver/dnssec/trust_anchors.hh"
#include "backends/resolver/dnssec/validator.hh"
#include "backends/resolver/faults.hh"
#include "backends/resolver/record_cache.hh"
#include "backends/resolver/server_speeds.hh"
#include "core/address.hh"
#include "core/cache_tier.hh"
#include "dns/name.hh"
#include "metrics/counter.hh"

namespace ballast::backends::resolver {

struct ForwardZone {
  dns::Name zone;
  std::vector<core::Address> servers;
};

/// newResolver{dnssec=...}: what the resolver does with DNSSEC.
enum class DnssecMode : uint8_t {
  Off,      ///< no DO bit upstream, no validation, no AD, no RRSIGs to clients
  Process,  ///< DO upstream, RRSIGs to DO clients; validated only for clients that set DO or AD
  Validate  ///< every answer validated; bogus is SERVFAIL for every client not setting CD
};

struct ResolverConfig {
  std::string name = "resolver";
  int instances = 1;
  std::vector<std::string> pools;
  std::vector<core::Address> rootHints;  ///< empty: the real root servers
  std::vector<ForwardZone> forwardZones;
  CacheLimits cache;
  bool qnameMinimisation = true;
  uint16_t ednsBufferSize = 1232;
  uint32_t maxConcurrent = 2048;  ///< resolutions in progress per instance
  int maxQueriesPerResolution = 50;
  int64_t outgoingTimeoutMs = 1500;
  std::string nsid;  ///< returned to clients that ask (EDNS option 3); empty: none
  bool tracing = false;
  int maxChain = 12;      ///< CNAME/DNAME links followed
  int maxReferrals = 30;  ///< delegations followed in one iteration
  int maxNsDepth = 4;     ///< nested resolutions of name server addresses
  /// Per instance: coroutine frames plus questions taken; over it the supervisor restarts
  /// the instance. 0: no bound.
  int64_t maxMemoryBytes = int64_t(256) << 20;
  std::shared_ptr<const TestFaults> testFaults;  ///< null unless configured (tests only)
  DnssecMode dnssec = DnssecMode::Validate;
  /// Null: the built-in root anchors (TrustAnchors::builtIn()).
  std::shared_ptr<const dnssec::TrustAnchors> trustAnchors;
  std::shared_ptr<const dnssec::NegativeTrustAnchors> negativeTrustAnchors;
};

/// What the chain of trust says about a zone: its state and, when secure, its validated
/// DNSKEY RDATAs. For a name that is not a zone apex, the state of the zone holding it.
struct ZoneTrust {
  dnssec::Verdict verdict;
  std::vector<std::vector<uint8_t>> keys;
};

/// Zone trust results shared by the instances, so the chain is walked once per TTL.
class ZoneTrustCache {
 public:
  std::optional<ZoneTrust> get(const dns::Name& zone, int64_t nowSec) const;
  void put(const dns::Name& zone, ZoneTrust t, uint32_t ttl, int64_t nowSec);

 private:
  static constexpr size_t kMaxEntries = 100000;
  struct Entry {
    ZoneTrust trust;
    int64_t expires;
  };
  mutable std::mutex mutex_;
  std::unordered_map<dns::Name, Entry, dns::NameHash> map_;  ///< lowercased names
};

/// The root servers' IPv4 addresses (root-servers.net, unchanged since 2023).
std::vector<core::Address> builtinRootHints();

struct ResolverStats {
  metrics::Counter cacheHits;          ///< client questions answered from the record cache
  metrics::Counter cacheMisses;        ///< client questions that needed outgoing queries
  metrics::Counter outgoing;           ///< queries sent to servers (UDP and TCP)
  metrics::Counter tcpOutgoing;        ///< of which over TCP, after a truncated answer
  metrics::Counter timeouts;           ///< outgoing queries unanswered in outgoingTimeout
  metrics::Counter servfails;          ///< client questions answered SERVFAIL
  metrics::Counter overCapacity;       ///< client questions refused: maxConcurrent reached
  metrics::Counter ednsFallbacks;      ///< FORMERR to EDNS: asked again without
  metrics::Counter mismatched;         ///< answers ignored: wrong ID or question
  metrics::Counter sharedQueries;      ///< resolutions that joined an identical one in flight
  metrics::Counter secure;             ///< client answers validated secure
  metrics::Counter insecure;           ///< ... provably insecure (or under a negative anchor)
  metrics::Counter bogus;              ///< ... bogus (SERVFAIL unless CD)
  metrics::Counter indeterminate;      ///< ... not under any trust anchor
  // The shared tier (shared_tier.hh), as this resolver's lookups saw it.
  metrics::Counter redisHits;          ///< lookups that filled the record cache
  metrics::Counter redisMisses;        ///< lookups that found nothing usable
  metrics::Counter redisErrors;        ///< lookups failed or over the budget
  metrics::Counter redisCorrupt;       ///< values ignored: damaged, foreign, another schema
  metrics::Counter redisSkipped;       ///< lookups not asked: breaker open or not connected
  std::atomic<int64_t> concurrent{0};  ///< resolutions in progress, all instances
};

class Resolver {
 public:
  explicit Resolver(ResolverConfig cfg);
  const ResolverConfig& config() const { return config_; }
  RecordCache& cache() { return cache_; }
  ServerSpeeds& speeds() { return speeds_; }
  ResolverStats& stats() { return stats_; }
  bool tracing() const { return tracing_.load(std::memory_order_relaxed); }
  void setTracing(bool on) { tracing_.store(on, std::memory_order_relaxed); }
  /// The forward zone `name` falls under (the longest match), or null.
  const ForwardZone* forwardZoneFor(const dns::Name& name) const;
  /// The file the cache is saved to (setResolverCacheFile), or null.
  CacheFileKeeper* cacheFile() const { return cacheFile_.get(); }
  void setCacheFile(std::unique_ptr<CacheFileKeeper> k) { cacheFile_ = std::move(k); }
  const dnssec::Validator& validator() const { return validator_; }
  const dnssec::Denial& denial() const { return denial_; }
  const dnssec::TrustAnchors& trustAnchors() const { return *config_.trustAnchors; }
  const dnssec::NegativeTrustAnchors& negativeTrustAnchors() const {
    return *config_.negativeTrustAnchors;
  }
  ZoneTrustCache& zoneTrust() { return zoneTrust_; }
  /// newResolver{cache={redis=...}}: the shared tier behind the record cache. Every entry a
  /// resolution caches with an answer rank is written to it from then on. Before start.
  void setSharedTier(std::shared_ptr<core::KeyValueTier> t);
  core::KeyValueTier* sharedTier() const { return sharedTier_.get(); }
  /// At shutdown, after the instances stopped: the tier's thread ends. Idempotent.
  void stopSharedTier() {
    if (sharedTier_) sharedTier_->stop();
  }

 private:
  ResolverConfig config_;
  RecordCache cache_;
  ServerSpeeds speeds_;
  ResolverStats stats_;
  std::atomic<bool> tracing_{false};
  dnssec::Validator validator_;
  dnssec::Denial denial_;
  ZoneTrustCache zoneTrust_;
  std::unique_ptr<CacheFileKeeper> cacheFile_;  ///< after cache_: refers to it
  /// Last: stopped first, while the cache its writer hook points into is still there.
  std::shared_ptr<core::KeyValueTier> sharedTier_;
};

}  // namespace ballast::backends::resolver
