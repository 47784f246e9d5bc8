// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The queries a remote backend is waiting on, indexed by the query ID sent to the backend.
/// Lock-free: frontend threads claim slots, the responder thread takes them back when the
/// answer comes or when they time out. Each slot's state and send time share one atomic
/// word, so a timeout can only expire the exact query it looked at.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/backend.hh"

namespace ballast::backends::remote {

struct InFlight {
  core::Completion done;
};

class InFlightTable {
 public:
  /// At most 65536 slots: the slot index is the 16-bit query ID.
  explicit InFlightTable(size_t capacity);

  /// Claims a free slot for a new query; returns its index, or -1 when the probed slots are
  /// all in use (the table is full, or nearly).
  int claim();
  InFlight& at(size_t i) { return slots_[i]; }
  /// Makes a claimed slot visible to the responder, stamped with the send time.
  void publish(size_t i, int64_t nowMs);
  /// The responder takes an in-flight slot to process its answer; false if none is waiting.
  bool take(size_t i);
  /// Returns a taken slot to waiting (the answer did not match the question).
  void putBack(size_t i);
  /// Frees a taken slot.
  void release(size_t i);
  /// Takes every slot waiting longer than timeoutMs, calls onExpired(slot) on it (to answer
  /// its client some other way, or count it), then frees it; returns how many. Responder
  /// thread only, as take().
  template <typename F>
  size_t expire(int64_t nowMs, int64_t timeoutMs, F&& onExpired) {
    size_t expired = 0;
    for (size_t i = 0; i < slots_.size(); ++i) {
      // Acquire: the slot's contents, published with the Waiting word, are read below.
      uint64_t w = words_[i].load(std::memory_order_acquire);
      if (stateOf(w) != Waiting || nowMs - int64_t(w >> 8) < timeoutMs) continue;
      if (!words_[i].compare_exchange_strong(w, word(Taken, int64_t(w >> 8)),
                                             std::memory_order_acq_rel))
        continue;
      onExpired(slots_[i]);
      release(i);
      ++expired;
    }
    return expired;
  }
  size_t expire(int64_t nowMs, int64_t timeoutMs) {
    return expire(nowMs, timeoutMs, [](InFlight&) {});
  }

  size_t capacity() const { return slots_.size(); }
  uint32_t outstanding() const { return outstanding_.load(std::memory_order_relaxed); }

 private:
  enum State : uint64_t { Free = 0, Claimed = 1, Waiting = 2, Taken = 3 };
  static uint64_t word(State s, int64_t ms) { return (uint64_t(ms) << 8) | s; }
  static State stateOf(uint64_t w) { return State(w & 0xff); }

  std::vector<InFlight> slots_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  std::atomic<size_t> next_{0};
  std::atomic<uint32_t> outstanding_{0};
};

}  // namespace ballast::backends::remote
