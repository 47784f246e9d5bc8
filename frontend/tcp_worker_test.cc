// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/tcp_worker.hh"

#include <doctest.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace ballast;

namespace {
/// True when the other end of a socketpair was closed (reads EOF at once).
bool peerClosed(int fd) {
  char c;
  return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}
}  // namespace

TEST_CASE("worker pool: connections over setMaxTCPQueuedConnections are closed and counted") {
  core::Runtime rt;
  frontend::StreamConfig cfg;
  cfg.settings.workerThreads = 2;
  cfg.settings.maxQueuedConnections = 2;
  frontend::StreamBind bind;
  bind.address = core::Address::parse("127.0.0.1:53");
  int peers[3];
  {
    // Not started: nothing picks the connections up, so they stay queued.
    frontend::TcpWorkerPool pool(rt, cfg);
    for (int i = 0; i < 3; ++i) {
      int sv[2];
      REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
      peers[i] = sv[1];
      bind.stats->current.fetch_add(1);  // as the acceptor does
      pool.dispatch(sv[0], bind.address, bind.address, bind);
    }
    CHECK(cfg.stats->queued.load() == 2);
    CHECK(cfg.stats->maxQueued.load() == 2);
    CHECK(cfg.stats->queuedDropped.value() == 1);
    CHECK(bind.stats->current.load() == 2);
    CHECK_FALSE(peerClosed(peers[0]));
    CHECK_FALSE(peerClosed(peers[1]));
    CHECK(peerClosed(peers[2]));
  }
  // The pool closes what it still held when it goes.
  CHECK(peerClosed(peers[0]));
  CHECK(peerClosed(peers[1]));
  CHECK(bind.stats->current.load() == 0);
  for (int p : peers) close(p);
}
