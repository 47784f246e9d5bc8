// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/remote_backend.hh"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/clock.hh"
#include "core/proxy_origin.hh"
#include "core/socket_buffers.hh"
#include "dns/header.hh"
#include "dns/types.hh"

namespace ballast::backends::remote {

namespace {
constexpr size_t kBatch = 32;
constexpr size_t kBufferSize = 16384;  // larger responses are counted and dropped
constexpr int kSweepMs = 100;
}  // namespace

RemoteBackend::RemoteBackend(const RemoteConfig& cfg, core::Runtime& rt)
    : Backend(cfg.name.empty() ? cfg.address.toStringWithPort() : cfg.name, cfg.order, cfg.weight),
      address_(cfg.address),
      useProxyProtocol_(cfg.useProxyProtocol),
      source_(cfg.source),
      reconnectOnUp_(cfg.reconnectOnUp),
      socketCount_(cfg.sockets == 0 ? 1 : cfg.sockets),
      rt_(rt),
      streamOnly_(cfg.tcpOnly || cfg.transport.tls),
      checkTcp_(cfg.checkTCP),
      tls_(cfg.transport.tls != nullptr),
      doh_(!cfg.transport.dohPath.empty()),
      tcp_(*this, cfg.address, cfg.maxConcurrentTCPConnections, rt, cfg.transport, [&cfg] {
        TcpClientLimits l = cfg.tcp;
        l.source = cfg.source;
        l.fastOpen = cfg.tcpFastOpen;
        l.bindAddrNoPort = cfg.ipBindAddrNoPort;
        return l;
      }()) {
  setQpsLimit(cfg.qps);
  setPools(cfg.pools);
}

RemoteBackend::~RemoteBackend() {
  stop();
  for (int fd : fds_) close(fd);
}

int RemoteBackend::openSocket() {
  int fd = socket(address_.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(fmt::format("socket for {}: {}", name(), strerror(errno)));
  try {
    core::setSocketBuffers(fd, rt_.startup.udpRecvBufferSize, rt_.startup.udpSendBufferSize,
                           "server " + name());
    core::bindSource(fd, address_.family(), source_, false, "server " + name());
  } catch (...) {
    close(fd);
    throw;
  }
  // Connected: the kernel then only delivers datagrams from the server we asked, and the
  // kernel-chosen ephemeral port differs per socket.
  if (connect(fd, address_.sockaddr_(), address_.length()) != 0) {
    int e = errno;
    close(fd);
    throw std::runtime_error(fmt::format("connecting to {}: {}", addressString(), strerror(e)));
  }
  return fd;
}

void RemoteBackend::openSockets() {
  for (size_t i = 0; i < socketCount_; ++i) fds_.push_back(openSocket());
}

void RemoteBackend::wentUp() {
  if (!reconnectOnUp_ || fds_.empty()) return;
  // New sockets (new source ports, the source interface looked up again) put in place of
  // the old ones with dup2, which swaps each descriptor atomically under the responder and
  // the senders that use it. The in-flight table stays: answers to queries sent on the old
  // sockets are lost, as in dnsdist.
  for (int fd : fds_) {
    try {
      int fresh = openSocket();
      int flags = fcntl(fd, F_GETFL);
      fcntl(fresh, F_SETFL, flags);  // the responder may read the only socket blocking
      timeval tv{0, kSweepMs * 1000};
      setsockopt(fresh, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      dup2(fresh, fd);
      fcntl(fd, F_SETFD, FD_CLOEXEC);  // dup2 clears it
      close(fresh);
    } catch (const std::exception& e) {
      fmt::print(stderr, "Warning: reconnecting to {}: {}\n", nameWithAddress(), e.what());
    }
  }
}

void RemoteBackend::start() {
  if (responder_.joinable()) return;
  table_ = std::make_unique<InFlightTable>(rt_.startup.maxUDPOutstanding);
  openSockets();
  stopping_ = false;
  responder_ = std::thread([this] { responderLoop(); });
  tcp_.start();
}

void RemoteBackend::stop() {
  tcp_.stop();
  stopping_ = true;
  if (responder_.joinable()) responder_.join();
}

const char* RemoteBackend::transportName() const {
  return doh_ ? "doh" : tls_ ? "dot" : streamOnly_ ? "tcp" : "udp";
}

bool RemoteBackend::submit(core::Query& q, const core::Completion& done) {
  // The PROXY header, when this server wants one: the client's (LOCAL for health checks).
  thread_local std::vector<uint8_t> header;
  header.clear();
  bool stream = done.stream() && !done.internal();
  if (useProxyProtocol_ && !core::writeProxyHeader(header, done.internal() ? nullptr : q.client,
                                                   q.local, stream, q.proxyValues)) {
    stats.sendErrors.inc();
    return false;
  }
  // A stream client gets its answer over TCP, never truncated (dnsdist does the same); a
  // tcpOnly or TLS server gets everything, health checks too, over its stream transport;
  // checkTCP sends the health checks of a plain server over TCP.
  if (streamOnly_ || (done.internal() ? checkTcp_ : done.stream())) {
    if (!tcp_.submit(q, done, header)) return false;
    if (!done.internal()) stats.queries.inc();
    return true;
  }
  int id = table_->claim();
  if (id < 0) {
    stats.reuseds.inc();
    rt_.stats.udpOutstandingFull.inc();
    return false;
  }
  // Counted before the slot is visible, so its answer cannot be counted off first.
  if (done.internal()) internalInFlight_.fetch_add(1, std::memory_order_relaxed);
  table_->at(size_t(id)).done = done;
  dns::HeaderRef(q.packet).setId(uint16_t(id));
  table_->publish(size_t(id), done.receivedUsec() / 1000);
  int fd = fds_[nextSocket_.fetch_add(1, std::memory_order_relaxed) % fds_.size()];
  q.out->add(fd, nullptr, nullptr, header, q.packet, q.length, &stats.sendErrors);
  if (!done.internal()) stats.queries.inc();
  return true;
}

void RemoteBackend::handleResponse(uint8_t* buf, size_t len, core::Completer& completer) {
  if (len < dns::kHeaderSize) {
    rt_.stats.nonCompliantResponses.inc();
    return;
  }
  uint16_t id = dns::HeaderView(buf).id();
  if (id >= table_->capacity() || !table_->take(id)) return;  // late or duplicate answer
  const core::Completion& done = table_->at(id).done;
  bool internal = done.internal();
  if (completer.complete(*this, done, buf, len, kBufferSize) ==
      core::Completer::Result::Mismatch) {
    table_->putBack(id);  // not the answer to this question: keep waiting for it
    return;
  }
  table_->release(id);  // after the completer, which reads the slot's question
  if (internal) internalInFlight_.fetch_sub(1, std::memory_order_relaxed);
}

void RemoteBackend::responderLoop() {
  std::vector<uint8_t> storage(kBatch * kBufferSize);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::vector<pollfd> pfds;
  for (int fd : fds_) pfds.push_back({fd, POLLIN, 0});
  core::Completer completer(rt_);
  int64_t lastSweepMs = core::monotonicUsec() / 1000;

  // Reads what is waiting on `fd`; `wait` blocks for the first datagram (up to the socket's
  // receive timeout), which saves a poll() per wake-up when there is only one socket.
  auto drain = [&](int fd, bool wait) {
    for (size_t i = 0; i < kBatch; ++i) {
      iovs[i] = {storage.data() + i * kBufferSize, kBufferSize};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, msgs.data(), kBatch, wait ? MSG_WAITFORONE : MSG_DONTWAIT, nullptr);
    for (int i = 0; i < n; ++i) {
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        rt_.stats.nonCompliantResponses.inc();
        continue;
      }
      handleResponse(storage.data() + size_t(i) * kBufferSize, msgs[i].msg_len, completer);
    }
    completer.flush();  // before the buffers are reused
  };

  if (fds_.size() == 1) {
    timeval tv{0, kSweepMs * 1000};
    setsockopt(fds_[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    // Blocking reads on a non-blocking socket need the flag cleared.
    int flags = fcntl(fds_[0], F_GETFL);
    fcntl(fds_[0], F_SETFL, flags & ~O_NONBLOCK);
  }

  while (!stopping_.load(std::memory_order_relaxed)) {
    if (fds_.size() == 1) {
      drain(fds_[0], true);
    } else if (poll(pfds.data(), pfds.size(), kSweepMs) > 0) {
      for (auto& p : pfds)
        if (p.revents & POLLIN) drain(p.fd, false);
    }
    int64_t nowMs = core::monotonicUsec() / 1000;
    if (nowMs - lastSweepMs >= kSweepMs) {
      lastSweepMs = nowMs;
      table_->expire(nowMs, completer.config().settings.udpTimeoutMs, [&](InFlight& slot) {
        if (slot.done.internal()) internalInFlight_.fetch_sub(1, std::memory_order_relaxed);
        completer.fail(*this, slot.done, core::Completer::Failure::Timeout);
      });
    }
  }
}

}  // namespace ballast::backends::remote
