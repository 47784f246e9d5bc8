// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include "metrics/carbon.hh"

using namespace ballast::metrics;

TEST_CASE("carbon lines carry namespace, ourname, instance, value and time") {
  CarbonConfig c;
  c.ourname = "host_example_org";
  std::string out = carbonLines(c, {{"queries", 12}, {"latency-avg100", 0.25}}, 1700000000);
  CHECK(out ==
        "dnsdist.host_example_org.main.queries 12 1700000000\n"
        "dnsdist.host_example_org.main.latency-avg100 0.25 1700000000\n");
  c.namespace_ = "ns";
  c.instance = "i2";
  CHECK(carbonLines(c, {{"servers.b1.queries", 3}}, 5) ==
        "ns.host_example_org.i2.servers.b1.queries 3 5\n");
}

TEST_CASE("carbon path components have no dots or colons") {
  CHECK(carbonComponent("127.0.0.1:53") == "127_0_0_1_53");
  CHECK(carbonComponent("b1") == "b1");
}
