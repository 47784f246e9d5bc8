// SPDX-License-Identifier: GPL-2.0-only
#include "logging/remote_logger.hh"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <cstdio>

namespace ballast::logging {

RemoteLogger::RemoteLogger(const core::Address& remote, uint32_t timeoutSec, size_t maxQueuedBytes,
                           uint32_t reconnectWaitSec)
    : remote_(remote),
      timeoutSec_(timeoutSec),
      maxQueuedBytes_(maxQueuedBytes),
      reconnectWaitSec_(reconnectWaitSec) {
  thread_ = std::thread([this] { run(); });
}

RemoteLogger::~RemoteLogger() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  disconnect();
}

bool RemoteLogger::queue(std::string_view message) {
  if (message.size() > 0xffff) {
    dropped_.inc();
    return false;
  }
  bool wasEmpty = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() + 2 + message.size() > maxQueuedBytes_) {
      dropped_.inc();
      return false;
    }
    wasEmpty = pending_.empty();
    pending_ += char(message.size() >> 8);
    pending_ += char(message.size() & 0xff);
    pending_.append(message);
  }
  processed_.inc();
  if (wasEmpty) wake_.notify_one();
  return true;
}

std::string RemoteLogger::toString() const {
  return fmt::format("{} ({} processed, {} dropped)", remote_.toStringWithPort(), processed(),
                     dropped());
}

bool RemoteLogger::connect() {
  int fd = socket(remote_.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  int rc = ::connect(fd, remote_.sockaddr_(), remote_.length());
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    if (poll(&p, 1, int(timeoutSec_ * 1000)) == 1 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
      rc = 0;
  }
  if (rc != 0) {
    close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

void RemoteLogger::disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

/// Writes all of `data`, waiting at most the timeout for the socket each time it is full.
bool RemoteLogger::send(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, int(timeoutSec_ * 1000)) == 1) continue;
    }
    return false;
  }
  return true;
}

void RemoteLogger::run() {
  using Clock = std::chrono::steady_clock;
  auto nextAttempt = Clock::now();
  std::string sending;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (fd_ < 0) {
      if (Clock::now() >= nextAttempt) {
        lock.unlock();
        bool ok = connect();
        lock.lock();
        if (!ok) nextAttempt = Clock::now() + std::chrono::seconds(reconnectWaitSec_);
        continue;
      }
      wake_.wait_until(lock, nextAttempt, [&] { return stop_; });
      continue;
    }
    if (pending_.empty()) {
      // Idle: wake now and then to notice a receiver that went away.
      wake_.wait_for(lock, std::chrono::milliseconds(200),
                     [&] { return stop_ || !pending_.empty(); });
      if (pending_.empty() && !stop_) {
        char c;
        ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          disconnect();
          nextAttempt = Clock::now();
        }
      }
      continue;
    }
    sending.clear();
    sending.swap(pending_);
    lock.unlock();
    bool ok = send(sending);
    lock.lock();
    if (!ok) {
      // A message may have gone out in part: what was being sent is lost, as in dnsdist.
      disconnect();
      nextAttempt = Clock::now() + std::chrono::seconds(reconnectWaitSec_);
    }
  }
}

}  // namespace ballast::logging
