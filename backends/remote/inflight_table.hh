// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The queries a remote backend is waiting on, indexed by the query ID sent to the backend.
/// Lock-free: frontend threads claim slots, the responder thread takes them back when the
/// answer comes or when they time out. Each slot's state and send time share one atomic
/// word, so a timeout can only expire the exact query it looked at.
///
/// Slots come in segments of kSegment, allocated when the slots in use call for them (a
/// claim that finds its probes busy adds one), up to the capacity: a backend that never has
/// more than a few hundred queries in flight holds a few hundred slots, not
/// setMaxUDPOutstanding's 65,535 (a slot is about 400 bytes). Segments are never freed
/// before the table, so a slot's address stays valid while any thread may use it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/backend.hh"

namespace ballast::backends::remote {

struct InFlight {
  core::Completion done;
};

class InFlightTable {
 public:
  static constexpr size_t kSegment = 256;
  static constexpr size_t kMaxSlots = 65536;

  /// At most 65536 slots: the slot index is the 16-bit query ID.
  explicit InFlightTable(size_t capacity);
  ~InFlightTable();
  InFlightTable(const InFlightTable&) = delete;
  InFlightTable& operator=(const InFlightTable&) = delete;

  /// Claims a free slot for a new query; returns its index, or -1 when the probed slots are
  /// all in use and the table cannot grow (it is full, or nearly).
  int claim();
  /// A slot below allocated().
  InFlight& at(size_t i) { return segmentOf(i)->slots[i % kSegment]; }
  /// Makes a claimed slot visible to the responder, stamped with the send time.
  void publish(size_t i, int64_t nowMs);
  /// The responder takes an in-flight slot to process its answer; false if none is waiting
  /// (or the index was never handed out).
  bool take(size_t i);
  /// Returns a taken slot to waiting (the answer did not match the question).
  void putBack(size_t i);
  /// Frees a taken slot.
  void release(size_t i);
  /// Takes every slot waiting longer than timeoutMs, calls onExpired(slot) on it (to answer
  /// its client some other way, or count it), then frees it; returns how many. Responder
  /// thread only, as take(). Walks the allocated slots only.
  template <typename F>
  size_t expire(int64_t nowMs, int64_t timeoutMs, F&& onExpired) {
    size_t expired = 0;
    size_t n = allocated();
    for (size_t i = 0; i < n; ++i) {
      std::atomic<uint64_t>& word = wordOf(i);
      // Acquire: the slot's contents, published with the Waiting word, are read below.
      uint64_t w = word.load(std::memory_order_acquire);
      if (stateOf(w) != Waiting || nowMs - int64_t(w >> 8) < timeoutMs) continue;
      if (!word.compare_exchange_strong(w, makeWord(Taken, int64_t(w >> 8)),
                                        std::memory_order_acq_rel))
        continue;
      onExpired(at(i));
      release(i);
      ++expired;
    }
    return expired;
  }
  size_t expire(int64_t nowMs, int64_t timeoutMs) {
    return expire(nowMs, timeoutMs, [](InFlight&) {});
  }

  /// The most slots the table may grow to (setMaxUDPOutstanding).
  size_t capacity() const { return capacity_; }
  /// The slots allocated so far: every index handed out is below it.
  size_t allocated() const {
    size_t segs = segments_.load(std::memory_order_acquire);
    return segs * kSegment < capacity_ ? segs * kSegment : capacity_;
  }
  uint32_t outstanding() const { return outstanding_.load(std::memory_order_relaxed); }

 private:
  enum State : uint64_t { Free = 0, Claimed = 1, Waiting = 2, Taken = 3 };
  static uint64_t makeWord(State s, int64_t ms) { return (uint64_t(ms) << 8) | s; }
  static State stateOf(uint64_t w) { return State(w & 0xff); }

  struct Segment {
    InFlight slots[kSegment];
    std::atomic<uint64_t> words[kSegment] = {};
  };
  Segment* segmentOf(size_t i) const {
    return segment_[i / kSegment].load(std::memory_order_acquire);
  }
  std::atomic<uint64_t>& wordOf(size_t i) { return segmentOf(i)->words[i % kSegment]; }
  int tryClaim(size_t i);
  /// Adds a segment when `seen` segments are still all there are; false at capacity.
  bool grow(size_t seen);

  size_t capacity_;
  std::atomic<size_t> segments_{0};
  std::unique_ptr<std::atomic<Segment*>[]> segment_;
  std::atomic<size_t> next_{0};
  std::atomic<uint32_t> outstanding_{0};
};

}  // namespace ballast::backends::remote
