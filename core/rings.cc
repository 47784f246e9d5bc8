// SPDX-License-Identifier: GPL-2.0-only
#include "core/rings.hh"

#include <stdexcept>

#include "metrics/counter.hh"

namespace ballast::core {

Rings::Rings(size_t capacity, size_t shards, size_t lockRetries)
    : lockRetries_(shards > 1 ? lockRetries : 0) {
  if (shards == 0) throw std::invalid_argument("the number of shards must be at least 1");
  if (capacity == 0) throw std::invalid_argument("the ring size must be at least 1");
  perShard_ = (capacity + shards - 1) / shards;
  for (size_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_shared<Shard>());
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

std::shared_ptr<Rings> Rings::withLockRetries(size_t n) const {
  auto r = std::make_shared<Rings>(*this);
  r->lockRetries_ = shards_.size() > 1 ? n : 0;
  return r;
}

Rings::Shard& Rings::lockShard() {
  size_t n = shards_.size(), own = metrics::threadSlot() % n;
  for (size_t i = 0; i < lockRetries_; ++i) {
    Shard& s = *shards_[(own + i) % n];
    if (s.mutex.try_lock()) return s;
  }
  Shard& s = *shards_[own];
  s.mutex.lock();
  return s;
}

void Rings::insert(const RingEntry& e, Ring Shard::*which) {
  Shard& s = lockShard();
  std::lock_guard lock(s.mutex, std::adopt_lock);
  nextSlot(s.*which) = e;
}

void Rings::recordQuery(int64_t whenUsec, const Address& requestor, const dns::NameRef& qname,
                        uint16_t qtype, uint16_t size, uint16_t id, bool tcp) {
  Shard& s = lockShard();
  std::lock_guard lock(s.mutex, std::adopt_lock);
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
