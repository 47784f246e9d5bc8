// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One TCP or DoT bind and its acceptor thread: accepts, applies the per-bind and
/// per-client connection limits, and hands each socket to the worker pool.
#include <atomic>
#include <thread>

#include "frontend/tcp_config.hh"
#include "frontend/tcp_worker.hh"

namespace ballast::frontend {

class TcpAcceptor {
 public:
  /// Opens, binds and listens; throws std::runtime_error naming the address on failure.
  TcpAcceptor(const StreamBind& bind, TcpWorkerPool& pool);
  ~TcpAcceptor();
  TcpAcceptor(const TcpAcceptor&) = delete;
  TcpAcceptor& operator=(const TcpAcceptor&) = delete;

  void start();
  void stop();
  const StreamBind& bind() const { return bind_; }

 private:
  void loop();

  const StreamBind& bind_;
  TcpWorkerPool& pool_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace ballast::frontend
