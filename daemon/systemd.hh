// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// systemd's notification protocol (Type=notify): READY=1, STOPPING=1 and the watchdog.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace ballast::daemon {

/// Sends `state` to $NOTIFY_SOCKET; does nothing without one.
void notifySystemd(const char* state);

/// Sends WATCHDOG=1 every half of $WATCHDOG_USEC while running, when systemd asked for it
/// (WatchdogSec= in the unit, and $WATCHDOG_PID is ours or unset). The pings come from their
/// own thread: they prove the process is scheduled and not deadlocked at start-up or in
/// shutdown, not that every thread is healthy.
class Watchdog {
 public:
  Watchdog() = default;
  ~Watchdog() { stop(); }
  /// Starts pinging if the environment asks for it; returns whether it does.
  bool start();
  void stop();
  /// The interval systemd wants (microseconds) from the environment, 0 if none.
  static uint64_t requestedUsec();

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace ballast::daemon
