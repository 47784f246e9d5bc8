// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What the stream frontends (TCP, DNS over TLS) are configured with, filled by the Lua
/// bindings before start-up, and the figures showTCPStats prints.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/local_bind.hh"
#include "metrics/counter.hh"

namespace ballast::frontend {

class TlsContext;
struct DohBind;

/// dnsdist's TCP knobs (setMaxTCPClientThreads, setTCPRecvTimeout, ...). 0: unlimited.
struct TcpSettings {
  size_t workerThreads = 10;             ///< setMaxTCPClientThreads
  size_t maxQueuedConnections = 10000;   ///< setMaxTCPQueuedConnections
  uint64_t maxQueriesPerConnection = 0;  ///< setMaxTCPQueriesPerConnection (lifetime)
  uint64_t maxConnectionsPerClient = 0;  ///< setMaxTCPConnectionsPerClient
  int recvTimeoutSec = 2;                ///< setTCPRecvTimeout: reading a query, and idle
  int sendTimeoutSec = 2;                ///< setTCPSendTimeout
  int maxConnectionDurationSec = 0;      ///< setMaxTCPConnectionDuration
};

/// Per-bind figures, as dnsdist's showTCPStats lists them.
struct StreamBindStats {
  metrics::Counter connections;
  metrics::Counter diedReadingQuery;
  metrics::Counter diedSendingResponse;
  metrics::Counter gaveUp;  ///< closed waiting on a backend answer
  metrics::Counter clientTimeouts;
  metrics::Counter tooManyConcurrent;  ///< refused: maxConcurrentTCPConnections
  metrics::Counter queries;
  metrics::Counter durationMsSum;
  metrics::Counter tlsNewSessions;
  metrics::Counter tlsResumptions;
  metrics::Counter tlsHandshakeFailures;
  metrics::Counter tls12;
  metrics::Counter tls13;
  metrics::Counter tlsOther;
  std::atomic<int64_t> current{0};
  std::atomic<int64_t> maxConcurrent{0};
};

/// One TCP or DoT listening address.
struct StreamBind {
  core::Address address;
  bool reusePort = false;
  uint32_t maxInFlight = 0;               ///< queries processed at once; 0: one (dnsdist)
  uint64_t maxConcurrentConnections = 0;  ///< 0: unlimited
  core::ListenOptions listen;             ///< interface, cpus, TCP queue sizes
  std::shared_ptr<TlsContext> tls;        ///< null: plain TCP
  std::shared_ptr<DohBind> doh;           ///< DNS over HTTPS (addDOHLocal); null: DNS
  std::shared_ptr<StreamBindStats> stats = std::make_shared<StreamBindStats>();
};

/// Process-wide TCP figures (dnsdist's tcp-* counters and showTCPStats header).
struct TcpGlobalStats {
  metrics::Counter queuedDropped;     ///< over setMaxTCPQueuedConnections
  metrics::Counter perClientRefused;  ///< over setMaxTCPConnectionsPerClient
  metrics::Counter tooManyQueries;    ///< closed after setMaxTCPQueriesPerConnection
  metrics::Counter durationExceeded;  ///< closed after setMaxTCPConnectionDuration
  std::atomic<int64_t> queued{0};
  std::atomic<int64_t> maxQueued{0};
};

/// Every bind the configuration declares, in one place, and the TCP settings: addLocal's
/// (UDP, and TCP unless doTCP=false), addTLSLocal's and addDOHLocal's. The plain TCP
/// StreamBinds are made from `locals` when the listeners are bound (daemon/listeners).
struct StreamConfig {
  TcpSettings settings;
  std::vector<core::LocalBind> locals;  ///< addLocal, setLocal (and -l), in order
  std::vector<StreamBind> tcpBinds;     ///< made at start-up from `locals`
  std::vector<StreamBind> tlsBinds;     ///< addTLSLocal, in order (getTLSContext(n))
  std::vector<StreamBind> dohBinds;     ///< addDOHLocal, in order (getDOHFrontend(n))
  std::shared_ptr<TcpGlobalStats> stats = std::make_shared<TcpGlobalStats>();
};

}  // namespace ballast::frontend
