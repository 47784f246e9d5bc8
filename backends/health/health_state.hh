// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The health of one backend as its checks come and go: pure logic over the `now` it is
/// given, so failures, rise and timeouts are tested on a fake clock. Not thread-safe; the
/// health checker serialises calls.
///
/// Lazy mode (dnsdist's healthCheckMode="lazy") sends no check while the backend is
/// healthy. When the client queries' failure ratio reaches the threshold the backend is
/// "potentially failed": checks run each checkInterval, and maxCheckFailures failures in a
/// row mark it down ("failed"), one success makes it healthy again. Once down it is checked
/// each lazyHealthCheckFailedInterval (doubled per failed check with exponential back-off,
/// up to lazyHealthCheckMaxBackOff) until `rise` successes bring it back up.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/backend.hh"

namespace ballast::backends::health {

enum class Transition : uint8_t { None, WentUp, WentDown };
enum class LazyStatus : uint8_t { Healthy, PotentialFailure, Failed };

class HealthState {
 public:
  /// Starts up, with the first check due at once.
  explicit HealthState(const core::HealthCheckConfig& cfg);

  bool up() const { return up_; }
  /// Takes the backend's state as it is now (setAuto(status) may have changed it), starting
  /// the count of failures or successes afresh when it differs.
  void sync(bool up);
  bool inFlight() const { return inFlight_; }
  /// A check should be sent: none is waiting for its answer and the interval has passed
  /// (and, in lazy mode, the backend is suspected or down).
  bool due(int64_t nowUsec) const {
    return !inFlight_ && nowUsec >= nextUsec_ && (!lazy_ || lazyStatus_ != LazyStatus::Healthy);
  }
  bool lazy() const { return lazy_; }
  LazyStatus lazyStatus() const { return lazyStatus_; }
  /// Lazy mode, healthy: judges the client samples since the last reset. Reaching the
  /// threshold over at least the minimum count makes the backend potentially failed, with
  /// a check due at once; returns true then.
  bool lazyEvaluate(size_t samples, size_t failures, int64_t nowUsec);
  /// Whether the client samples should be forgotten (the lazy status became healthy or
  /// potentially failed since the last call).
  bool takeSampleReset() {
    bool r = resetSamples_;
    resetSamples_ = false;
    return r;
  }
  /// Records a check sent at `now`; returns its sequence number, never 0.
  uint32_t sent(int64_t nowUsec);
  /// The answer to check `seq` came; `ok` is the verdict on it. An answer to an older
  /// check (already timed out) changes nothing.
  Transition answered(uint32_t seq, bool ok);
  /// Fails the check in flight once it has waited `checkTimeout`.
  Transition tick(int64_t nowUsec);

 private:
  Transition record(bool ok);
  int64_t lazyDelayUsec() const;  // from a check to the next while down
  void setLazy(LazyStatus s);

  bool lazy_;
  LazyStatus lazyStatus_ = LazyStatus::Healthy;
  bool resetSamples_ = false;
  size_t minSamples_;
  int threshold_;
  int64_t failedIntervalUsec_;
  int64_t maxBackOffUsec_;
  bool backOff_;
  int checkFailures_ = 0;  // consecutive failed checks, up or down (the back-off exponent)
  int64_t intervalUsec_;
  int64_t timeoutUsec_;
  int maxFailures_;
  int rise_;
  bool up_ = true;
  int failures_ = 0;   // consecutive, while up
  int successes_ = 0;  // consecutive, while down
  bool inFlight_ = false;
  uint32_t seq_ = 0;
  int64_t sentUsec_ = 0;
  int64_t nextUsec_ = 0;
};

/// The check query for `cfg` (question, RD and CD flags as configured) with `id`.
std::vector<uint8_t> buildCheckQuery(const core::HealthCheckConfig& cfg, uint16_t id);

/// The question a check asked: the configured one, or what cfg.checkFunction made of it.
struct CheckQuestion {
  dns::Name name;
  uint16_t type = 1;
  uint16_t klass = 1;
};

/// The check query with cfg.checkFunction applied (when set) to its question and header;
/// `asked` gets the question sent. Empty when the function failed, with `error` set.
std::vector<uint8_t> buildCheckQuery(const core::HealthCheckConfig& cfg, uint16_t id,
                                     CheckQuestion& asked, std::string& error);

/// Whether `response` passes the check: a well-formed response (QR set, opcode QUERY) to
/// the configured question, with an rcode other than SERVFAIL, and other than NXDOMAIN or
/// REFUSED with mustResolve (dnsdist's rules).
bool checkResponse(std::span<const uint8_t> response, const core::HealthCheckConfig& cfg);
/// Likewise for a check that asked `asked` (checkFunction may have changed the question).
bool checkResponse(std::span<const uint8_t> response, const core::HealthCheckConfig& cfg,
                   const CheckQuestion& asked);

}  // namespace ballast::backends::health
