// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/inflight_table.hh"

#include <stdexcept>

namespace ballast::backends::remote {

namespace {
constexpr int kProbes = 16;  // slots tried before a claim grows the table or gives up
}

InFlightTable::InFlightTable(size_t capacity) : capacity_(capacity) {
  if (capacity == 0 || capacity > kMaxSlots)
    throw std::invalid_argument("the in-flight table holds 1 to 65536 queries");
  size_t maxSegments = (capacity + kSegment - 1) / kSegment;
  segment_.reset(new std::atomic<Segment*>[maxSegments]);
  for (size_t i = 0; i < maxSegments; ++i) segment_[i].store(nullptr, std::memory_order_relaxed);
  grow(0);
}

InFlightTable::~InFlightTable() {
  size_t n = segments_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) delete segment_[i].load(std::memory_order_relaxed);
}

bool InFlightTable::grow(size_t seen) {
  size_t maxSegments = (capacity_ + kSegment - 1) / kSegment;
  if (seen >= maxSegments) return false;
  // Whoever installs segment `seen` first wins; a loser frees its copy and uses the winner's.
  Segment* fresh = new Segment();
  Segment* expected = nullptr;
  if (!segment_[seen].compare_exchange_strong(expected, fresh, std::memory_order_acq_rel))
    delete fresh;
  // The segment is in place before the count that makes its slots reachable.
  size_t s = seen;
  segments_.compare_exchange_strong(s, seen + 1, std::memory_order_acq_rel);
  return true;
}

int InFlightTable::tryClaim(size_t i) {
  std::atomic<uint64_t>& word = wordOf(i);
  uint64_t w = word.load(std::memory_order_relaxed);
  if (stateOf(w) != Free) return -1;
  if (!word.compare_exchange_strong(w, makeWord(Claimed, 0), std::memory_order_acquire))
    return -1;
  outstanding_.fetch_add(1, std::memory_order_relaxed);
  return int(i);
}

int InFlightTable::claim() {
  for (;;) {
    size_t segs = segments_.load(std::memory_order_acquire);
    size_t slots = segs * kSegment < capacity_ ? segs * kSegment : capacity_;
    for (int probe = 0; probe < kProbes; ++probe) {
      size_t i = next_.fetch_add(1, std::memory_order_relaxed) % slots;
      if (int id = tryClaim(i); id >= 0) return id;
    }
    // The probed slots were all busy: the table is nearly full at its current size.
    if (!grow(segs)) return -1;
  }
}

void InFlightTable::publish(size_t i, int64_t nowMs) {
  wordOf(i).store(makeWord(Waiting, nowMs), std::memory_order_release);
}

bool InFlightTable::take(size_t i) {
  if (i >= allocated()) return false;
  std::atomic<uint64_t>& word = wordOf(i);
  uint64_t w = word.load(std::memory_order_acquire);
  if (stateOf(w) != Waiting) return false;
  return word.compare_exchange_strong(w, makeWord(Taken, int64_t(w >> 8)),
                                      std::memory_order_acquire);
}

void InFlightTable::putBack(size_t i) {
  std::atomic<uint64_t>& word = wordOf(i);
  uint64_t w = word.load(std::memory_order_relaxed);
  word.store(makeWord(Waiting, int64_t(w >> 8)), std::memory_order_release);
}

void InFlightTable::release(size_t i) {
  wordOf(i).store(makeWord(Free, 0), std::memory_order_release);
  outstanding_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace ballast::backends::remote
