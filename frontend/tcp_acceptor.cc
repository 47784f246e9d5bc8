// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/tcp_acceptor.hh"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/socket_options.hh"

namespace ballast::frontend {

namespace {
constexpr int kStopCheckMs = 200;

void setOption(int fd, int level, int name, int value, const core::Address& a, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
    throw std::runtime_error(
        fmt::format("setting {} on TCP {}: {}", what, a.toStringWithPort(), strerror(errno)));
}
}  // namespace

TcpAcceptor::TcpAcceptor(const StreamBind& bind, TcpWorkerPool& pool) : bind_(bind), pool_(pool) {
  const core::Address& a = bind.address;
  fd_ = socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error(
        fmt::format("socket for TCP {}: {}", a.toStringWithPort(), strerror(errno)));
  try {
    setOption(fd_, SOL_SOCKET, SO_REUSEADDR, 1, a, "SO_REUSEADDR");
    if (a.isV6()) setOption(fd_, IPPROTO_IPV6, IPV6_V6ONLY, 1, a, "IPV6_V6ONLY");
    if (bind.reusePort) setOption(fd_, SOL_SOCKET, SO_REUSEPORT, 1, a, "SO_REUSEPORT");
    core::bindToDevice(fd_, bind.listen.interface, "TCP " + a.toStringWithPort());
    if (bind.listen.tcpFastOpenQueueSize > 0)
      setOption(fd_, IPPROTO_TCP, TCP_FASTOPEN, bind.listen.tcpFastOpenQueueSize, a,
                "TCP_FASTOPEN");
    if (::bind(fd_, a.sockaddr_(), a.length()) != 0)
      throw std::runtime_error(
          fmt::format("binding TCP {}: {}", a.toStringWithPort(), strerror(errno)));
    int backlog = bind.listen.tcpListenQueueSize > 0 ? bind.listen.tcpListenQueueSize : SOMAXCONN;
    if (listen(fd_, backlog) != 0)
      throw std::runtime_error(
          fmt::format("listening on TCP {}: {}", a.toStringWithPort(), strerror(errno)));
  } catch (...) {
    close(fd_);
    throw;
  }
}

TcpAcceptor::~TcpAcceptor() {
  stop();
  if (fd_ >= 0) close(fd_);
}

void TcpAcceptor::start() {
  stopping_ = false;
  thread_ = std::thread([this] {
    core::setThreadAffinity(bind_.listen.cpus, "TCP " + bind_.address.toStringWithPort());
    loop();
  });
}

void TcpAcceptor::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void TcpAcceptor::loop() {
  StreamBindStats& stats = *bind_.stats;
  pollfd p{fd_, POLLIN, 0};
  while (!stopping_.load(std::memory_order_relaxed)) {
    if (poll(&p, 1, kStopCheckMs) <= 0) continue;
    sockaddr_in6 from{};
    socklen_t len = sizeof(from);
    int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up, or out of descriptors: try again
    core::Address client = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&from), len);
    if (bind_.maxConcurrentConnections != 0 &&
        stats.current.load(std::memory_order_relaxed) >= int64_t(bind_.maxConcurrentConnections)) {
      stats.tooManyConcurrent.inc();
      close(fd);
      continue;
    }
    if (!pool_.limiter().acquire(client)) {
      pool_.stats().perClientRefused.inc();
      close(fd);
      continue;
    }
    // Counted from here, not when a worker picks it up, so a burst cannot overshoot the
    // bind's limit; whoever closes the socket gives it back.
    int64_t cur = stats.current.fetch_add(1, std::memory_order_relaxed) + 1;
    int64_t max = stats.maxConcurrent.load(std::memory_order_relaxed);
    while (cur > max && !stats.maxConcurrent.compare_exchange_weak(max, cur)) {
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    core::Address local = bind_.address;
    if (local.isWildcard()) {
      sockaddr_in6 to{};
      socklen_t tl = sizeof(to);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&to), &tl) == 0)
        local = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&to), tl);
    }
    pool_.dispatch(fd, client, local, bind_);
  }
}

}  // namespace ballast::frontend
