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
#include <vector>

#include "backends/resolver/event_loop.hh"
#include "backends/resolver/iterator.hh"
#include "backends/resolver/resolver.hh"
#include "core/backend.hh"
#include "core/pipeline.hh"
#include "core/runtime.hh"

namespace ballast::backends::resolver {

/// A client question as the instance thread needs it.
struct Job {
  core::PendingQuery pending;
  core::Destination destination;
  int64_t receivedUsec = 0;
  dns::Name qname;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool rd = false;
  bool edns = false;
  uint16_t udpSize = 512;
  bool wantsNsid = false;
  uint8_t refuse = 0;  ///< non-zero: answer with this rcode without resolving
};

class ResolverInstance final : public core::Backend {
 public:
  ResolverInstance(std::shared_ptr<Resolver> resolver, int index, core::Runtime& rt);
  ~ResolverInstance() override;

  std::string addressString() const override { return "embedded"; }
  void start() override;
  void stop() override;
  bool submit(core::QueryContext& q, core::UdpSender& out) override;
  uint32_t outstanding() const override {
    return uint32_t(clientActive_.load(std::memory_order_relaxed));
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
  };
  Lifecycle& lifecycle() { return lifecycle_; }
  const Lifecycle& lifecycle() const { return lifecycle_; }

 private:
  void run();
  static void onInbox(evutil_socket_t fd, short, void* arg);
  static void onFlush(evutil_socket_t, short, void* arg);
  static void onPurge(evutil_socket_t, short, void* arg);
  Detached serve(Job job);
  void answer(const Job& job, const Answer& a);

  std::shared_ptr<Resolver> resolver_;
  core::Runtime& rt_;
  int wakeFd_ = -1;
  std::mutex inboxMutex_;
  std::vector<Job> inbox_;
  std::atomic<int64_t> active_{0};        ///< resolutions taken, checks included
  std::atomic<int64_t> clientActive_{0};  ///< of which client queries
  std::atomic<bool> stopping_{false};
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Iterator> iterator_;
  event* inboxEvent_ = nullptr;
  event* flushEvent_ = nullptr;
  event* purgeEvent_ = nullptr;  ///< instance 1 only: drops expired cache entries
  int index_;
  bool flushScheduled_ = false;
  std::optional<core::Published<core::RuntimeConfig>::Reader> config_;  ///< instance thread
  core::UdpSender sender_;
  std::vector<std::vector<uint8_t>> unsent_;  ///< answers queued in sender_ until the flush
  std::thread thread_;
  Lifecycle lifecycle_;
};

/// Creates the resolver's instances (named name@1..N) and adds them to the runtime as
/// servers; returns them.
std::vector<std::shared_ptr<ResolverInstance>> createInstances(std::shared_ptr<Resolver> r,
                                                               core::Runtime& rt);

}  // namespace ballast::backends::resolver
