// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include "web/recent.hh"

using namespace ballast;

namespace {

constexpr int64_t kSec = 1000000;

core::RingEntry entry(const char* client, const char* name, int64_t when,
                      uint32_t latencyUsec = 0) {
  core::RingEntry e;
  e.whenUsec = when;
  e.requestor = core::Address::parse(client);
  e.qname = dns::Name::fromString(name);
  e.latencyUsec = latencyUsec;
  return e;
}

}  // namespace

TEST_CASE("recent activity: top clients and names, latency percentiles, blocks in force") {
  core::Runtime rt;
  auto rings = std::make_shared<core::Rings>(1000, 1);
  const int64_t now = 100 * kSec;
  for (int i = 0; i < 6; ++i) rings->insertQuery(entry("192.0.2.1", "a.example.", now - i));
  for (int i = 0; i < 3; ++i) rings->insertQuery(entry("192.0.2.2", "b.example.", now - i));
  rings->insertQuery(entry("192.0.2.9", "old.example.", now - 20 * kSec));  // out of window
  for (uint32_t ms = 1; ms <= 100; ++ms)
    rings->insertResponse(entry("192.0.2.1", "a.example.", now - 1, ms * 1000));
  auto blocks = std::make_shared<core::DynBlockTable>()->with(
      {{core::Address::parse("198.51.100.7"), 32}}, "too many", now + 5 * kSec,
      core::DynBlockAction::Refused, false, now);
  rt.update([&](core::RuntimeConfig& c) {
    c.rings = rings;
    c.dynBlocks = blocks;
  });

  auto j = web::recentActivity(rt, now, 10 * kSec, 1);
  CHECK(j["queries"] == 9);
  REQUIRE(j["topClients"].size() == 1);  // top = 1
  CHECK(j["topClients"][0]["client"] == "192.0.2.1");
  CHECK(j["topClients"][0]["queries"] == 6);
  CHECK(j["topNames"][0]["name"] == "a.example.");
  CHECK(j["latency"]["answers"] == 100);
  CHECK(j["latency"]["p50"].get<double>() == doctest::Approx(51.0));
  CHECK(j["latency"]["p99"].get<double>() == doctest::Approx(99.0));
  CHECK(j["latency"]["max"].get<double>() == doctest::Approx(100.0));
  REQUIRE(j["dynamicBlocks"].size() == 1);
  CHECK(j["dynamicBlocks"][0]["network"] == "198.51.100.7/32");
  CHECK(j["dynamicBlocks"][0]["action"] == "Refused");
  CHECK(j["dynamicBlocks"][0]["secondsLeft"] == 5);

  // Once the block has expired and the window has moved on, the lists are empty.
  auto later = web::recentActivity(rt, now + 60 * kSec, 10 * kSec, 10);
  CHECK(later["queries"] == 0);
  CHECK(later["topClients"].empty());
  CHECK(later["latency"]["answers"] == 0);
  CHECK(later["dynamicBlocks"].empty());
}
