// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <set>
#include <thread>
#include <vector>

#include "backends/remote/inflight_table.hh"

using ballast::backends::remote::InFlightTable;

TEST_CASE("claimed slots are distinct until released") {
  InFlightTable t(8);
  std::set<int> ids;
  for (int i = 0; i < 8; ++i) {
    int id = t.claim();
    REQUIRE(id >= 0);
    ids.insert(id);
    t.publish(size_t(id), 0);
  }
  CHECK(ids.size() == 8);
  CHECK(t.outstanding() == 8);
  CHECK(t.claim() == -1);  // full
  REQUIRE(t.take(3));
  CHECK_FALSE(t.take(3));  // already taken: a duplicate answer is ignored
  t.release(3);
  CHECK(t.claim() == 3);
}

TEST_CASE("timeouts free only the slots that waited long enough") {
  InFlightTable t(4);
  int a = t.claim(), b = t.claim();
  t.publish(size_t(a), 1000);
  t.publish(size_t(b), 2500);
  CHECK(t.expire(2999, 2000) == 0);
  CHECK(t.expire(3000, 2000) == 1);
  CHECK_FALSE(t.take(size_t(a)));  // expired: a late answer finds nothing
  CHECK(t.take(size_t(b)));
  t.putBack(size_t(b));           // a mismatched answer leaves it waiting
  CHECK(t.expire(4500, 2000) == 1);
  CHECK(t.outstanding() == 0);
}

TEST_CASE("expiry shows each expired slot before freeing it") {
  InFlightTable t(4);
  int client = t.claim(), check = t.claim();
  struct : ballast::core::CheckSink {
    void checked(uint64_t, std::span<const uint8_t>) override {}
  } checker;
  t.at(size_t(check)).done = ballast::core::Completion::healthCheck(checker, 1, 0);
  t.publish(size_t(client), 0);
  t.publish(size_t(check), 0);
  size_t internal = 0;
  CHECK(t.expire(5000, 2000, [&](ballast::backends::remote::InFlight& s) { internal += s.done.internal(); }) == 2);
  CHECK(internal == 1);
  CHECK(t.outstanding() == 0);
}

TEST_CASE("concurrent claim and release keep the count right") {
  InFlightTable t(1024);
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n)
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        int id = t.claim();
        if (id < 0) continue;
        t.publish(size_t(id), 0);
        if (t.take(size_t(id))) t.release(size_t(id));
      }
    });
  for (auto& th : threads) th.join();
  CHECK(t.outstanding() == 0);
}

TEST_CASE("the table starts with one segment and grows as slots are claimed") {
  InFlightTable t(1000);
  CHECK(t.capacity() == 1000);
  CHECK(t.allocated() == InFlightTable::kSegment);
  std::set<int> ids;
  for (int i = 0; i < 2000; ++i) {  // enough tries for the probes to visit every slot
    int id = t.claim();
    if (id < 0) continue;
    CHECK(size_t(id) < t.allocated());
    ids.insert(id);
    t.publish(size_t(id), 0);
  }
  CHECK(ids.size() == 1000);  // every slot, each once, and no more than the capacity
  CHECK(t.allocated() == 1000);
  CHECK(t.outstanding() == 1000);
  CHECK(t.claim() == -1);
  CHECK(t.expire(5000, 2000) == 1000);  // expiry walks the grown segments too
  CHECK(t.outstanding() == 0);
}

TEST_CASE("a table whose slots are answered in time does not grow") {
  InFlightTable t(65535);
  for (int i = 0; i < 100000; ++i) {
    int id = t.claim();
    REQUIRE(id >= 0);
    t.publish(size_t(id), 0);
    if (i >= 100) {  // at most 100 in flight: answer the oldest
      REQUIRE(t.take(size_t((id + InFlightTable::kSegment - 100) % InFlightTable::kSegment)));
      t.release(size_t((id + InFlightTable::kSegment - 100) % InFlightTable::kSegment));
    }
  }
  CHECK(t.allocated() == InFlightTable::kSegment);
  CHECK(t.outstanding() == 100);
}

TEST_CASE("an answer with an ID beyond the allocated slots is ignored") {
  InFlightTable t(65535);
  CHECK_FALSE(t.take(60000));
  CHECK_FALSE(t.take(InFlightTable::kSegment));
}

TEST_CASE("concurrent claims that grow the table hand out distinct slots") {
  InFlightTable t(4096);
  std::vector<std::vector<int>> got(4);
  std::vector<std::thread> threads;
  for (size_t n = 0; n < 4; ++n)
    threads.emplace_back([&, n] {
      for (int tries = 0; got[n].size() < 500 && tries < 100000; ++tries) {
        int id = t.claim();
        if (id < 0) continue;
        t.publish(size_t(id), 0);
        got[n].push_back(id);
      }
    });
  for (auto& th : threads) th.join();
  std::set<int> ids;
  size_t claimed = 0;
  for (auto& g : got) {
    claimed += g.size();
    ids.insert(g.begin(), g.end());
  }
  CHECK(claimed == 2000);
  CHECK(ids.size() == 2000);
  CHECK(t.outstanding() == 2000);
  CHECK(t.allocated() >= 2000);
}
