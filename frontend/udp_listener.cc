// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/udp_listener.hh"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/clock.hh"
#include "core/pipeline.hh"
#include "core/proxy_origin.hh"
#include "core/socket_buffers.hh"
#include "core/socket_options.hh"

namespace ballast::frontend {

namespace {

constexpr size_t kBatch = 64;
constexpr size_t kBufferSize = 4096;  // a query never needs more; answers built in place fit

void setOption(int fd, int level, int name, int value, const core::Address& a, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
    throw std::runtime_error(fmt::format("setting {} on {}: {}", what, a.toStringWithPort(),
                                         strerror(errno)));
}

/// The address the datagram was sent to, from its IP_PKTINFO / IPV6_PKTINFO.
bool destinationFromControl(msghdr& h, uint16_t port, core::Address& out) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      sockaddr_in sin{};
      sin.sin_family = AF_INET;
      sin.sin_addr = pi.ipi_addr;
      sin.sin_port = htons(port);
      out = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
      return true;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      sockaddr_in6 sin6{};
      sin6.sin6_family = AF_INET6;
      sin6.sin6_addr = pi.ipi6_addr;
      sin6.sin6_port = htons(port);
      out = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6));
      return true;
    }
  }
  return false;
}

}  // namespace

UdpListener::UdpListener(const core::LocalBind& bind, core::Runtime& rt)
    : rt_(rt),
      local_(bind.address),
      wildcard_(bind.address.isWildcard()),
      counts_(bind.stats),
      cpus_(bind.listen.cpus) {
  fd_ = socket(local_.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error(fmt::format("socket for {}: {}", local_.toStringWithPort(), strerror(errno)));
  try {
    if (local_.isV6()) setOption(fd_, IPPROTO_IPV6, IPV6_V6ONLY, 1, local_, "IPV6_V6ONLY");
    if (bind.reusePort) setOption(fd_, SOL_SOCKET, SO_REUSEPORT, 1, local_, "SO_REUSEPORT");
    core::bindToDevice(fd_, bind.listen.interface, "UDP " + local_.toStringWithPort());
    if (wildcard_) {
      if (local_.isV4())
        setOption(fd_, IPPROTO_IP, IP_PKTINFO, 1, local_, "IP_PKTINFO");
      else
        setOption(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, local_, "IPV6_RECVPKTINFO");
    }
    core::setSocketBuffers(fd_, rt.startup.udpRecvBufferSize, rt.startup.udpSendBufferSize,
                           "UDP " + local_.toStringWithPort());
    // Wake up periodically so stop() is noticed without closing the socket under the thread.
    timeval tv{0, 200000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (::bind(fd_, local_.sockaddr_(), local_.length()) != 0)
      throw std::runtime_error(fmt::format("binding UDP {}: {}", local_.toStringWithPort(), strerror(errno)));
  } catch (...) {
    close(fd_);
    throw;
  }
}

UdpListener::~UdpListener() {
  stop();
  if (fd_ >= 0) close(fd_);
}

void UdpListener::start() {
  stopping_ = false;
  thread_ = std::thread([this] {
    core::setThreadAffinity(cpus_, "UDP " + local_.toStringWithPort());
    loop();
  });
}

void UdpListener::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void UdpListener::loop() {
  union Control {
    cmsghdr align;
    char buf[CMSG_SPACE(sizeof(in6_pktinfo)) + 64];
  };
  std::vector<uint8_t> storage(kBatch * kBufferSize);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_in6, kBatch> from{};
  std::array<Control, kBatch> control{};
  std::array<core::QueryContext, kBatch> queries{};
  core::UdpSender sender;
  core::Published<core::RuntimeConfig>::Reader config(rt_.config);
  core::GlobalStats& stats = rt_.stats;
  uint16_t port = local_.port();
  const unsigned batch = unsigned(std::clamp<size_t>(rt_.startup.udpVectorSize, 1, kBatch));

  while (!stopping_.load(std::memory_order_relaxed)) {
    for (size_t i = 0; i < kBatch; ++i) {
      iovs[i] = {storage.data() + i * kBufferSize, kBufferSize};
      msghdr& h = msgs[i].msg_hdr;
      h = {};
      h.msg_iov = &iovs[i];
      h.msg_iovlen = 1;
      h.msg_name = &from[i];
      h.msg_namelen = sizeof(from[i]);
      if (wildcard_) {
        h.msg_control = control[i].buf;
        h.msg_controllen = sizeof(control[i].buf);
      }
    }
    int n = recvmmsg(fd_, msgs.data(), batch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // timeout (stop check) or EINTR
    int64_t now = core::monotonicUsec();
    const core::RuntimeConfig& cfg = config.get();
    if (n > 0) counts_->queries.inc(uint64_t(n));
    for (int i = 0; i < n; ++i) {
      msghdr& h = msgs[i].msg_hdr;
      if (h.msg_flags & MSG_TRUNC) {
        stats.nonCompliantQueries.inc();
        continue;
      }
      core::QueryContext& q = queries[i];
      q.packet = storage.data() + size_t(i) * kBufferSize;
      q.length = msgs[i].msg_len;
      q.capacity = kBufferSize;
      q.receivedUsec = now;
      core::Destination& d = q.destination;
      d.fd = fd_;
      d.client = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&from[i]), h.msg_namelen);
      d.local = local_;
      d.muted = &counts_->muted;
      d.needSourceAddress = wildcard_ && destinationFromControl(h, port, d.local);
      d.proxied = false;
      q.proxyValues.clear();
      // A client in setProxyProtocolACL: the datagram starts with a PROXY header, or is dropped.
      if (core::needsProxyHeader(d.client, cfg) && !core::takeProxyHeader(q, cfg, stats)) continue;
      if (core::processQuery(q, cfg, stats, sender) == core::QueryAction::Answer) {
        counts_->answered.inc();
        core::sendToClient(d, q.packet, q.length, sender);
      }
    }
    sender.flush();
  }
}

}  // namespace ballast::frontend
