// SPDX-License-Identifier: GPL-2.0-only
// Console commands in the shared Lua state: all-or-nothing changes, output, return values.
#include <doctest.h>

#include <algorithm>

#include "lua/config.hh"

using namespace ballast;

namespace {

struct Fixture {
  core::Runtime rt;
  std::string printed;
  lua::ProcessSettings process;
  lua::Host host{rt, process, [this](std::string_view s) { printed.append(s); }};
  lua::LuaConfig lua{host};
  Fixture() { host.configuring = false; }
  lua::LuaConfig::ConsoleReply run(const std::string& line, size_t max = 100000) {
    return lua.runConsoleCommand(line, max);
  }
};

}  // namespace

TEST_CASE("a successful command publishes its changes; a failed one none of them") {
  Fixture f;
  auto r = f.run("newServer('192.0.2.1:53')");
  CHECK_FALSE(r.failed);
  CHECK(r.text == "192.0.2.1:53\n");
  CHECK(f.rt.servers().size() == 1);

  auto gen = f.rt.config.generation();
  r = f.run(
      "newServer{address='192.0.2.2:53', pool='p'}; setServerPolicy(roundrobin); "
      "getServer(0):setWeight(9); error('stop here')");
  CHECK(r.failed);
  CHECK(r.text.rfind("Error: ", 0) == 0);
  CHECK(r.text.find("stop here") != std::string::npos);
  CHECK(f.rt.servers().size() == 1);
  CHECK(f.rt.servers()[0]->weight() == 1);
  CHECK(f.rt.config.generation() == gen);
  CHECK(f.rt.config.load()->policy->name() == "leastOutstanding");
  CHECK(f.rt.config.load()->findPool("p") == nullptr);
}

TEST_CASE("a command sees its own staged changes") {
  Fixture f;
  auto r = f.run("newServer{address='192.0.2.3:53', pool='fresh'}; showPools()");
  CHECK_FALSE(r.failed);
  CHECK(r.text.find("fresh") != std::string::npos);
}

TEST_CASE("return values are printed as dnsdist prints them") {
  Fixture f;
  CHECK(f.run("1+1").text == "2\n");
  CHECK(f.run("0.5").text == "0.5\n");
  CHECK(f.run("1e300").text == "1e+300\n");
  CHECK(f.run("1/0").text == "inf\n");
  CHECK(f.run("'text'").text == "text\n");
  CHECK(f.run("nil").text == "");
  CHECK(f.run("x = 3").text == "");  // not an expression: run as a statement
  CHECK(f.run("x").text == "3\n");
  CHECK(f.run("{b=2, a='x'}").text == "{\"a\": \"x\", \"b\": 2}\n");
  CHECK(f.run("print('p') return 1").text == "p\n1\n");
}

TEST_CASE("output is cut at the limit and print() goes back to its owner afterwards") {
  Fixture f;
  auto r = f.run("for i = 1, 100 do print(i) end", 10);
  CHECK(r.text.substr(0, 10) == "1\n2\n3\n4\n5\n");
  CHECK(r.text.find("[output cut at 10 bytes") != std::string::npos);
  f.lua.run("print('after')", "test");
  CHECK(f.printed == "after\n");
}

TEST_CASE("completions: global functions and object methods") {
  Fixture f;
  auto names = f.lua.functionNames();
  auto has = [&](const char* n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  CHECK(has("newServer"));
  CHECK(has("showVersion"));
  CHECK(has("setDown"));  // a server's method
  CHECK(std::is_sorted(names.begin(), names.end()));
}
