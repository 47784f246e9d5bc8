// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The one interface every backend implements, remote server or embedded resolver, and
/// the description of a query handed to it.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/address.hh"
#include "core/completion.hh"
#include "core/health_config.hh"
#include "core/packet_cache.hh"
#include "core/qps_limiter.hh"
#include "core/udp_sender.hh"
#include "dns/message.hh"
#include "dns/name.hh"
#include "dns/proxy_protocol.hh"
#include "metrics/counter.hh"

namespace ballast::core {

/// What a backend sees of a query it is given: the bytes to send (which it may rewrite in
/// place: the ID) and the parsed question. Where the answer goes, and everything done to it
/// on the way, is the core's business (core/completion.hh).
struct Query {
  uint8_t* packet = nullptr;
  size_t length = 0;
  const dns::MessageView* message = nullptr;  ///< the parsed query
  /// A remote backend queues its datagram here; the frontend flushes once per batch.
  UdpSender* out = nullptr;
  /// Who asked (for a backend with useProxyProtocol): the client's and the local address
  /// as the rules saw them, and the PROXY protocol values to pass on. Null for checks.
  const Address* client = nullptr;
  const Address* local = nullptr;
  const std::vector<dns::proxy::Value>* proxyValues = nullptr;
};

/// Per-backend figures, as dnsdist's showServers shows them.
struct BackendStats {
  metrics::Counter queries;
  metrics::Counter responses;
  metrics::Counter drops;  ///< timeouts
  metrics::Counter sendErrors;
  metrics::Counter reuseds;       ///< queries refused because the in-flight table was full
  metrics::Counter stateChanges;  ///< health-check transitions, up to down or back
  metrics::MovingAverage latencyUsec{128};
  metrics::Gauge qps;        ///< set once a second by the maintenance thread
  metrics::Gauge dropRate;   ///< likewise, drops per second
  uint64_t lastQueries = 0;  ///< maintenance thread only
  uint64_t lastDrops = 0;
};

class Backend {
 public:
  enum class Admin : uint8_t { Auto, Up, Down };

  Backend(std::string name, int order, int weight)
      : name_(std::move(name)), order_(order), weight_(weight) {}
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return name_; }
  virtual std::string addressString() const = 0;
  /// "name (address)", or just the address when the server has no name of its own.
  std::string nameWithAddress() const {
    std::string a = addressString();
    return name_ == a ? name_ : name_ + " (" + a + ")";
  }
  /// Starts the backend's threads. `stats` and `config` outlive the backend.
  virtual void start() = 0;
  virtual void stop() = 0;
  /// Takes the query or returns false (then it has counted why). A backend that takes it
  /// keeps a copy of `done` and finishes it exactly once, through a Completer
  /// (core/completer.hh): complete() with the answer, or fail().
  virtual bool submit(Query& q, const Completion& done) = 0;
  virtual uint32_t outstanding() const = 0;
  /// Called by the health checker when the server goes from down to up (newServer's
  /// reconnectOnUp reopens its sockets there).
  virtual void wentUp() {}

  /// Usable for new queries: administratively up, or automatic and healthy.
  bool isUp() const {
    if (failed_.load(std::memory_order_relaxed)) return false;
    Admin a = admin_.load(std::memory_order_relaxed);
    return a == Admin::Up || (a == Admin::Auto && healthy_.load(std::memory_order_relaxed));
  }
  Admin admin() const { return admin_.load(std::memory_order_relaxed); }
  void setAdmin(Admin a) { admin_.store(a, std::memory_order_relaxed); }
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  void setHealthy(bool h) { healthy_.store(h, std::memory_order_relaxed); }
  /// Out of service by its own supervisor's verdict (an embedded resolver instance whose
  /// loop hung or threw): not up, whatever the admin state says, until cleared.
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void setFailed(bool f) { failed_.store(f, std::memory_order_relaxed); }
  int order() const { return order_; }
  /// Read by policies on the query path while the console may change it.
  int weight() const { return weight_.load(std::memory_order_relaxed); }
  /// Change it through Runtime::changeServer, so the pools are republished.
  void setWeight(int w) { weight_.store(w, std::memory_order_relaxed); }
  double qpsLimit() const { return qpsLimit_.load(std::memory_order_relaxed); }
  /// Limits the queries per second policies that honour it (firstAvailable) send here; 0
  /// lifts the limit. Safe while queries flow: the limiter changes its rate under its lock.
  void setQpsLimit(double q) {
    q = q > 0 ? q : 0;
    limiter_.setRate(q, q);
    qpsLimit_.store(q, std::memory_order_relaxed);
  }
  /// Takes a token from the qps limit; always true without one (and then takes no lock).
  bool qpsAllows(int64_t nowUsec) {
    return qpsLimit_.load(std::memory_order_relaxed) == 0 || limiter_.check(nowUsec);
  }
  /// A copy: the console may change them while a reader walks them.
  std::vector<std::string> pools() const {
    std::lock_guard lock(mutex_);
    return pools_;
  }
  /// Change them through Runtime::changeServer, so the pools are rebuilt and republished.
  void setPools(std::vector<std::string> p) {
    std::lock_guard lock(mutex_);
    pools_ = std::move(p);
  }

  /// Records the outcome of a client query (answered, SERVFAIL, timed out) for lazy health
  /// checking; nothing when the backend is not in lazy mode. Lock-free.
  void recordOutcome(bool timedOut, bool servFail) {
    if (!lazySamples.enabled()) return;
    lazySamples.record(timedOut || (servFail && !healthCheck.lazyTimeoutOnly));
  }

  BackendStats stats;
  /// newServer{useClientSubnet=true}: queries for this server carry the client's subnet
  /// (ECS). Set at configuration time, before the backend is published.
  bool useClientSubnet = false;
  /// newServer{addXPF=code}: queries sent to this server carry an XPF record of this type
  /// (core/xpf); 0: none. Set at configuration time.
  uint16_t xpfRRCode = 0;
  /// newServer{disableZeroScope=true}: no cache lookup for an answer valid for every
  /// subnet (ECS scope 0) before ECS is added.
  bool disableZeroScope = false;
  /// Set at configuration time, before the health checker starts.
  HealthCheckConfig healthCheck;
  /// Sized at configuration time when healthCheck.lazy is set.
  LazySamples lazySamples;
  /// What the configuration said about this backend apart from its pools, weight, QPS
  /// limit and admin state; a reload keeps the running backend whose key is the same
  /// (core/reload_plan). Empty: never kept (e.g. it has a Lua check function).
  std::string reloadKey;
  /// dnsdist's server UUID (newServer's id, or a random one); shown by showServers{showUUIDs}.
  std::string uuid;

 private:
  std::string name_;
  int order_;
  std::atomic<int> weight_;
  mutable std::mutex mutex_;  // pools_; never taken on the query path
  std::atomic<double> qpsLimit_{0};
  QpsLimiter limiter_{0, 0};
  std::vector<std::string> pools_;
  std::atomic<Admin> admin_{Admin::Auto};
  std::atomic<bool> healthy_{true};
  std::atomic<bool> failed_{false};
};

}  // namespace ballast::core
