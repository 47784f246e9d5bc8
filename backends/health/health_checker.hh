// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The health-check thread: every backend in automatic mode gets a check query each
/// checkInterval, submitted through core::Backend::submit like any query, marked internal
/// so it stays out of the client statistics. Answers come back through checked() on the
/// backend's responder thread.
///
/// Checks are built and submitted without mutex_ held: a checkFunction runs Lua under the
/// shared state's lock, and rmServer holds that lock while it joins a responder that may be
/// waiting for mutex_ in checked().
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "backends/health/health_state.hh"
#include "core/backend.hh"
#include "core/runtime.hh"

namespace ballast::backends::health {

class HealthChecker final : public core::CheckSink {
 public:
  /// `rt` outlives the checker. Destroy the checker only after the servers have stopped:
  /// their responders may still hold it as the sink of a check in flight.
  explicit HealthChecker(core::Runtime& rt) : rt_(rt) {}
  ~HealthChecker() override;
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  void start();
  void stop();
  void checked(uint64_t cookie, std::span<const uint8_t> response) override;

 private:
  struct Entry {
    std::shared_ptr<core::Backend> backend;
    HealthState state;
    CheckQuestion asked;  ///< the question of the check in flight
  };
  /// A check due, taken out of the lock to be built and sent.
  struct Due {
    uint32_t key;
    uint32_t seq;
    std::shared_ptr<core::Backend> backend;
  };

  void loop();
  void runOnce(int64_t nowUsec, std::vector<Due>& due);  // with mutex_ held
  void syncServers();                                    // likewise
  void send(const Due& d, int64_t nowUsec);              // without
  void apply(Entry& e, Transition t);

  core::Runtime& rt_;
  std::mutex mutex_;  // entries_ and the states: the checker thread and the responders
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<uint32_t, Entry> entries_;  // keyed by a number that is never reused
  /// Removed servers, dropped once mutex_ is released (the last reference may join).
  std::vector<std::shared_ptr<core::Backend>> released_;
  uint32_t nextKey_ = 1;
  std::mt19937 random_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace ballast::backends::health
