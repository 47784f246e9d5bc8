// SPDX-License-Identifier: GPL-2.0-only
/// Lazy health checking (healthCheckMode="lazy") on a fake clock.
#include <doctest.h>

#include "backends/health/health_state.hh"

using namespace ballast;
using backends::health::HealthState;
using backends::health::LazyStatus;
using backends::health::Transition;

namespace {
constexpr int64_t kSec = 1000000;

core::HealthCheckConfig lazyConfig() {
  core::HealthCheckConfig c;
  c.lazy = true;
  c.intervalSec = 1;
  c.timeoutMs = 500;
  c.maxCheckFailures = 2;
  c.rise = 2;
  c.lazySampleSize = 10;
  c.lazyMinSampleCount = 4;
  c.lazyThreshold = 50;
  c.lazyFailedIntervalSec = 30;
  return c;
}

Transition check(HealthState& s, int64_t now, bool ok) {
  REQUIRE(s.due(now));
  return s.answered(s.sent(now), ok);
}
}  // namespace

TEST_CASE("lazy: no check while healthy, whatever the time") {
  HealthState s(lazyConfig());
  CHECK(s.up());
  CHECK_FALSE(s.due(0));
  CHECK_FALSE(s.due(1000 * kSec));
  CHECK_FALSE(s.lazyEvaluate(3, 3, 0));   // under the minimum sample count
  CHECK_FALSE(s.lazyEvaluate(10, 4, 0));  // 40% < 50%
  CHECK_FALSE(s.due(0));
  CHECK_FALSE(s.takeSampleReset());
}

TEST_CASE("lazy: threshold reached (>=), then checks each interval until down") {
  HealthState s(lazyConfig());
  CHECK(s.lazyEvaluate(10, 5, 100 * kSec));
  CHECK(s.lazyStatus() == LazyStatus::PotentialFailure);
  CHECK(s.takeSampleReset());
  CHECK(s.due(100 * kSec));
  CHECK(check(s, 100 * kSec, false) == Transition::None);  // 1 of maxCheckFailures=2
  CHECK_FALSE(s.due(101 * kSec - 1));
  CHECK(check(s, 101 * kSec, false) == Transition::WentDown);
  CHECK(s.lazyStatus() == LazyStatus::Failed);
  CHECK_FALSE(s.takeSampleReset());
  // Down: checked every lazyHealthCheckFailedInterval, not every checkInterval.
  CHECK_FALSE(s.due(102 * kSec));
  CHECK_FALSE(s.due(131 * kSec - 1));
  CHECK(check(s, 131 * kSec, true) == Transition::None);  // rise=2
  CHECK_FALSE(s.due(161 * kSec - 1));
  CHECK(check(s, 161 * kSec, true) == Transition::WentUp);
  CHECK(s.lazyStatus() == LazyStatus::Healthy);
  CHECK(s.takeSampleReset());
  CHECK_FALSE(s.due(1000 * kSec));
}

TEST_CASE("lazy: a suspected backend that passes its check is healthy again") {
  HealthState s(lazyConfig());
  CHECK(s.lazyEvaluate(4, 4, 0));
  CHECK(s.takeSampleReset());
  CHECK(check(s, 0, true) == Transition::None);
  CHECK(s.up());
  CHECK(s.lazyStatus() == LazyStatus::Healthy);
  CHECK(s.takeSampleReset());
  CHECK_FALSE(s.due(10 * kSec));
}

TEST_CASE("lazy: a timed-out check counts as a failure") {
  HealthState s(lazyConfig());
  CHECK(s.lazyEvaluate(4, 2, 0));
  s.sent(0);
  CHECK(s.tick(kSec / 2 - 1) == Transition::None);
  CHECK(s.tick(kSec / 2) == Transition::None);
  CHECK(check(s, kSec, false) == Transition::WentDown);
}

TEST_CASE("lazy: exponential back-off while down, capped, reset by a success") {
  auto c = lazyConfig();
  c.maxCheckFailures = 1;
  c.lazyBackOff = true;
  c.lazyFailedIntervalSec = 10;
  c.lazyMaxBackOffSec = 50;
  HealthState s(c);
  CHECK(s.lazyEvaluate(4, 4, 0));
  CHECK(check(s, 0, false) == Transition::WentDown);  // 1 failure: next after 10 * 2
  CHECK_FALSE(s.due(20 * kSec - 1));
  CHECK(check(s, 20 * kSec, false) == Transition::None);  // 2 failures: 10 * 4
  CHECK_FALSE(s.due(60 * kSec - 1));
  CHECK(check(s, 60 * kSec, false) == Transition::None);  // 3: 80, capped at 50
  CHECK_FALSE(s.due(110 * kSec - 1));
  CHECK(check(s, 110 * kSec, true) == Transition::None);  // rise=2: next after 10
  CHECK(s.due(120 * kSec));
}

TEST_CASE("lazy: setAuto(false) makes it failed, setAuto(true) healthy") {
  HealthState s(lazyConfig());
  s.sync(false);
  CHECK(s.lazyStatus() == LazyStatus::Failed);
  CHECK(s.due(0));
  s.sync(true);
  CHECK(s.lazyStatus() == LazyStatus::Healthy);
  CHECK_FALSE(s.due(0));
}

TEST_CASE("lazy samples: ring of the last N outcomes, cleared on demand") {
  core::LazySamples r;
  r.resize(4);
  CHECK(r.count() == std::pair<size_t, size_t>{0, 0});
  r.record(true);
  r.record(false);
  CHECK(r.count() == std::pair<size_t, size_t>{2, 1});
  for (int i = 0; i < 4; ++i) r.record(false);
  CHECK(r.count() == std::pair<size_t, size_t>{4, 0});  // the failure fell out of the ring
  r.record(true);
  CHECK(r.count() == std::pair<size_t, size_t>{4, 1});
  r.clear();
  CHECK(r.count() == std::pair<size_t, size_t>{0, 0});
  r.record(true);
  CHECK(r.count() == std::pair<size_t, size_t>{1, 1});
}
