// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/systemd.hh"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ballast::daemon {

void notifySystemd(const char* state) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof(sun.sun_path)) return;
  memcpy(sun.sun_path, path, len);
  if (sun.sun_path[0] == '@') sun.sun_path[0] = '\0';  // abstract namespace
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sendto(fd, state, strlen(state), 0, reinterpret_cast<sockaddr*>(&sun),
         socklen_t(offsetof(sockaddr_un, sun_path) + len));
  close(fd);
}

uint64_t Watchdog::requestedUsec() {
  const char* usec = getenv("WATCHDOG_USEC");
  if (!usec || !*usec) return 0;
  const char* pid = getenv("WATCHDOG_PID");
  if (pid && *pid && std::strtoll(pid, nullptr, 10) != getpid()) return 0;
  return std::strtoull(usec, nullptr, 10);
}

bool Watchdog::start() {
  uint64_t usec = requestedUsec();
  if (usec == 0 || thread_.joinable()) return false;
  auto every = std::chrono::microseconds(usec / 2);
  thread_ = std::thread([this, every] {
    std::unique_lock lock(mutex_);
    do {
      notifySystemd("WATCHDOG=1");
    } while (!cv_.wait_for(lock, every, [this] { return stopping_; }));
  });
  return true;
}

void Watchdog::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ballast::daemon
