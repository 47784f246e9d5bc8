// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The ring buffers of recent queries and responses (dnsdist's setRingBuffersSize,
/// topQueries, grepq...), read by the dynamic block groups. Sharded: a thread writes to
/// the shard of its counter slot, so writers rarely meet; each shard has its own lock,
/// held for one entry copy.
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/address.hh"
#include "dns/name.hh"

namespace ballast::core {

struct RingEntry {
  int64_t whenUsec = 0;  ///< monotonic
  Address requestor;
  dns::Name qname;
  uint16_t qtype = 0;
  uint16_t size = 0;  ///< bytes of the query or the response
  uint16_t id = 0;
  uint8_t rcode = 0;  ///< responses only
  bool tcp = false;
  uint32_t latencyUsec = 0;  ///< responses only
};

class Rings {
 public:
  /// `capacity` entries per ring in all, spread over `shards` (at least one each).
  explicit Rings(size_t capacity = 10000, size_t shards = 10, size_t lockRetries = 5);
  /// setRingBuffersLockRetries: rings sharing these entries whose inserts try up to `n`
  /// shards without waiting (starting with their thread's) before waiting for their own;
  /// always 0 with a single shard.
  std::shared_ptr<Rings> withLockRetries(size_t n) const;
  size_t lockRetries() const { return lockRetries_; }
  void insertQuery(const RingEntry& e) { insert(e, &Shard::queries); }
  void insertResponse(const RingEntry& e) { insert(e, &Shard::responses); }
  /// The query path's insert: the entry is written in its slot under the shard's lock, the
  /// name decompressed straight into it (no ~300-byte entry built, zeroed and copied).
  void recordQuery(int64_t whenUsec, const Address& requestor, const dns::NameRef& qname,
                   uint16_t qtype, uint16_t size, uint16_t id, bool tcp);
  /// Calls fn(entry) for every query (response) kept, shard after shard, oldest first in
  /// each shard. Holds one shard's lock at a time: keep fn short.
  template <typename Fn>
  void forEachQuery(Fn&& fn) const {
    forEach(&Shard::queries, fn);
  }
  template <typename Fn>
  void forEachResponse(Fn&& fn) const {
    forEach(&Shard::responses, fn);
  }
  size_t capacity() const { return perShard_ * shards_.size(); }
  size_t shardCount() const { return shards_.size(); }

 private:
  struct Ring {
    std::vector<RingEntry> entries;
    size_t next = 0;  // total inserted; entries[next % size] is the oldest once full
  };
  // Own cache lines: threads writing to different shards never share one.
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    Ring queries;
    Ring responses;
  };
  void insert(const RingEntry& e, Ring Shard::*which);
  /// Locks a shard for an insert (see setLockRetries) and returns it, locked.
  Shard& lockShard();
  /// The slot the next entry of r goes to (the oldest once full); counts it as inserted.
  RingEntry& nextSlot(Ring& r);
  template <typename Fn>
  void forEach(Ring Shard::*which, Fn& fn) const {
    for (const auto& s : shards_) {
      std::lock_guard lock(s->mutex);
      const Ring& r = (*s).*which;
      size_t n = r.entries.size();
      size_t start = r.next > n ? r.next % n : 0;
      for (size_t k = 0; k < n; ++k) fn(r.entries[(start + k) % n]);
    }
  }
  size_t perShard_;
  std::vector<std::shared_ptr<Shard>> shards_;  // shared by withLockRetries' copies
  size_t lockRetries_;
};

}  // namespace ballast::core
