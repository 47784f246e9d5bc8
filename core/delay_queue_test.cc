// SPDX-License-Identifier: GPL-2.0-only
#include "core/delay_queue.hh"

#include <doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/backend.hh"
#include "core/clock.hh"

using namespace ballast::core;

namespace {

/// A bound loopback UDP socket.
struct Socket {
  int fd = -1;
  Address address;
  Socket() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    Address any = Address::parse("127.0.0.1:0");
    REQUIRE(bind(fd, any.sockaddr_(), any.length()) == 0);
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    address = Address::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  }
  ~Socket() { close(fd); }
  /// The next datagram, or "" after `ms` milliseconds.
  std::string receive(int ms) const {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, ms) != 1) return {};
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }
};

Destination to(const Socket& from, const Socket& client, uint32_t delayMsec) {
  Destination d;
  d.fd = from.fd;
  d.client = client.address;
  d.delayMsec = delayMsec;
  return d;
}

const uint8_t* bytes(const char* s) {
  return reinterpret_cast<const uint8_t*>(s);
}

}  // namespace

TEST_CASE("delayed answers go out when due, earliest first, not before") {
  Socket server, client;
  DelayQueue q;
  int64_t now = monotonicUsec();
  REQUIRE(q.schedule(to(server, client, 300), bytes("late"), 4, now));
  REQUIRE(q.schedule(to(server, client, 100), bytes("early"), 5, now));
  REQUIRE(q.schedule(to(server, client, 100), bytes("early2"), 6, now));
  CHECK(q.delayed.value() == 3);
  CHECK(client.receive(50) == "");  // nothing is due yet
  CHECK(client.receive(5000) == "early");
  CHECK(client.receive(5000) == "early2");  // same due time: queued order
  CHECK(monotonicUsec() - now >= 100000);
  CHECK(client.receive(5000) == "late");
  CHECK(monotonicUsec() - now >= 300000);
  CHECK(q.queued() == 0);
}

TEST_CASE("stop sends what waits at once; later answers are refused and counted") {
  Socket server, client;
  DelayQueue q;
  REQUIRE(q.schedule(to(server, client, 600000), bytes("held"), 4, monotonicUsec()));
  q.stop();
  CHECK(client.receive(0) == "held");  // already sent when stop() returned
  CHECK_FALSE(q.schedule(to(server, client, 10), bytes("x"), 1, monotonicUsec()));
  CHECK(q.dropped.value() == 1);
}

TEST_CASE("the queue is bounded") {
  Socket server, client;
  DelayQueue q;
  int64_t now = monotonicUsec();
  for (size_t i = 0; i < DelayQueue::kMaxQueued; ++i)
    REQUIRE(q.schedule(to(server, client, 600000), bytes("x"), 1, now));
  CHECK_FALSE(q.schedule(to(server, client, 600000), bytes("y"), 1, now));
  CHECK(q.dropped.value() == 1);
  CHECK(q.queued() == DelayQueue::kMaxQueued);
}
