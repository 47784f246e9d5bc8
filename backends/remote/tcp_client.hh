// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Queries from stream clients (TCP, DoT, DoH) to a remote server, over TCP: a pool of at
/// most maxConcurrentTCPConnections connections, each carrying many queries at once
/// (pipelined, answered in any order, matched by a per-connection query ID), kept open
/// while idle for reuse. One libevent thread per server runs them. Connection failures and
/// timeouts fail the queries on them, counted in the server's Drops and its lazy health.
#include <event2/event.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/backend.hh"
#include "core/completer.hh"
#include "core/runtime.hh"
#include "core/socket_options.hh"

namespace ballast::backends::remote {

/// TCP figures of one server (dnsdist's showTCPStats backend columns).
struct TcpClientStats {
  metrics::Counter connections;       ///< opened
  metrics::Counter reused;            ///< queries sent on an already open connection
  metrics::Counter diedSendingQuery;  ///< connect or write failed
  metrics::Counter diedReadingResponse;
  metrics::Counter readTimeouts;
  metrics::Counter tooManyConnections;  ///< queries that waited for a free connection
  std::atomic<int64_t> current{0};
};

/// newServer's TCP options (dnsdist's names); a timeout of 0 keeps ballast's default.
struct TcpClientLimits {
  int retries = 0;           ///< sends of a query whose connection failed; 0: 2
  int connectTimeoutMs = 0;  ///< tcpConnectTimeout; 0: the query's timeout
  int recvTimeoutMs = 0;     ///< tcpRecvTimeout: waiting for an answer; 0: the UDP timeout
  int sendTimeoutMs = 0;     ///< tcpSendTimeout: a write that makes no progress
  size_t maxInFlight = 0;    ///< queries at once per connection; 0: 100
  bool fastOpen = false;
  bool bindAddrNoPort = true;
  core::OutgoingSource source;
};

class TcpClient {
 public:
  /// `owner` receives the queries' outcomes; `rt` gives the timeouts and response settings.
  TcpClient(core::Backend& owner, const core::Address& address, size_t maxConnections,
            core::Runtime& rt, TcpClientLimits limits = {});
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  void start();
  void stop();
  /// Any thread: copies the query and queues it for the TCP thread. False when stopped.
  bool submit(const core::Query& q, const core::Completion& done);
  TcpClientStats stats;

 private:
  struct Job {
    core::Completion done;
    std::vector<uint8_t> query;  ///< framed: length prefix + query
    int attempts = 0;
  };
  struct Conn {
    TcpClient* self = nullptr;
    int fd = -1;
    event* ev = nullptr;
    bool connected = false;
    uint16_t nextId = 0;
    std::unordered_map<uint16_t, std::unique_ptr<Job>> inFlight;
    std::vector<uint8_t> out;
    std::vector<uint8_t> in;
    int64_t lastActivityMs = 0;
    int64_t lastWriteMs = 0;  ///< connect, or the last write progress (tcpSendTimeout)
    short armed = -1;
    bool dirty = false;  ///< queries appended to `out` since the last flushPending()
  };
  static void onWake(evutil_socket_t, short, void* self);
  static void onConnEvent(evutil_socket_t, short what, void* conn);
  void drainQueue();
  void dispatch(std::unique_ptr<Job> job);
  Conn* pickConnection();
  Conn* openConnection();
  /// Queues the query on `c`; flushPending() writes it.
  void send(Conn& c, std::unique_ptr<Job> job);
  /// Writes what send() queued, one system call per connection, and re-arms them.
  void flushPending();
  void handle(Conn& c, short what);
  void readResponses(Conn& c);
  void answer(Conn& c, uint8_t* msg, size_t len);
  void fail(Conn& c, bool timedOut);
  void rearm(Conn& c);

  core::Backend& owner_;
  core::Address address_;
  size_t maxConnections_;
  core::Runtime& rt_;
  TcpClientLimits limits_;
  event_base* base_ = nullptr;
  event* wakeEvent_ = nullptr;
  int wakeFd_ = -1;
  std::thread thread_;
  std::atomic<bool> running_{false};
  /// The loop thread's completer, made on that thread: a member would keep the snapshot,
  /// whose pools own this server, alive forever (a reference cycle).
  core::Completer* completer_ = nullptr;

  std::mutex queueMutex_;
  std::vector<std::unique_ptr<Job>> queue_;
  std::vector<std::unique_ptr<Job>> waiting_;  ///< loop thread: no connection free yet
  std::vector<std::unique_ptr<Conn>> conns_;
};

}  // namespace ballast::backends::remote
