// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The one interface every backend implements, remote server or embedded resolver, and
/// the description of a query handed to it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/qps_limiter.hh"
#include "core/udp_sender.hh"
#include "dns/message.hh"
#include "dns/name.hh"
#include "metrics/counter.hh"

namespace ballast::core {

struct Destination;
struct RuntimeConfig;
struct GlobalStats;

/// Stream frontends (TCP, DoT, DoH) receive their answers through this; UDP answers are
/// sent straight from the socket in Destination::fd.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void deliver(const Destination& d, std::span<const uint8_t> response) = 0;
};

/// Where the answer to a query goes.
struct Destination {
  int fd = -1;              ///< UDP: the frontend socket the query arrived on
  Address client;           ///< the client's address and port
  Address local;            ///< the address the client queried
  bool needSourceAddress = false;  ///< the socket is a wildcard bind: answer with pktinfo
  ResponseSink* sink = nullptr;    ///< stream frontends; null for UDP
  uint64_t cookie = 0;             ///< the sink's own reference (connection, stream)
  /// A query of ballast's own (a health check): the backend hands the raw answer to `sink`
  /// and leaves client statistics (queries, responses, drops, latency) alone.
  bool internal = false;
};

/// One query on its way to a backend. `packet` is the client's query, which the backend
/// may rewrite in place (ID) before sending it.
struct QueryContext {
  uint8_t* packet = nullptr;
  size_t length = 0;
  size_t capacity = 0;
  dns::MessageView message;  ///< the parsed query
  Destination destination;
  int64_t receivedUsec = 0;  ///< monotonic
};

/// Per-backend figures, as dnsdist's showServers shows them.
struct BackendStats {
  metrics::Counter queries;
  metrics::Counter responses;
  metrics::Counter drops;        ///< timeouts
  metrics::Counter sendErrors;
  metrics::Counter reuseds;      ///< queries refused because the in-flight table was full
  metrics::Counter stateChanges; ///< health-check transitions, up to down or back
  metrics::MovingAverage latencyUsec{128};
  metrics::Gauge qps;            ///< set once a second by the maintenance thread
  metrics::Gauge dropRate;       ///< likewise, drops per second
  uint64_t lastQueries = 0;      ///< maintenance thread only
  uint64_t lastDrops = 0;
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
};

class Backend {
 public:
  enum class Admin : uint8_t { Auto, Up, Down };

  Backend(std::string name, int order, int weight) : name_(std::move(name)), order_(order), weight_(weight) {}
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return name_; }
  virtual std::string addressString() const = 0;
  /// Starts the backend's threads. `stats` and `config` outlive the backend.
  virtual void start() = 0;
  virtual void stop() = 0;
  /// Takes the query or returns false (then it has counted why). A remote backend queues
  /// the datagram in `out`, which the caller flushes once per receive batch.
  virtual bool submit(QueryContext& q, UdpSender& out) = 0;
  virtual uint32_t outstanding() const = 0;

  /// Usable for new queries: administratively up, or automatic and healthy.
  bool isUp() const {
    Admin a = admin_.load(std::memory_order_relaxed);
    return a == Admin::Up || (a == Admin::Auto && healthy_.load(std::memory_order_relaxed));
  }
  Admin admin() const { return admin_.load(std::memory_order_relaxed); }
  void setAdmin(Admin a) { admin_.store(a, std::memory_order_relaxed); }
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  void setHealthy(bool h) { healthy_.store(h, std::memory_order_relaxed); }
  int order() const { return order_; }
  int weight() const { return weight_; }
  double qpsLimit() const { return qpsLimit_; }
  /// Limits the queries per second policies that honour it (firstAvailable) send here.
  void setQpsLimit(double q) {
    qpsLimit_ = q;
    limiter_ = q > 0 ? std::make_unique<QpsLimiter>(q, q) : nullptr;
  }
  /// Takes a token from the qps limit; always true without one.
  bool qpsAllows(int64_t nowUsec) { return !limiter_ || limiter_->check(nowUsec); }
  const std::vector<std::string>& pools() const { return pools_; }
  void setPools(std::vector<std::string> p) { pools_ = std::move(p); }

  BackendStats stats;
  /// Set at configuration time, before the health checker starts.
  HealthCheckConfig healthCheck;

 private:
  std::string name_;
  int order_;
  int weight_;
  double qpsLimit_ = 0;
  std::unique_ptr<QpsLimiter> limiter_;
  std::vector<std::string> pools_;
  std::atomic<Admin> admin_{Admin::Auto};
  std::atomic<bool> healthy_{true};
};

}  // namespace ballast::core
