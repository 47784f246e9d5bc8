// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A remote DNS server (dnsdist's newServer) reached over UDP: `sockets` connected UDP
/// sockets used round-robin, an in-flight table keyed by the rewritten query ID, and one
/// responder thread that matches answers, sends them to clients and expires timeouts.
/// Queries from stream clients go over TCP; with tcpOnly, or tls (DoT, or DoH with
/// dohPath), every query and health check goes over that stream transport instead.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "backends/remote/inflight_table.hh"
#include "backends/remote/tcp_client.hh"
#include "core/backend.hh"
#include "core/completer.hh"
#include "core/runtime.hh"

namespace ballast::backends::remote {

struct RemoteConfig {
  core::Address address;
  std::string name;  ///< empty: the address is the name
  int order = 1;
  int weight = 1;
  size_t sockets = 1;
  double qps = 0;  ///< 0: unlimited
  size_t maxConcurrentTCPConnections = 0;  ///< for queries from stream clients; 0: unlimited
  /// useProxyProtocol: a PROXY v2 header with the client's address before each UDP query
  /// and at the start of each TCP connection (core/proxy_origin).
  bool useProxyProtocol = false;
  std::vector<std::string> pools;
  bool tcpOnly = false;   ///< every query over TCP (implied by TLS)
  bool checkTCP = false;  ///< health checks over TCP (implied by tcpOnly and TLS)
  /// newServer{tls=...}: DNS over TLS, or over HTTPS with `transport.dohPath`.
  StreamTransport transport;
  core::OutgoingSource source;  ///< newServer's source: address and/or interface
  bool ipBindAddrNoPort = true;
  bool tcpFastOpen = false;
  bool reconnectOnUp = false;  ///< new UDP sockets when the server goes up
  TcpClientLimits tcp;         ///< retries, timeouts, queries per connection
};

class RemoteBackend final : public core::Backend {
 public:
  /// `rt` provides the statistics, the runtime snapshot (timeouts, response settings) and
  /// the start-up sizes; it outlives the backend.
  RemoteBackend(const RemoteConfig& cfg, core::Runtime& rt);
  ~RemoteBackend() override;

  std::string addressString() const override { return address_.toStringWithPort(); }
  void start() override;
  void stop() override;
  bool submit(core::Query& q, const core::Completion& done) override;
  /// Client queries in flight: what policies balance on. Health checks are left out, so a
  /// check in flight does not push client queries to another server.
  /// TCP figures, for showTCPStats.
  const TcpClientStats& tcpStats() const { return tcp_.stats; }
  /// TLS sessions kept to resume connections to this server.
  size_t cachedTlsSessions() const { return tcp_.cachedTlsSessions(); }
  /// "udp", "tcp", "dot" or "doh": how queries reach the server.
  const char* transportName() const;
  void wentUp() override;
  uint32_t outstanding() const override {
    if (streamOnly_) return tcp_.outstanding();
    if (!table_) return 0;
    uint32_t all = table_->outstanding(),
             internal = internalInFlight_.load(std::memory_order_relaxed);
    return all > internal ? all - internal : 0;
  }

 private:
  int openSocket();
  void openSockets();
  void responderLoop();
  void handleResponse(uint8_t* buf, size_t len, core::Completer& completer);

  core::Address address_;
  bool useProxyProtocol_;
  core::OutgoingSource source_;
  bool reconnectOnUp_;
  size_t socketCount_;
  core::Runtime& rt_;
  std::unique_ptr<InFlightTable> table_;
  std::vector<int> fds_;
  std::atomic<size_t> nextSocket_{0};
  std::atomic<uint32_t> internalInFlight_{0};  ///< health checks among the table's slots
  std::thread responder_;
  std::atomic<bool> stopping_{false};
  bool streamOnly_;  ///< tcpOnly or TLS: no query goes over UDP
  bool checkTcp_;    ///< health checks over TCP
  bool tls_;
  bool doh_;
  TcpClient tcp_;  ///< queries from TCP, DoT and DoH clients go over TCP
};

}  // namespace ballast::backends::remote
