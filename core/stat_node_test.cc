// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <map>
#include <string>

#include "core/stat_node.hh"

using namespace ballast;
using namespace ballast::core;

TEST_CASE("stat node tree: one node per suffix, counts at the full name, totals upwards") {
  StatNode root;
  root.submit(dns::Name::fromString("www.Example.com."), 0, 100);
  root.submit(dns::Name::fromString("www.example.com."), 3, 50);
  root.submit(dns::Name::fromString("mail.example.com."), 2, 10);
  root.submit(dns::Name::fromString("example.org."), -1, 0);
  root.submit(dns::Name::fromString("."), 0, 10);  // no node for the root, as dnsdist
  std::map<std::string, std::pair<StatNodeStats, StatNodeStats>> seen;
  std::map<std::string, std::pair<unsigned, size_t>> shape;
  std::vector<std::string> order;
  StatNodeStats total =
      root.visit([&](const StatNode& n, const StatNodeStats& self, const StatNodeStats& all) {
        seen[n.fullname()] = {self, all};
        shape[n.fullname()] = {n.labelsCount(), n.numChildren()};
        order.push_back(n.fullname());
      });
  CHECK(order.back() == "");  // the root last, children before parents
  CHECK(seen.size() == 7);
  CHECK(shape["www.Example.com."] == std::pair<unsigned, size_t>{3, 0});  // first spelling kept
  CHECK(shape["Example.com."] == std::pair<unsigned, size_t>{2, 2});
  CHECK(shape["com."] == std::pair<unsigned, size_t>{1, 1});
  CHECK(shape[""] == std::pair<unsigned, size_t>{0, 2});
  auto& www = seen["www.Example.com."];
  CHECK(www.first.queries == 2);
  CHECK(www.first.noerrors == 1);
  CHECK(www.first.nxdomains == 1);
  CHECK(www.first.bytes == 150);
  auto& ex = seen["Example.com."];
  CHECK(ex.first.queries == 0);
  CHECK(ex.second.queries == 3);
  CHECK(ex.second.servfails == 1);
  CHECK(ex.second.bytes == 160);
  CHECK(seen["example.org."].first.drops == 1);
  CHECK(total.queries == 4);
  CHECK(seen[""].second.queries == 4);
}
