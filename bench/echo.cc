// SPDX-License-Identifier: GPL-2.0-only
// bench/echo: the loopback ceiling of a UDP DNS server. One thread, recvmmsg/sendmmsg
// batches of 64, each datagram sent back to its sender with the QR bit set. Nothing a
// forwarder does costs less per query, so its CPU per query is the floor a cache hit is
// compared with (bench/floor.py).
//
//   echo ADDRESS PORT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr unsigned kBatch = 64;
constexpr size_t kBuffer = 4096;

volatile sig_atomic_t stopping = 0;

void onSignal(int) { stopping = 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: echo ADDRESS PORT\n");
    return 2;
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(uint16_t(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &local.sin_addr) != 1) {
    std::fprintf(stderr, "echo: bad IPv4 address %s\n", argv[1]);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int buf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    std::perror("echo: bind");
    return 1;
  }
  struct sigaction sa{};
  sa.sa_handler = onSignal;  // no SA_RESTART: recvmmsg returns EINTR and the loop ends
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  static std::array<std::array<uint8_t, kBuffer>, kBatch> data;
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_in6, kBatch> from{};
  while (!stopping) {
    for (unsigned i = 0; i < kBatch; ++i) {
      iovs[i] = {data[i].data(), kBuffer};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
    }
    int n = recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) {
      if (msgs[i].msg_len >= 12) data[i][2] |= 0x80;  // QR
      iovs[i].iov_len = msgs[i].msg_len;
    }
    for (int sent = 0; sent < n;) {
      int r = sendmmsg(fd, msgs.data() + sent, unsigned(n - sent), 0);
      if (r <= 0) break;  // a full send buffer drops the rest, as a server would
      sent += r;
    }
  }
  close(fd);
  return 0;
}
