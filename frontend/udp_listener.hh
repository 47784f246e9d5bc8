// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One UDP bind (addLocal) and its thread: batched receive, the query pipeline, batched
/// send of local answers and of queries to remote backends.
#include <atomic>
#include <thread>
#include <vector>

#include "core/runtime.hh"

namespace ballast::frontend {

class UdpListener {
 public:
  /// Opens and binds the socket; throws std::runtime_error naming the address on failure.
  UdpListener(const core::LocalBind& bind, core::Runtime& rt);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  void start();
  void stop();
  const core::Address& address() const { return local_; }

 private:
  void loop();

  core::Runtime& rt_;
  core::Address local_;
  bool wildcard_;
  std::shared_ptr<core::FrontendStats> counts_;
  std::vector<int> cpus_;  ///< addLocal cpus: the listener thread's affinity
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace ballast::frontend
