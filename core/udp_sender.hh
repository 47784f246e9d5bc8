// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Batches outgoing datagrams and sends them with sendmmsg, one call per run of datagrams
/// on the same socket. Data is referenced, not copied: it must stay valid until flush().
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/address.hh"
#include "metrics/counter.hh"

namespace ballast::core {

class UdpSender {
 public:
  static constexpr size_t kBatch = 64;

  /// Queues `data` for `fd`. `to`: destination (null on a connected socket). `from`: the
  /// source address to use (IP_PKTINFO / IPV6_PKTINFO) when the socket is bound to a
  /// wildcard address; null otherwise. `onError` is incremented if the send fails.
  void add(int fd, const Address* to, const Address* from, const uint8_t* data, size_t len,
           metrics::Counter* onError) {
    add(fd, to, from, {}, data, len, onError);
  }
  /// The same with `prefix` sent first in the datagram (a PROXY protocol header); the
  /// prefix is copied, `data` is referenced.
  void add(int fd, const Address* to, const Address* from, std::span<const uint8_t> prefix,
           const uint8_t* data, size_t len, metrics::Counter* onError);
  /// Sends everything queued. Returns the number of datagrams that could not be sent.
  size_t flush();
  size_t pending() const { return count_; }

 private:
  struct Item {
    int fd;
    metrics::Counter* onError;
  };
  union Control {
    cmsghdr align;
    char buf[CMSG_SPACE(sizeof(in6_pktinfo))];
  };
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<std::array<iovec, 2>, kBatch> iovs_{};
  std::array<std::vector<uint8_t>, kBatch> prefixes_{};  ///< capacity kept
  std::array<Item, kBatch> items_{};
  std::array<Address, kBatch> to_{};
  std::array<Control, kBatch> control_{};
  size_t count_ = 0;
};

}  // namespace ballast::core
