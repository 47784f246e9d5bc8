// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The health of one backend as its checks come and go: pure logic over the `now` it is
/// given, so failures, rise and timeouts are tested on a fake clock. Not thread-safe; the
/// health checker serialises calls.
#include <cstdint>
#include <span>
#include <vector>

#include "core/backend.hh"

namespace ballast::backends::health {

enum class Transition : uint8_t { None, WentUp, WentDown };

class HealthState {
 public:
  /// Starts up, with the first check due at once.
  explicit HealthState(const core::HealthCheckConfig& cfg);

  bool up() const { return up_; }
  /// Takes the backend's state as it is now (setAuto(status) may have changed it), starting
  /// the count of failures or successes afresh when it differs.
  void sync(bool up);
  bool inFlight() const { return inFlight_; }
  /// A check should be sent: none is waiting for its answer and the interval has passed.
  bool due(int64_t nowUsec) const { return !inFlight_ && nowUsec >= nextUsec_; }
  /// Records a check sent at `now`; returns its sequence number, never 0.
  uint32_t sent(int64_t nowUsec);
  /// The answer to check `seq` came; `ok` is the verdict on it. An answer to an older
  /// check (already timed out) changes nothing.
  Transition answered(uint32_t seq, bool ok);
  /// Fails the check in flight once it has waited `checkTimeout`.
  Transition tick(int64_t nowUsec);

 private:
  Transition record(bool ok);

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

/// Whether `response` passes the check: a well-formed response (QR set, opcode QUERY) to
/// the configured question, with an rcode other than SERVFAIL, and other than NXDOMAIN or
/// REFUSED with mustResolve (dnsdist's rules).
bool checkResponse(std::span<const uint8_t> response, const core::HealthCheckConfig& cfg);

}  // namespace ballast::backends::health
