// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Every listening socket of the process and the TCP worker pool behind the stream ones:
/// one UDP listener per addLocal, one acceptor per plain TCP bind (addLocal with doTCP, the
/// default), per addTLSLocal and per addDOHLocal. The binds are declared once, by the
/// configuration: addLocal's in core::StartupConfig::locals (UDP, and TCP unless
/// doTCP=false), the TLS and DoH ones in frontend::StreamConfig; bind() makes the plain TCP
/// StreamBinds from the locals, so no other code copies them.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/runtime.hh"
#include "frontend/tcp_acceptor.hh"
#include "frontend/tcp_config.hh"
#include "frontend/tcp_worker.hh"
#include "frontend/udp_listener.hh"

namespace ballast::daemon {

class Listeners {
 public:
  Listeners(core::Runtime& rt, frontend::StreamConfig& stream) : rt_(rt), stream_(stream) {}
  ~Listeners();

  /// Opens and binds every socket (nothing is read yet) and registers the stream figures.
  /// Throws std::runtime_error naming the address that could not be bound.
  void bind();
  /// Starts reading: UDP listeners, the TCP workers, then the acceptors.
  void start(bool verbose);
  /// No new query is taken: the UDP listeners and acceptors stop.
  void stopAccepting();
  /// The TCP workers stop (after the backends stopped handing them answers).
  void stopWorkers();
  /// Open connections per TCP worker (showTCPStats).
  std::vector<int64_t> connectionsPerThread() const;
  size_t udpCount() const { return udp_.size(); }

  /// What a reload's `startup` and `stream` change in the binds and start-up sizes, which
  /// only a restart applies (a reload never closes or opens a socket): named as the
  /// functions that set them, for the log.
  std::vector<std::string> restartNeeded(const core::StartupConfig& startup,
                                         const frontend::StreamConfig& stream) const;

 private:
  core::Runtime& rt_;
  frontend::StreamConfig& stream_;
  std::vector<std::unique_ptr<frontend::UdpListener>> udp_;
  std::unique_ptr<frontend::TcpWorkerPool> tcpPool_;
  std::vector<std::unique_ptr<frontend::TcpAcceptor>> acceptors_;
};

}  // namespace ballast::daemon
