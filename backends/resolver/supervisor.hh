// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Restarting embedded resolver instances without losing queries (restartResolver,
/// restartResolvers): each instance is taken out of its pool's choices, drained, stopped,
/// started afresh and put back, one at a time, so its siblings carry the load meanwhile.
/// The record cache is the Resolver's and survives every restart.
///
/// The Supervisor watches every instance and restarts the failed ones by itself.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backends/resolver/instance.hh"
#include "backends/resolver/supervision.hh"
#include "core/runtime.hh"
#include "core/udp_sender.hh"

namespace ballast::backends::resolver {

struct RestartResult {
  uint32_t leftInFlight = 0;  ///< queries still in flight when the drain bound ran out
  int64_t downUsec = 0;       ///< how long the instance was out of its pool
};

/// Restarts one instance: down for the policies, waits `grace` for queries already routed
/// to it to arrive, waits up to `drainBound` for those in flight, then stop() and start().
/// Its administrative state is restored afterwards. Counted in its lifecycle with `reason`
/// and logged. Throws std::runtime_error if the instance cannot start again (it stays down).
RestartResult restartInstance(ResolverInstance& inst, const std::string& reason,
                              std::chrono::milliseconds drainBound,
                              std::chrono::milliseconds grace = std::chrono::milliseconds(50));

/// The instances of resolver `name` among `servers`, in index order.
std::vector<std::shared_ptr<ResolverInstance>> instancesOf(
    const std::vector<std::shared_ptr<core::Backend>>& servers, const std::string& name);

/// The process's one supervisor thread. Every checkIntervalMs it probes each embedded
/// instance among the runtime's servers; one that hung (no heartbeat while it has work),
/// threw out of its loop or went over its memory bound is marked down at once (policies
/// skip it), its questions are handed to an up sibling (or answered stale from the packet
/// cache, else SERVFAIL), and after a doubling back-off it is restarted: the same object
/// when its thread ended, a new one with the same name put in its place when the thread is
/// stuck (that one is detached and kept alive for ever, since it may wake up).
class Supervisor {
 public:
  explicit Supervisor(core::Runtime& rt) : rt_(rt), completer_(rt) {}
  ~Supervisor() { stop(); }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// Changed at configuration time only, before start().
  SupervisionSettings& settings() { return settings_; }
  void start();
  void stop();
  /// One round at `nowUsec`: what the thread does each checkIntervalMs.
  void checkOnce(int64_t nowUsec);

 private:
  struct Slot {  // one per instance name, across the objects that fill it
    explicit Slot(const SupervisionSettings& s) : backoff(s) {}
    RestartBackoff backoff;
    Failure failure = Failure::None;  ///< not None: down, waiting for restartAtUsec
    int64_t failedAtUsec = 0;
    int64_t restartAtUsec = 0;
    std::string reason;
  };
  struct Handover {
    size_t toSiblings = 0;
    size_t answered = 0;  ///< stale from the packet cache, else SERVFAIL
  };

  void onFailure(const std::shared_ptr<ResolverInstance>& inst,
                 const std::vector<std::shared_ptr<core::Backend>>& servers, Slot& slot, Failure f,
                 const std::string& reason, int64_t nowUsec);
  Handover handOver(ResolverInstance& inst,
                    const std::vector<std::shared_ptr<core::Backend>>& servers);
  void answerFailed(ResolverInstance& inst, const Job& job);
  void restart(const std::shared_ptr<ResolverInstance>& inst, Slot& slot, int64_t nowUsec);

  core::Runtime& rt_;
  SupervisionSettings settings_;
  std::map<std::string, Slot> slots_;  // supervisor thread only
  size_t nextSibling_ = 0;
  core::Completer completer_;  ///< answers for failed instances; released after each use
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ballast::backends::resolver
