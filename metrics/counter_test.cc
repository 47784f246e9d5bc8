// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <thread>
#include <vector>

#include "metrics/counter.hh"
#include "metrics/latency.hh"
#include "metrics/registry.hh"

using namespace ballast::metrics;

TEST_CASE("counter sums increments from many threads") {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  for (auto& t : threads) t.join();
  CHECK(c.value() == 80000);
}

TEST_CASE("counter stays exact with more threads than slots") {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3 * int(kCounterShards); ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) c.inc(2);
    });
  for (auto& t : threads) t.join();
  CHECK(c.value() == 3 * kCounterShards * 4000);
}

TEST_CASE("an exited thread's slot is given to the next thread") {
  Counter c;
  for (int t = 0; t < 3 * int(kCounterShards); ++t) {
    size_t slot = kCounterShards;
    std::thread([&] {
      c.inc();
      slot = threadSlot();
    }).join();
    CHECK(slot < kSharedSlot);  // never runs out while threads come and go one at a time
  }
  CHECK(c.value() == 3 * kCounterShards);
}

TEST_CASE("latency buckets follow dnsdist's bounds") {
  LatencyStats l;
  l.record(500);      // 0-1 ms
  l.record(1000);     // 1-10 ms: the bound belongs to the next bucket
  l.record(49999);    // 10-50 ms
  l.record(2000000);  // slow
  CHECK(l.bucket(0) == 1);
  CHECK(l.bucket(1) == 1);
  CHECK(l.bucket(2) == 1);
  CHECK(l.bucket(5) == 1);
  CHECK(l.count() == 4);
  CHECK(l.avg100() > 0);
}

TEST_CASE("registry reads current values in registration order") {
  Registry r;
  Counter q;
  r.add("queries", q, "queries received");
  r.addGauge("answer", [] { return 42.0; }, "a gauge");
  q.inc(3);
  auto s = r.snapshot();
  REQUIRE(s.size() == 2);
  CHECK(s[0].first == "queries");
  CHECK(s[0].second == 3);
  CHECK(s[1].second == 42);
}
