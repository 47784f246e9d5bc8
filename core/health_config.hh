// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// How a backend is health-checked (dnsdist's newServer check options), and the outcomes of
/// its client queries that lazy health checking judges by.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "dns/name.hh"

namespace ballast::core {

/// newServer{checkFunction=}: changes each health-check query before it is sent (qname,
/// qtype, qclass and the 12-byte header, e.g. CD). Called on the health-check thread with
/// no lock of the checker held; false (the function failed, `error` says why) fails that
/// check.
class CheckQueryBuilder {
 public:
  virtual ~CheckQueryBuilder() = default;
  virtual bool build(dns::Name& qname, uint16_t& qtype, uint16_t& qclass, uint8_t* header,
                     std::string& error) = 0;
};

/// How a backend in automatic mode is health-checked (dnsdist's newServer check options).
struct HealthCheckConfig {
  dns::Name checkName = dns::Name::fromString("a.root-servers.net.");
  uint16_t checkType = 1;   ///< A
  uint16_t checkClass = 1;  ///< IN
  int64_t intervalSec = 1;
  int64_t timeoutMs = 1000;
  int maxCheckFailures = 1;  ///< consecutive failures before a backend goes down
  int rise = 1;              ///< consecutive successes before it comes back up
  bool mustResolve = false;  ///< NXDOMAIN and REFUSED fail the check too (SERVFAIL always does)
  bool setCD = false;
  bool useRD = true;

  /// healthCheckMode="lazy": no checks while client queries go well (dnsdist's lazy mode).
  bool lazy = false;
  size_t lazySampleSize = 100;         ///< lazyHealthCheckSampleSize: outcomes kept
  size_t lazyMinSampleCount = 1;       ///< lazyHealthCheckMinSampleCount
  int lazyThreshold = 20;              ///< lazyHealthCheckThreshold: failure percentage
  int64_t lazyFailedIntervalSec = 30;  ///< lazyHealthCheckFailedInterval
  bool lazyTimeoutOnly = false;      ///< lazyHealthCheckMode="TimeoutOnly": SERVFAIL is no failure
  bool lazyBackOff = false;          ///< lazyHealthCheckUseExponentialBackOff
  int64_t lazyMaxBackOffSec = 3600;  ///< lazyHealthCheckMaxBackOff
  std::shared_ptr<CheckQueryBuilder> checkFunction;  ///< null: the query as configured
};

/// The outcomes of the last client queries of a backend in lazy health-check mode: a ring
/// written with one atomic increment per query from any thread, read by the health checker.
/// Samples racing a clear() may land on either side of it, which only blurs the ratio.
class LazySamples {
 public:
  /// Sized once, before the backend is shared.
  void resize(size_t n) {
    size_ = n == 0 ? 1 : n;
    ring_ = std::make_unique<std::atomic<uint8_t>[]>(size_);
    for (size_t i = 0; i < size_; ++i) ring_[i].store(0, std::memory_order_relaxed);
  }
  bool enabled() const { return size_ != 0; }
  void record(bool failed) {
    uint64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    ring_[i % size_].store(failed ? kFailed : kOk, std::memory_order_relaxed);
  }
  /// Counts the samples since the last clear(): {samples, failures}.
  std::pair<size_t, size_t> count() const {
    uint64_t end = next_.load(std::memory_order_relaxed);
    uint64_t start = clearedAt_.load(std::memory_order_relaxed);
    size_t n = size_t(std::min<uint64_t>(end - std::min(start, end), size_));
    size_t failures = 0;
    for (size_t k = 0; k < n; ++k)
      failures += ring_[(end - 1 - k) % size_].load(std::memory_order_relaxed) == kFailed;
    return {n, failures};
  }
  void clear() {
    clearedAt_.store(next_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }

 private:
  static constexpr uint8_t kOk = 1;
  static constexpr uint8_t kFailed = 2;
  size_t size_ = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> ring_;
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> clearedAt_{0};
};

}  // namespace ballast::core
