// SPDX-License-Identifier: GPL-2.0-only
#include "core/udp_sender.hh"

#include <cerrno>
#include <cstring>

namespace ballast::core {

void UdpSender::add(int fd, const Address* to, const Address* from, std::span<const uint8_t> prefix,
                    const uint8_t* data, size_t len, metrics::Counter* onError) {
  if (count_ == kBatch) flush();
  size_t i = count_++;
  items_[i] = {fd, onError};
  msghdr& h = msgs_[i].msg_hdr;
  h = {};
  h.msg_iov = iovs_[i].data();
  if (prefix.empty()) {
    iovs_[i][0] = {const_cast<uint8_t*>(data), len};
    h.msg_iovlen = 1;
  } else {
    prefixes_[i].assign(prefix.begin(), prefix.end());
    iovs_[i][0] = {prefixes_[i].data(), prefixes_[i].size()};
    iovs_[i][1] = {const_cast<uint8_t*>(data), len};
    h.msg_iovlen = 2;
  }
  if (to) {
    to_[i] = *to;
    h.msg_name = to_[i].sockaddr_();
    h.msg_namelen = to_[i].length();
  }
  if (from) {
    std::memset(&control_[i], 0, sizeof(Control));
    h.msg_control = control_[i].buf;
    cmsghdr* c = reinterpret_cast<cmsghdr*>(control_[i].buf);
    if (from->isV4()) {
      h.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      pi.ipi_spec_dst = from->v4().sin_addr;
      std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    } else {
      h.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo pi{};
      pi.ipi6_addr = from->v6().sin6_addr;
      std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    }
  }
}

size_t UdpSender::flush() {
  size_t failed = 0;
  size_t start = 0;
  while (start < count_) {
    size_t end = start + 1;
    while (end < count_ && items_[end].fd == items_[start].fd) ++end;
    size_t pos = start;
    while (pos < end) {
      int n = sendmmsg(items_[start].fd, &msgs_[pos], unsigned(end - pos), MSG_DONTWAIT);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        // The datagram at `pos` failed; count it and go on with the rest.
        ++failed;
        if (items_[pos].onError) items_[pos].onError->inc();
        ++pos;
      } else {
        pos += size_t(n);
      }
    }
    start = end;
  }
  count_ = 0;
  return failed;
}

}  // namespace ballast::core
