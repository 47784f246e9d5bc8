// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Latency accounting with dnsdist's buckets (latency0-1 ... latency-slow) and averages.
#include <cstdint>

#include "metrics/counter.hh"

namespace ballast::metrics {

class LatencyStats {
 public:
  /// Upper bounds in microseconds of the histogram buckets; the last bucket is open.
  static constexpr uint64_t kBucketBoundsUsec[] = {1000, 10000, 50000, 100000, 1000000};
  static constexpr const char* kBucketNames[] = {"latency0-1",     "latency1-10",
                                                 "latency10-50",   "latency50-100",
                                                 "latency100-1000", "latency-slow"};
  static constexpr size_t kBuckets = 6;

  void record(uint64_t usec) {
    size_t b = 0;
    while (b < kBuckets - 1 && usec >= kBucketBoundsUsec[b]) ++b;
    buckets_[b].inc();
    count_.inc();
    sumUsec_.inc(usec);
    avg100_.add(double(usec));
    avg1000_.add(double(usec));
    avg10000_.add(double(usec));
    avg1000000_.add(double(usec));
  }
  uint64_t bucket(size_t i) const { return buckets_[i].value(); }
  uint64_t count() const { return count_.value(); }
  uint64_t sumUsec() const { return sumUsec_.value(); }
  double avg100() const { return avg100_.value(); }
  double avg1000() const { return avg1000_.value(); }
  double avg10000() const { return avg10000_.value(); }
  double avg1000000() const { return avg1000000_.value(); }

 private:
  Counter buckets_[kBuckets];
  Counter count_;
  Counter sumUsec_;
  MovingAverage avg100_{100}, avg1000_{1000}, avg10000_{10000}, avg1000000_{1000000};
};

}  // namespace ballast::metrics
