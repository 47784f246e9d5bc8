// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Counters written from many threads and summed on read. Each thread increments its own
/// cache line, so the query path never contends on a shared counter, and (while it has a
/// slot of its own) with no locked instruction.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ballast::metrics {

constexpr size_t kCounterShards = 16;
/// The slot that threads beyond the first kCounterShards - 1 (at once) share.
constexpr size_t kSharedSlot = kCounterShards - 1;

namespace detail {
constexpr size_t kNoSlot = SIZE_MAX;
/// The calling thread's slot, kNoSlot until its first counter update.
extern constinit thread_local size_t tlsSlot;
size_t assignSlot();
}  // namespace detail

/// Index of the calling thread's slot in every sharded counter. Slots below kSharedSlot
/// have one writer at a time: a thread takes a free one on its first update and gives it
/// back when it exits; when none is free, the thread writes the shared slot for its life.
inline size_t threadSlot() {
  size_t s = detail::tlsSlot;
  if (s == detail::kNoSlot) [[unlikely]]
    s = detail::assignSlot();
  return s;
}

class Counter {
 public:
  void inc(uint64_t n = 1) {
    size_t s = threadSlot();
    std::atomic<uint64_t>& v = cells_[s].v;
    // A slot of its own: the thread is the cell's only writer, so a plain add of a relaxed
    // load and store (no locked instruction) loses nothing; readers see whole values.
    if (s != kSharedSlot) [[likely]]
      v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    else
      v.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const {
    uint64_t sum = 0;
    for (const auto& c : cells_) sum += c.v.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> v{0};
  };
  std::array<Cell, kCounterShards> cells_{};
};

/// A value set from one place and read from others (outstanding queries, averages).
class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

/// An exponentially weighted moving average over `window` samples, as dnsdist's
/// latency-avgN figures: avg = ((window - 1) * avg + sample) / window. Concurrent updates may
/// lose a sample, which such an average tolerates.
class MovingAverage {
 public:
  explicit MovingAverage(double window) : window_(window) {}
  void add(double sample) {
    double a = avg_.load(std::memory_order_relaxed);
    avg_.store(((window_ - 1) * a + sample) / window_, std::memory_order_relaxed);
  }
  double value() const { return avg_.load(std::memory_order_relaxed); }

 private:
  double window_;
  std::atomic<double> avg_{0};
};

}  // namespace ballast::metrics
