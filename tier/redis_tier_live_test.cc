// SPDX-License-Identifier: GPL-2.0-only
// The tier against a real redis-server on loopback (Debian's redis-server, in
// dist/install-deps.sh): several threads write at once while others read the tier's
// state, Redis is killed and started again. Built under ThreadSanitizer too
// (-Db_sanitize=thread), this is what checks the tier's threads.
#include <arpa/inet.h>
#include <doctest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime.hh"
#include "tier/redis_tier.hh"

using namespace ballast;

namespace {

int freePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

/// A redis-server without persistence on 127.0.0.1:port.
struct RedisServer {
  int port;
  pid_t pid = -1;
  explicit RedisServer(int p) : port(p) { start(); }
  ~RedisServer() { stop(); }
  void start() {
    std::string portText = std::to_string(port);
    fflush(stdout);  // not written twice by the child
    pid = fork();
    if (pid == 0) {
      freopen("/dev/null", "w", stdout);
      execl("/usr/bin/redis-server", "redis-server", "--bind", "127.0.0.1", "--port",
            portText.c_str(), "--save", "", "--appendonly", "no", "--dir", "/tmp", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !command("PING"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  void stop() {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
  /// An integer reply (or 1 for a status reply); 0 when unreachable.
  long long command(const char* cmd) const {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
      if (c) redisFree(c);
      return 0;
    }
    auto* r = static_cast<redisReply*>(redisCommand(c, cmd));
    long long v = 0;
    if (r && r->type == REDIS_REPLY_INTEGER) v = r->integer;
    if (r && r->type == REDIS_REPLY_STATUS) v = 1;
    if (r) freeReplyObject(r);
    redisFree(c);
    return v;
  }
};

template <typename F>
bool waitFor(F done, int ms = 5000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace

TEST_CASE("writes from several threads reach Redis; Redis killed and back") {
  REQUIRE_MESSAGE(access("/usr/bin/redis-server", X_OK) == 0,
                  "redis-server is needed (dist/install-deps.sh)");
  RedisServer redis(freePort());
  REQUIRE(redis.command("PING") == 1);
  core::Runtime rt;
  tier::RedisSettings s;
  s.host = "127.0.0.1";
  s.port = redis.port;
  s.reconnectUsec = 50000;
  tier::RedisTier t(s, rt);
  auto& stats = tier::RedisStats::get();
  REQUIRE(waitFor([&] { return t.connected(); }));

  constexpr int kThreads = 4, kEach = 250;
  const uint64_t writesBefore = stats.writes.value();
  std::vector<uint8_t> answer(40, 0xab);
  std::atomic<bool> writing{true};
  std::thread reader([&] {
    while (writing) {
      (void)t.usable();
      (void)t.describe();
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kThreads; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        core::CacheKey k;
        k.hash = uint64_t(w) << 32 | uint64_t(i);
        k.qtype = 1;
        k.qclass = 1;
        t.store(k, answer, 300, 60);
      }
    });
  for (auto& w : writers) w.join();
  CHECK(waitFor([&] {
    return stats.writes.value() + stats.writesDropped.value() >= writesBefore + kThreads * kEach;
  }));
  CHECK(redis.command("DBSIZE") == static_cast<long long>(stats.writes.value() - writesBefore));
  CHECK(redis.command("DBSIZE") > 0);

  redis.stop();
  CHECK(waitFor([&] { return !t.connected(); }));
  CHECK_FALSE(t.usable());
  core::CacheKey k;
  t.store(k, answer, 300, 0);  // dropped, not queued
  redis.start();
  CHECK(waitFor([&] { return t.connected() && t.usable(); }));

  // Stopped (at shutdown): not used any more, writes dropped and counted, twice is fine.
  t.stop();
  CHECK_FALSE(t.usable());
  const uint64_t dropped = stats.writesDropped.value();
  t.store(k, answer, 300, 0);
  CHECK(stats.writesDropped.value() == dropped + 1);
  t.stop();
  writing = false;
  reader.join();
}
