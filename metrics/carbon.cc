// SPDX-License-Identifier: GPL-2.0-only
#include "metrics/carbon.hh"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace ballast::metrics {

namespace {

/// A whole round (connect and every write) gets this long, so a slow or stuck carbon server
/// delays neither the next round much nor stop().
constexpr auto kRoundTimeout = std::chrono::seconds(3);

/// Waits until fd is ready for `events` (or has failed); false once `deadline` has passed.
bool waitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  pollfd p{fd, events, 0};
  int r;
  do {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    r = poll(&p, 1, int(left.count()));
  } while (r < 0 && errno == EINTR);
  return r > 0;  // ready or failed: the next call on fd tells which
}

std::string errnoText(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

}  // namespace

std::string carbonComponent(std::string s) {
  for (auto& c : s)
    if (c == '.' || c == ':' || c == ' ' || c == '/') c = '_';
  return s;
}

std::string carbonLines(const CarbonConfig& c,
                        const std::vector<std::pair<std::string, double>>& stats,
                        int64_t unixTime) {
  std::string prefix = c.namespace_ + "." + c.ourname + "." + c.instance + ".";
  std::string out;
  out.reserve(stats.size() * 64);
  char value[40];
  for (const auto& [path, v] : stats) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
      snprintf(value, sizeof value, "%.0f", v);
    } else {
      snprintf(value, sizeof value, "%g", v);
    }
    out += prefix;
    out += path;
    out += ' ';
    out += value;
    out += ' ';
    out += std::to_string(unixTime);
    out += '\n';
  }
  return out;
}

void CarbonSender::start() {
  thread_ = std::thread([this] { loop(); });
}

void CarbonSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CarbonSender::loop() {
  std::unique_lock lock(mutex_);
  std::string lastError;
  while (
      !cv_.wait_for(lock, std::chrono::seconds(cfg_.intervalSec), [this] { return stopping_; })) {
    lock.unlock();
    std::string error = sendRound();
    // Say it once when it starts failing, and once when it recovers: not every interval.
    if (error != lastError) {
      if (!error.empty()) {
        fprintf(stderr, "Problem sending carbon data to %s: %s\n", cfg_.server.c_str(),
                error.c_str());
      } else {
        fprintf(stderr, "Sending carbon data to %s again\n", cfg_.server.c_str());
      }
      lastError = error;
    }
    lock.lock();
  }
}

std::string CarbonSender::sendRound() {
  std::string data = carbonLines(cfg_, collect_(), int64_t(time(nullptr)));
  auto deadline = std::chrono::steady_clock::now() + kRoundTimeout;
  int fd = socket(cfg_.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errnoText("socket");
  std::string error;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&cfg_.address), cfg_.addressLength) != 0) {
    if (errno != EINPROGRESS) {
      error = errnoText("connect");
    } else if (!waitFor(fd, POLLOUT, deadline)) {
      error = "connect: timed out";
    } else {
      int soerr = 0;
      socklen_t len = sizeof soerr;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr != 0) error = std::string("connect: ") + strerror(soerr);
    }
  }
  size_t sent = 0;
  while (error.empty() && sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!waitFor(fd, POLLOUT, deadline)) error = "send: timed out";
    } else {
      error = errnoText("send");
    }
  }
  close(fd);
  return error;
}

}  // namespace ballast::metrics
