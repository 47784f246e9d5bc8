// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The TCP worker pool (setMaxTCPClientThreads): each worker is one thread running a
/// libevent loop over the connections the acceptors hand it. Answers from backends arrive
/// on the backends' threads through deliver(), are queued under a short lock and picked up
/// by the worker's loop (an eventfd wakes it); a (slot, generation) cookie finds the
/// connection, so an answer for a connection closed meanwhile is dropped, never used after
/// free.
#include <event2/event.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/backend.hh"
#include "core/runtime.hh"
#include "core/udp_sender.hh"
#include "frontend/tcp_config.hh"

namespace ballast::frontend {

class StreamConnection;

/// Connections per client address (setMaxTCPConnectionsPerClient), shared by the acceptors
/// and workers; taken once per accept and once per close.
class ClientLimiter {
 public:
  explicit ClientLimiter(uint64_t max) : max_(max) {}
  bool acquire(const core::Address& a);
  void release(const core::Address& a);

 private:
  uint64_t max_;
  std::mutex mutex_;
  std::unordered_map<std::string, uint64_t> counts_;
};

/// Everything a connection needs from the worker that runs it.
struct WorkerContext {
  core::Runtime& rt;
  const TcpSettings& settings;
  TcpGlobalStats& global;
  ClientLimiter& limiter;
};

class TcpWorker final : public core::ResponseSink {
 public:
  static constexpr size_t kScratchSize = 65536 + 2;
  /// frameBuffer(): a framed answer of the largest size, or several answers gathered.
  static constexpr size_t kFrameBufferSize = kScratchSize + 2;

  TcpWorker(WorkerContext ctx, size_t index);
  ~TcpWorker() override;
  TcpWorker(const TcpWorker&) = delete;
  TcpWorker& operator=(const TcpWorker&) = delete;

  void start();
  /// Stops the loop and closes every connection; deliver() stays safe to call afterwards.
  void stop();

  /// From an acceptor thread: the worker takes over the socket (counted as queued until
  /// its loop picks it up).
  void adopt(int fd, const core::Address& client, const core::Address& local,
             const StreamBind& bind);
  /// From a backend's thread: the answer to a query of one of our connections.
  void deliver(const core::Destination& d, std::span<const uint8_t> response) override;
  /// From a backend's thread: one message of a zone transfer a DNS-over-TCP/TLS connection
  /// of ours asked for.
  void deliverPart(const core::Destination& d, std::span<const uint8_t> message,
                   core::AnswerPart part) override;

  int64_t connectionCount() const { return live_.load(std::memory_order_relaxed); }
  size_t index() const { return index_; }

  // For the connections this worker runs (loop thread only).
  event_base* base() const { return base_; }
  WorkerContext& context() { return ctx_; }
  uint8_t* scratch() { return scratch_.get(); }
  uint8_t* queryBuffer() { return query_.get(); }
  uint8_t* frameBuffer() { return frame_.get(); }
  core::UdpSender& sender() { return sender_; }
  const core::RuntimeConfig& config() { return config_.get(); }
  /// Frees the connection's slot; the connection object is destroyed.
  void release(StreamConnection* c);

 private:
  struct NewConnection {
    int fd;
    core::Address client;
    core::Address local;
    const StreamBind* bind;
  };
  struct Answer {
    uint64_t cookie;
    std::vector<uint8_t> bytes;
    core::AnswerPart part;
  };
  static void onWake(evutil_socket_t, short, void* self);
  void drainInbox();
  void wake();

  WorkerContext ctx_;
  size_t index_;
  event_base* base_ = nullptr;
  event* wakeEvent_ = nullptr;
  int wakeFd_ = -1;
  std::thread thread_;
  std::atomic<int64_t> live_{0};
  std::unique_ptr<uint8_t[]> scratch_;
  std::unique_ptr<uint8_t[]> query_;
  std::unique_ptr<uint8_t[]> frame_;
  core::UdpSender sender_;
  core::Published<core::RuntimeConfig>::Reader config_;

  std::mutex inboxMutex_;  // the only lock between other threads and this loop
  std::vector<NewConnection> newConnections_;
  std::vector<Answer> answers_;
  std::vector<Answer> draining_;  // loop thread: swapped with answers_ to keep capacity
  /// Answer buffers given back by the loop for deliver() to reuse (bounded in number and
  /// size, so a burst of large answers does not stay allocated).
  std::vector<std::vector<uint8_t>> spare_;
  static constexpr size_t kMaxSpareBuffers = 1024;
  static constexpr size_t kSpareBufferSize = 4096;

  std::vector<std::unique_ptr<StreamConnection>> slots_;
  std::vector<uint32_t> generations_;
  std::vector<uint32_t> free_;
};

/// The pool shared by every TCP and DoT bind.
class TcpWorkerPool {
 public:
  TcpWorkerPool(core::Runtime& rt, const StreamConfig& cfg);
  void start();
  void stop();
  /// Picks a worker (round-robin) and hands it the socket.
  void dispatch(int fd, const core::Address& client, const core::Address& local,
                const StreamBind& bind);
  const std::vector<std::unique_ptr<TcpWorker>>& workers() const { return workers_; }
  ClientLimiter& limiter() { return limiter_; }
  TcpGlobalStats& stats() { return *stats_; }
  const TcpSettings& settings() const { return settings_; }

 private:
  TcpSettings settings_;
  std::shared_ptr<TcpGlobalStats> stats_;
  ClientLimiter limiter_;
  std::vector<std::unique_ptr<TcpWorker>> workers_;
  std::atomic<size_t> next_{0};
};

}  // namespace ballast::frontend
