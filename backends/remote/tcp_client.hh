// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Queries to a remote server over a stream: plain TCP (for stream clients, or every query
/// with tcpOnly), DNS over TLS, or DNS over HTTPS (HTTP/2 over TLS). A pool of at most
/// maxConcurrentTCPConnections connections, each carrying one query at a time, or with
/// maxInFlight many at once (pipelined and answered in any order, or one HTTP/2 stream
/// each, matched by a per-connection query ID), kept open while idle for reuse; TLS sessions are
/// resumed on new connections. One libevent thread per server runs them. Connection failures and
/// timeouts fail the queries on them, counted in the server's Drops and its lazy health.
///
/// A zone transfer (AXFR, IXFR over TCP or DoT) gets a connection of its own, never shared
/// and closed once the transfer ends: every message is relayed to the client as it comes
/// (Completer::relay), XfrTracker telling when the last has come. tcpRecvTimeout bounds the
/// wait for each message; a transfer cut off after its first message cannot be retried and
/// closes the client's connection; a client that went away ends it at the next message.
#include <event2/event.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backends/remote/doh_client_session.hh"
#include "backends/remote/xfr_tracker.hh"
#include "core/backend.hh"
#include "core/completer.hh"
#include "core/runtime.hh"
#include "core/socket_options.hh"
#include "tls/client_context.hh"

namespace ballast::backends::remote {

/// TCP figures of one server (dnsdist's showTCPStats backend columns).
struct TcpClientStats {
  metrics::Counter connections;       ///< opened
  metrics::Counter reused;            ///< queries sent on an already open connection
  metrics::Counter diedSendingQuery;  ///< connect or write failed
  metrics::Counter diedReadingResponse;
  metrics::Counter readTimeouts;
  metrics::Counter tooManyConnections;  ///< queries that waited for a free connection
  metrics::Counter tlsResumptions;      ///< TLS handshakes that resumed a session
  metrics::Counter tlsHandshakeFailures;
  metrics::Counter httpErrors;  ///< DoH answers other than 200 with a body
  std::atomic<int64_t> current{0};
};

/// How the connections to the server are made (newServer's tls, dohPath and friends).
struct StreamTransport {
  std::shared_ptr<tls::ClientContext> tls;  ///< null: plain TCP
  std::string dohPath;                      ///< not empty: DNS over HTTPS (over tls)
  std::string dohAuthority;                 ///< :authority of the requests
  bool addXForwardedHeaders = false;
};

/// newServer's TCP options (dnsdist's names); a timeout of 0 keeps ballast's default.
struct TcpClientLimits {
  int retries = 0;           ///< sends of a query whose connection failed; 0: 2
  int connectTimeoutMs = 0;  ///< tcpConnectTimeout; 0: the query's timeout
  int recvTimeoutMs = 0;     ///< tcpRecvTimeout: waiting for an answer; 0: the UDP timeout
  int sendTimeoutMs = 0;     ///< tcpSendTimeout: a write that makes no progress
  size_t maxInFlight = 0;    ///< queries at once per connection; 0: 1 (DoH: 100)
  bool fastOpen = false;
  bool bindAddrNoPort = true;
  core::OutgoingSource source;
};

class TcpClient {
 public:
  /// `owner` receives the queries' outcomes; `rt` gives the timeouts and response settings.
  TcpClient(core::Backend& owner, const core::Address& address, size_t maxConnections,
            core::Runtime& rt, StreamTransport transport = {}, TcpClientLimits limits = {});
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  void start();
  void stop();
  /// Any thread: copies the query and queues it for the TCP thread. False when stopped.
  /// A non-empty `opening` (a PROXY protocol header) is sent first on a connection of its
  /// own, which only queries with the same opening share.
  bool submit(const core::Query& q, const core::Completion& done,
              std::span<const uint8_t> opening = {});
  TcpClientStats stats;
  /// Client queries taken and not yet finished (health checks left out).
  uint32_t outstanding() const { return outstanding_.load(std::memory_order_relaxed); }
  /// TLS sessions kept for resumption (0 without TLS).
  size_t cachedTlsSessions() const { return transport_.tls ? transport_.tls->cachedSessions() : 0; }

 private:
  struct Job {
    Job() = default;
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;
    /// A job is destroyed once its query is finished (answered or failed).
    ~Job() {
      if (counted) counted->fetch_sub(1, std::memory_order_relaxed);
    }
    std::atomic<uint32_t>* counted = nullptr;  ///< a client query in outstanding_
    core::Completion done;
    std::vector<uint8_t> query;    ///< framed: length prefix + query
    std::vector<uint8_t> opening;  ///< bytes its connection must have started with
    int attempts = 0;
    core::Address client;   ///< for X-Forwarded-For (DoH)
    uint16_t udpLimit = 0;  ///< a UDP client's largest answer (tcpOnly, TLS); 0: a stream client
    /// AXFR or IXFR over TCP or DoT: on a connection of its own, closed after it.
    bool transfer = false;
    /// The client takes every message of the transfer (else the first only).
    std::unique_ptr<XfrTracker> xfr;
    bool relayed = false;  ///< a message went to the client: the transfer cannot be retried
  };
  struct Conn {
    TcpClient* self = nullptr;
    int fd = -1;
    event* ev = nullptr;
    bool connected = false;
    SSL* ssl = nullptr;         ///< TLS: made once connected
    bool ready = false;         ///< connected, and the TLS handshake done
    bool tlsWantWrite = false;  ///< OpenSSL waits for the socket to take bytes
    std::unique_ptr<DohClientSession> h2;
    uint16_t nextId = 0;
    std::unordered_map<uint16_t, std::unique_ptr<Job>> inFlight;
    std::vector<uint8_t> out;
    std::vector<uint8_t> in;
    int64_t lastActivityMs = 0;
    int64_t lastWriteMs = 0;  ///< connect, or the last write progress (tcpSendTimeout)
    short armed = -1;
    bool dirty = false;  ///< queries appended to `out` since the last flushPending()
    /// Sent first on this connection; only queries with the same opening use it (a
    /// PROXY header names one client: its connection is that client's alone).
    std::vector<uint8_t> opening;
    bool transfer = false;   ///< carries one zone transfer, then closes
    bool readAgain = false;  ///< a transfer's read round ended with bytes still there
  };
  static void onWake(evutil_socket_t, short, void* self);
  static void onCleanup(evutil_socket_t, short, void* self);
  static void onConnEvent(evutil_socket_t, short what, void* conn);
  void drainQueue();
  void dispatch(std::unique_ptr<Job> job);
  Conn* pickConnection(const Job& job);
  Conn* openConnection(const Job& job);
  /// Queues the query on `c`; flushPending() writes it.
  void send(Conn& c, std::unique_ptr<Job> job);
  /// Writes what send() queued, one system call per connection, and re-arms them.
  void flushPending();
  void handle(Conn& c, short what);
  /// Connect and TLS handshake; false when `c` was failed.
  bool establish(Conn& c, short what);
  /// Writes `c.out` as far as the socket takes it; false on error.
  bool writeOut(Conn& c);
  /// Reads what is there into c.in (or the HTTP/2 session); false when closed or failed.
  bool readIn(Conn& c);
  void readResponses(Conn& c);
  void readDohReplies(Conn& c);
  void close(Conn& c);
  void answer(Conn& c, uint8_t* msg, size_t len);
  /// A message for a transfer job: relayed, or the first taken as the answer.
  void answerTransfer(Conn& c, Job& job, uint8_t* msg, size_t len);
  /// Sends the queries that waited for a connection slot.
  void sendWaiting();
  void fail(Conn& c, bool timedOut);
  void rearm(Conn& c);

  core::Backend& owner_;
  core::Address address_;
  size_t maxConnections_;
  core::Runtime& rt_;
  StreamTransport transport_;
  int64_t lastFailureLogMs_ = -1000000;
  TcpClientLimits limits_;
  event_base* base_ = nullptr;
  event* wakeEvent_ = nullptr;
  event* cleanupEvent_ = nullptr;  ///< TLS: expires cached sessions
  int wakeFd_ = -1;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<uint32_t> outstanding_{0};
  /// The loop thread's completer, made on that thread: a member would keep the snapshot,
  /// whose pools own this server, alive forever (a reference cycle).
  core::Completer* completer_ = nullptr;

  std::mutex queueMutex_;
  std::vector<std::unique_ptr<Job>> queue_;
  std::vector<std::unique_ptr<Job>> waiting_;  ///< loop thread: no connection free yet
  std::vector<std::unique_ptr<Conn>> conns_;
};

}  // namespace ballast::backends::remote
