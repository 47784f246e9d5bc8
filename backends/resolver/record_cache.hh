// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The record cache shared by every instance of a resolver: RRsets with the trust rank of
/// where they came from, and negative entries (NXDOMAIN per name, NODATA per name and type,
/// RFC 2308), in shards each under its own lock. Time is passed in (seconds, monotonic).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backends/resolver/dnssec/result.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver {

/// How far a cached RRset can be trusted, lowest first (RFC 2181 5.4.1, simplified). Data
/// only replaces data of a lower or equal rank; only answer ranks are given to clients.
enum class Rank : uint8_t {
  Glue = 1,        ///< additional-section addresses from a referral: for reaching servers only
  Referral = 2,    ///< NS records of a delegation, from the parent side
  NonAuth = 3,     ///< the answer of a server that did not set AA (a forwarder)
  AuthAnswer = 4,  ///< the answer section of an authoritative answer
};

inline bool answersClients(Rank r) {
  return r >= Rank::NonAuth;
}

/// A record of an RRset as kept: RDATA with any embedded names decompressed.
struct Record {
  dns::Name owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
};

enum class EntryKind : uint8_t { Positive, NxDomain, NoData };

/// What DNSSEC needs kept with an entry: the RRSIGs over the RRset (or over the SOA of a
/// negative entry) and the records that prove a denial or a wildcard expansion (NSEC,
/// NSEC3, the SOA's and their RRSIGs, as records).
struct Signatures {
  std::vector<std::vector<uint8_t>> rrsigs;
  std::vector<Record> proofs;
  bool empty() const { return rrsigs.empty() && proofs.empty(); }
};

/// What a lookup returns: a copy, TTLs already counted down.
struct CacheEntry {
  EntryKind kind = EntryKind::Positive;
  Rank rank = Rank::Glue;
  uint32_t ttl = 0;                          ///< seconds left
  std::vector<std::vector<uint8_t>> rdatas;  ///< Positive: the RRset
  std::optional<Record> soa;                 ///< negative entries: the SOA that proves them
  Signatures sigs;                           ///< RRSIGs and proofs, when the server sent any
  bool validated = false;                    ///< `verdict` holds the validation's outcome
  dnssec::Verdict verdict;
};

struct CacheLimits {
  size_t maxEntries = 1000000;
  uint32_t maxTtl = 86400;
  uint32_t maxNegativeTtl = 3600;
};

class RecordCache {
 public:
  static constexpr size_t kShards = 32;
  /// The type under which an NXDOMAIN is kept: it covers every type of the name.
  static constexpr uint16_t kNxType = 0;

  explicit RecordCache(const CacheLimits& limits);

  /// Stores an RRset unless a live one of higher rank is there. TTL capped by maxTtl.
  void putRRset(const dns::Name& owner, uint16_t type, uint32_t ttl, Rank rank,
                std::vector<std::vector<uint8_t>> rdatas, int64_t nowSec, Signatures sigs = {});
  /// Stores NXDOMAIN (`type` ignored) or NODATA for (owner, type), capped by maxNegativeTtl.
  void putNegative(const dns::Name& owner, uint16_t type, EntryKind kind, uint32_t ttl,
                   std::optional<Record> soa, Rank rank, int64_t nowSec, Signatures sigs = {});
  /// Records the validation outcome of the live entry (owner, type) (kNxType: an NXDOMAIN),
  /// so cache hits need no cryptography; its lifetime is cut to `maxTtl` seconds if that is
  /// shorter (RFC 4035 5.3.3, and bogus data kept briefly). No entry: nothing happens.
  void setVerdict(const dns::Name& owner, uint16_t type, const dnssec::Verdict& v, uint32_t maxTtl,
                  int64_t nowSec);
  /// A live entry for (owner, type); NXDOMAIN is found under kNxType.
  std::optional<CacheEntry> get(const dns::Name& owner, uint16_t type, int64_t nowSec) const;

  size_t size() const;
  /// Drops expired entries; returns how many.
  size_t purgeExpired(int64_t nowSec);

  /// A live entry as the cache file sees it (cache_file.cc): valid only during the callback.
  struct EntryView {
    std::string_view key;  ///< lowercased wire name, then the type (2 bytes, big endian)
    EntryKind kind;
    Rank rank;
    uint32_t ttl;  ///< seconds left
    const std::vector<std::vector<uint8_t>>& rdatas;
    const Record* soa;
    const Signatures* sigs;  ///< null: none
  };
  /// Calls `fn` for each live entry, one shard lock at a time.
  void forEachLive(int64_t nowSec, const std::function<void(const EntryView&)>& fn) const;
  /// Puts back an entry read from a cache file; `key` as in EntryView, already validated.
  void restore(std::string_view key, EntryKind kind, Rank rank, uint32_t ttl,
               std::vector<std::vector<uint8_t>> rdatas, std::optional<Record> soa, int64_t nowSec,
               Signatures sigs = {});

  /// Called with each entry putRRset or putNegative stored (not restore(): entries from a
  /// file or from the shared tier), under its shard lock: the shared tier's writer
  /// (shared_tier.hh), which only copies. Set before the cache is used.
  using StoreHook = std::function<void(const EntryView&)>;
  void setStoreHook(StoreHook h) { storeHook_ = std::move(h); }

 private:
  /// A key: the lowercased wire name, then the type (2 bytes). Stored as a std::string
  /// (most names need one small allocation, far less than a 256-byte dns::Name), probed
  /// with a stack buffer through the transparent hash, so a lookup allocates nothing.
  class KeyBuf {
   public:
    KeyBuf(const dns::Name& name, uint16_t type);
    std::string_view view() const { return {buf_, len_}; }

   private:
    char buf_[dns::kMaxNameLength + 2];
    size_t len_;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  struct Stored {
    EntryKind kind;
    Rank rank;
    int64_t expires;  ///< seconds, monotonic
    std::vector<std::vector<uint8_t>> rdatas;
    std::unique_ptr<Record> soa;                 ///< out of line: most entries are positive
    std::unique_ptr<Signatures> sigs = nullptr;  ///< out of line: only signed zones have them
    bool validated = false;
    dnssec::Verdict verdict = {};
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Stored, KeyHash, KeyEq> map;
  };

  Shard& shardOf(std::string_view k) const { return shards_[KeyHash{}(k) % kShards]; }
  void store(std::string_view key, Stored s, int64_t nowSec, bool notify = true);

  CacheLimits limits_;
  size_t maxPerShard_;
  mutable Shard shards_[kShards];
  StoreHook storeHook_;
};

}  // namespace ballast::backends::resolver
