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

RingEntry& Rings::nextSlot(Ring& r) {
  // Within the reserved capacity: no allocation.
  RingEntry& e =
      r.entries.size() < perShard_ ? r.entries.emplace_back() : r.entries[r.next % perShard_];
  ++r.next;
  return e;
}

void Rings::insert(const RingEntry& e, Ring Shard::*which) {
  Shard& s = *shards_[metrics::threadSlot() % shards_.size()];
  std::lock_guard lock(s.mutex);
  nextSlot(s.*which) = e;
}

void Rings::recordQuery(int64_t whenUsec, const Address& requestor, const dns::NameRef& qname,
                        uint16_t qtype, uint16_t size, uint16_t id, bool tcp) {
  Shard& s = *shards_[metrics::threadSlot() % shards_.size()];
  std::lock_guard lock(s.mutex);
  RingEntry& e = nextSlot(s.queries);
  e.whenUsec = whenUsec;
  e.requestor = requestor;
  qname.toName(e.qname);
  e.qtype = qtype;
  e.size = size;
  e.id = id;
  e.rcode = 0;
  e.tcp = tcp;
  e.latencyUsec = 0;
}

}  // namespace ballast::core
