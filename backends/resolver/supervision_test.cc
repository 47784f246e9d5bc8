// SPDX-License-Identifier: GPL-2.0-only
// The supervisor's verdicts and restart back-off, on a fake clock.
#include "backends/resolver/supervision.hh"

#include <doctest.h>

using namespace ballast::backends::resolver;

namespace {
constexpr int64_t kMs = 1000;
}

TEST_CASE("a stale heartbeat is a hang only while the instance has work") {
  SupervisionSettings s;
  std::string why;
  InstanceProbe p;
  p.heartbeatUsec = 1000 * kMs;
  CHECK(judge(p, 1000 * kMs + 10000 * kMs, s, why) == Failure::None);  // idle
  p.hasWork = true;
  CHECK(judge(p, 1000 * kMs + 500 * kMs, s, why) == Failure::None);  // at the bound
  CHECK(judge(p, 1000 * kMs + 501 * kMs, s, why) == Failure::Hung);
  CHECK(why == "hung");
  s.heartbeatTimeoutMs = 2000;
  CHECK(judge(p, 1000 * kMs + 1500 * kMs, s, why) == Failure::None);
}

TEST_CASE("an exception and the memory bound are failures; the exception says what") {
  SupervisionSettings s;
  std::string why;
  InstanceProbe p;
  p.heartbeatUsec = 5 * kMs;
  p.memoryBytes = 4096;
  CHECK(judge(p, 10 * kMs, s, why) == Failure::None);  // no bound
  p.maxMemoryBytes = 4096;
  CHECK(judge(p, 10 * kMs, s, why) == Failure::None);
  p.memoryBytes = 4097;
  CHECK(judge(p, 10 * kMs, s, why) == Failure::Memory);
  CHECK(why == "memory");
  p.threw = true;
  p.what = "bad_alloc";
  CHECK(judge(p, 10 * kMs, s, why) == Failure::Threw);  // the exception first
  CHECK(why == "threw: bad_alloc");
}

TEST_CASE("restart delays double up to the bound and start over after a stable period") {
  SupervisionSettings s;
  s.minBackoffMs = 100;
  s.maxBackoffMs = 1000;
  s.stableMs = 60000;
  RestartBackoff b(s);
  int64_t now = 0;
  b.started(now);
  int64_t expected[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t e : expected) {
    now += 50 * kMs;
    int64_t d = b.failed(now);
    CHECK(d == e * kMs);
    now += d;
    b.started(now);  // restarted, fails again soon
  }
  // Up for a stable period: the next failure waits the least again.
  now += 60000 * kMs;
  CHECK(b.failed(now) == 100 * kMs);
  now += 100 * kMs;
  b.started(now);
  now += 10 * kMs;
  CHECK(b.failed(now) == 200 * kMs);
}
