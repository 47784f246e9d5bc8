// SPDX-License-Identifier: GPL-2.0-only
#include "core/rings.hh"

#include <stdexcept>

#include "metrics/counter.hh"

namespace ballast::core {

Rings::Rings(size_t capacity, size_t shards) {
  if (shards == 0) throw std::invalid_argument("the number of shards must be at least 1");
  if (capacity == 0) throw std::invalid_argument("the ring size must be at least 1");
  perShard_ = (capacity + shards - 1) / shards;
  for (size_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->queries.entries.reserve(perShard_);
    shards_.back()->responses.entries.reserve(perShard_);
  }
}

void Rings::insert(const RingEntry& e, Ring Shard::*which) {
  Shard& s = *shards_[metrics::threadSlot() % shards_.size()];
  std::lock_guard lock(s.mutex);
  Ring& r = s.*which;
  if (r.entries.size() < perShard_)
    r.entries.push_back(e);  // within the reserved capacity: no allocation
  else
    r.entries[r.next % perShard_] = e;
  ++r.next;
}

}  // namespace ballast::core
