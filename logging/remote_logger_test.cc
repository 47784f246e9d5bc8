// SPDX-License-Identifier: GPL-2.0-only
#include "logging/remote_logger.hh"

#include <doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace ballast;

namespace {

/// A listening TCP socket on 127.0.0.1 (any port).
int listenLoopback(core::Address& bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  core::Address a = core::Address::parse("127.0.0.1:0");
  REQUIRE(bind(fd, a.sockaddr_(), a.length()) == 0);
  REQUIRE(listen(fd, 4) == 0);
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  bound = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  return fd;
}

std::string readExactly(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    char buf[512];
    ssize_t r = recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    REQUIRE(r > 0);
    out.append(buf, size_t(r));
  }
  return out;
}

}  // namespace

TEST_CASE("RemoteLogger: messages arrive framed by their 2-byte length; a full queue drops") {
  core::Address addr;
  int lfd = listenLoopback(addr);
  {
    logging::RemoteLogger logger(addr, 2, 100, 1);
    CHECK(logger.queue("hello"));
    CHECK(logger.queue(std::string(300, 'x')) == false);  // larger than the whole queue
    pollfd p{lfd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    int c = accept(lfd, nullptr, nullptr);
    REQUIRE(c >= 0);
    CHECK(readExactly(c, 7) == std::string("\x00\x05hello", 7));
    CHECK(logger.queue("again"));
    CHECK(readExactly(c, 7) == std::string("\x00\x05"
                                           "again",
                                           7));
    CHECK(logger.processed() == 2);
    CHECK(logger.dropped() == 1);
    CHECK(logger.toString() == addr.toStringWithPort() + " (2 processed, 1 dropped)");
    close(c);
  }
  close(lfd);
}

TEST_CASE("RemoteLogger: nobody listening, the queue fills and the rest is dropped") {
  core::Address addr;
  int lfd = listenLoopback(addr);
  close(lfd);  // the port is now refused
  logging::RemoteLogger logger(addr, 1, 100, 1);
  int accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += logger.queue(std::string(18, 'q')) ? 1 : 0;
  CHECK(accepted == 5);  // 5 * (2 + 18) bytes fill 100
  CHECK(logger.dropped() == 15);
}
