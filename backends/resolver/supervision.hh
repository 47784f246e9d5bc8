// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The supervisor's judgement, apart from its thread so it is tested on a fake clock: when
/// an instance counts as failed (no heartbeat while it has work, its loop ended by an
/// exception, its memory over the bound), and how long to wait before restarting it
/// (doubling back-off, reset after a stable period).
#include <cstdint>
#include <string>

namespace ballast::backends::resolver {

/// setResolverSupervision{...}; times in milliseconds.
struct SupervisionSettings {
  int64_t checkIntervalMs = 100;     ///< how often every instance is looked at
  int64_t heartbeatTimeoutMs = 500;  ///< no heartbeat for this long, with work: hung
  int64_t minBackoffMs = 100;        ///< first restart delay after a failure
  int64_t maxBackoffMs = 30000;      ///< the doubling stops here
  int64_t stableMs = 60000;          ///< up this long since its restart: back-off starts over
  bool operator==(const SupervisionSettings&) const = default;
};

/// What the supervisor reads of an instance at one check.
struct InstanceProbe {
  int64_t heartbeatUsec = 0;   ///< monotonic, last sign of life of its loop (or, if later,
                               ///< when it went from idle to busy)
  bool hasWork = false;        ///< questions taken and not finished (checks included)
  bool threw = false;          ///< its loop ended by an exception
  std::string what;            ///< the exception's message
  int64_t memoryBytes = 0;     ///< what it owns: coroutine frames and questions taken
  int64_t maxMemoryBytes = 0;  ///< 0: no bound
};

enum class Failure { None, Hung, Threw, Memory };

/// The verdict on one probe at `nowUsec`; `reason` gets the text shown by showResolvers
/// ("hung", "threw: <what>", "memory") when it is not None.
Failure judge(const InstanceProbe& p, int64_t nowUsec, const SupervisionSettings& s,
              std::string& reason);

/// The restart delays of one instance slot (kept across the objects that fill it).
class RestartBackoff {
 public:
  explicit RestartBackoff(const SupervisionSettings& s) : s_(s) {}
  /// A failure at `nowUsec`: the delay before the restart, in microseconds.
  int64_t failed(int64_t nowUsec);
  /// The instance (re)started at `nowUsec`.
  void started(int64_t nowUsec) { startedUsec_ = nowUsec; }

 private:
  const SupervisionSettings& s_;
  int64_t startedUsec_ = 0;
  int64_t lastDelayUsec_ = 0;  ///< 0: no failure since the last stable period
};

}  // namespace ballast::backends::resolver
