// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Counters written from many threads and summed on read. Each thread increments its own
/// cache line, so the query path never contends on a shared counter.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ballast::metrics {

/// Index of the calling thread's slot in every sharded counter.
size_t threadSlot();

constexpr size_t kCounterShards = 16;

class Counter {
 public:
  void inc(uint64_t n = 1) { cells_[threadSlot()].v.fetch_add(n, std::memory_order_relaxed); }
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
