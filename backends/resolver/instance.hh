// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One instance of an embedded resolver (name@N): a core::Backend with its own thread and
/// libevent loop. submit() copies the question into the inbox and wakes the loop (eventfd);
/// the loop starts one coroutine per query, which resolves through the shared cache and
/// answers the client through the same response path as a remote server.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backends/resolver/event_loop.hh"
#include "backends/resolver/iterator.hh"
#include "backends/resolver/resolver.hh"
#include "backends/resolver/supervision.hh"
#include "core/backend.hh"
#include "core/completer.hh"
#include "core/runtime.hh"

namespace ballast::backends::resolver {

/// A client question as the instance thread needs it.
struct Job {
  core::Completion done;  ///< given back to the core with the answer
  uint16_t id = 0;        ///< the client's query ID
  dns::Name qname;        ///< in the client's letter case
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool rd = false;
  bool edns = false;
  uint16_t udpSize = 512;
  bool wantsNsid = false;
  bool dnssecOk = false;  ///< DO: RRSIGs, NSEC and NSEC3 wanted; AD meaningful
  bool ad = false;        ///< AD in the question: the client understands AD (RFC 6840 5.7)
  bool cd = false;        ///< CD: no validation, the answer even if bogus; echoed
  uint8_t refuse = 0;     ///< non-zero: answer with this rcode without resolving
  uint8_t handovers = 0;  ///< times handed to a sibling after its instance failed
};

/// A question taken by an instance, shared with its supervisor, which hands it to a sibling
/// if the instance fails: whoever claims it first answers it, so it is answered once even
/// when a hung thread wakes up later.
struct TakenJob {
  TakenJob(Job j, uint64_t i) : job(std::move(j)), id(i) {}
  Job job;
  const uint64_t id;
  std::atomic<bool> claimed{false};
  bool claim() { return !claimed.exchange(true, std::memory_order_acq_rel); }
};

class ResolverInstance final : public core::Backend {
 public:
  ResolverInstance(std::shared_ptr<Resolver> resolver, int index, core::Runtime& rt);
  ~ResolverInstance() override;

  std::string addressString() const override { return "embedded"; }
  void start() override;
  void stop() override;
  bool submit(core::Query& q, const core::Completion& done) override;
  /// Nothing once failed: its questions have been handed over.
  uint32_t outstanding() const override {
    return failed() ? 0 : uint32_t(clientActive_.load(std::memory_order_relaxed));
  }
  /// Resolutions in progress, health checks included.
  int64_t inFlight() const { return active_.load(std::memory_order_relaxed); }
  const std::shared_ptr<Resolver>& resolver() const { return resolver_; }
  int index() const { return index_; }

  /// What restarts leave behind (supervisor.cc), for showResolvers().
  struct Lifecycle {
    std::atomic<uint64_t> restarts{0};
    std::atomic<int64_t> startedUsec{0};  ///< monotonic, set by start()
    mutable std::mutex mutex;
    std::string lastReason;  ///< under mutex
    /// Held by whoever stops and starts the instance: a rolling restart or the supervisor.
    std::mutex restartMutex;
  };
  Lifecycle& lifecycle() { return lifecycle_; }
  const Lifecycle& lifecycle() const { return lifecycle_; }

  // For the supervisor (supervisor.cc).
  /// Its heartbeat, work, exception and memory as of now.
  InstanceProbe probe() const;
  /// Coroutine frames (counted exactly through their promises) plus the questions taken.
  int64_t memoryBytes() const;
  /// Every question taken and not answered yet (claim one before answering it elsewhere).
  std::vector<std::shared_ptr<TakenJob>> takenJobs() const;
  /// The question being handled when the loop hung or threw (0: none known): a query of
  /// death is not handed to a sibling.
  uint64_t suspect() const { return suspect_.load(std::memory_order_relaxed); }
  /// Takes a question handed over from a failed sibling; false if it cannot (failed, full).
  bool adopt(const Job& job);
  /// Gives up a thread that is stuck: detached, never joined; the object must be kept alive
  /// (the supervisor's graveyard) since the thread may wake up and touch it.
  void abandon();
  bool abandoned() const { return abandoned_.load(std::memory_order_relaxed); }
  /// After a failure and stop(): drops the questions the supervisor claimed and resets the
  /// figures of work in progress, so start() begins clean.
  void clearAfterFailure();
  /// Client questions answered from the record cache and not, by this instance.
  uint64_t cacheHits() const { return hits_.value(); }
  uint64_t cacheMisses() const { return misses_.value(); }

 private:
  void run();
  static void onInbox(evutil_socket_t fd, short, void* arg);
  static void onFlush(evutil_socket_t, short, void* arg);
  static void onPurge(evutil_socket_t, short, void* arg);
  static void onTick(evutil_socket_t, short, void* arg);
  void takeInbox();
  bool enqueue(std::shared_ptr<TakenJob> t);
  void injectFault(const Job& job);
  void fail(const std::string& what);
  void finished(const TakenJob& t, bool forget);
  void heartbeat();
  Detached serve(std::shared_ptr<TakenJob> t);
  void answer(const Job& job, const Answer& a);

  std::shared_ptr<Resolver> resolver_;
  core::Runtime& rt_;
  int wakeFd_ = -1;
  std::mutex inboxMutex_;
  std::vector<std::shared_ptr<TakenJob>> inbox_;
  mutable std::mutex takenMutex_;
  std::unordered_map<uint64_t, std::shared_ptr<TakenJob>> taken_;  ///< under takenMutex_
  std::atomic<uint64_t> nextJobId_{1};
  std::atomic<int64_t> heartbeatUsec_{0};
  std::atomic<int64_t> workSinceUsec_{0};  ///< when it last went from idle to busy
  std::atomic<int64_t> frameBytes_{0};
  std::atomic<uint64_t> suspect_{0};
  std::atomic<bool> threw_{false};
  std::atomic<bool> abandoned_{false};
  std::string threwWhat_;  ///< under takenMutex_
  metrics::Counter hits_, misses_;
  std::atomic<int64_t> active_{0};        ///< resolutions taken, checks included
  std::atomic<int64_t> clientActive_{0};  ///< of which client queries
  std::atomic<bool> stopping_{false};
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Iterator> iterator_;
  event* inboxEvent_ = nullptr;
  event* flushEvent_ = nullptr;
  event* purgeEvent_ = nullptr;  ///< instance 1 only: drops expired cache entries
  event* tickEvent_ = nullptr;   ///< the heartbeat while idle
  int index_;
  bool flushScheduled_ = false;
  std::optional<core::Completer> completer_;  ///< instance thread; made by start()
  std::vector<std::vector<uint8_t>> unsent_;  ///< answers queued in completer_ until the flush
  std::thread thread_;
  Lifecycle lifecycle_;
};

/// Creates the resolver's instances (named name@1..N) and adds them to the runtime as
/// servers; returns them.
std::vector<std::shared_ptr<ResolverInstance>> createInstances(std::shared_ptr<Resolver> r,
                                                               core::Runtime& rt);

}  // namespace ballast::backends::resolver
