// SPDX-License-Identifier: GPL-2.0-only
// LuaConfig::reload: the whole file again in a fresh state, kept servers and caches, and
// the rule that a failed reload changes nothing.
#include <doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lua/config.hh"
#include "lua/reload.hh"

using namespace ballast;

namespace {

struct Fixture {
  core::Runtime rt;
  std::string output;
  lua::ProcessSettings process;
  lua::Host host{rt, process, [this](std::string_view s) { output += s; }};
  lua::LuaConfig cfg{host};
  std::filesystem::path file = std::filesystem::temp_directory_path() /
                               ("ballast-reload-test-" + std::to_string(::getpid()) + ".conf");

  ~Fixture() { std::filesystem::remove(file); }
  void write(const std::string& text) { std::ofstream(file) << text; }
  void start(const std::string& text) {
    write(text);
    cfg.loadFile(file.string());
    cfg.setReloadSource(file.string(), nullptr);
    host.configuring = false;  // no rt.startServers(): nothing here needs sockets
  }
  std::shared_ptr<core::Backend> server(const std::string& name) {
    for (auto& b : rt.servers())
      if (b->name() == name) return b;
    return nullptr;
  }
};

const char* kBase = R"(
setLocal("127.0.0.1:5300")
newServer{address="192.0.2.1:53", name="keep", pool="p"}
newServer{address="192.0.2.2:53", name="gone"}
pc = newPacketCache(100, {maxTTL=300})
getPool("p"):setCache(pc)
addAction(QNameRule("a.test."), RCodeAction(DNSRCode.REFUSED))
)";

}  // namespace

TEST_CASE("optionsKey: same options in any order give the same key; functions give none") {
  lua_State* L = luaL_newstate();
  auto keyOf = [&](const char* expr, std::initializer_list<std::string_view> skip) {
    std::string code = std::string("return ") + expr;
    REQUIRE(luaL_dostring(L, code.c_str()) == 0);
    std::string k = lua::optionsKey(L, -1, skip);
    lua_pop(L, 1);
    return k;
  };
  std::string a = keyOf("{address='192.0.2.1', name='x', pool={'a','b'}, checkInterval=5}", {});
  std::string b = keyOf("{checkInterval=5, pool={'a','b'}, name='x', address='192.0.2.1'}", {});
  CHECK(!a.empty());
  CHECK(a == b);
  CHECK(a != keyOf("{address='192.0.2.1', name='x', pool={'b','a'}, checkInterval=5}", {}));
  CHECK(keyOf("{address='192.0.2.1', weight=3}", {"weight"}) ==
        keyOf("{address='192.0.2.1', weight=9}", {"weight"}));
  CHECK(keyOf("{address='192.0.2.1', checkInterval='5'}", {}) !=
        keyOf("{address='192.0.2.1', checkInterval=5}", {}));
  CHECK(keyOf("{address='192.0.2.1', checkFunction=function() end}", {}).empty());
  lua_close(L);
}

TEST_CASE("a reload keeps unchanged servers and caches, adds and removes the others") {
  Fixture f;
  f.start(kBase);
  auto keep = f.server("keep");
  REQUIRE(keep);
  auto cache = f.rt.config.load()->findPool("p")->cache;
  REQUIRE(cache);
  f.write(R"(
setLocal("127.0.0.1:5300")
newServer{address="192.0.2.1:53", name="keep", pool={"p", "q"}, weight=4}
newServer{address="192.0.2.3:53", name="new"}
pc = newPacketCache(100, {maxTTL=300})
getPool("p"):setCache(pc)
addAction(QNameRule("a.test."), RCodeAction(DNSRCode.REFUSED))
addAction(QNameRule("b.test."), DropAction())
setServFailWhenNoServer(true)
reloadMarker = "new"
)");
  CHECK(f.cfg.reload() == "");
  CHECK(f.server("keep") == keep);  // the very object: health and queries in flight kept
  CHECK(keep->weight() == 4);
  CHECK(f.server("gone") == nullptr);
  CHECK(f.server("new") != nullptr);
  auto cfg = f.rt.config.load();
  CHECK(cfg->findPool("p")->cache == cache);
  CHECK(cfg->findPool("q")->servers.size() == 1);
  CHECK(cfg->rules.query.size() == 2);
  CHECK(cfg->settings.servFailWhenNoServer);
  CHECK(f.host.reloads.value() == 1);
  // The new state took over: the console sees the file's globals.
  CHECK(f.cfg.runConsoleCommand("reloadMarker", 1000).text == "new\n");
}

TEST_CASE("a broken file or a bad option changes nothing and says where") {
  Fixture f;
  f.start(kBase);
  auto before = f.rt.config.load();
  auto servers = f.rt.servers();
  f.write("newServer{address=\"192.0.2.9:53\"}\nsetServFailWhenNoServer(true\n");
  std::string error = f.cfg.reload();
  CHECK(error.find(f.file.string() + ":") != std::string::npos);
  f.write("newServer{address=\"192.0.2.9:53\"}\nnewServer{address=\"192.0.2.8:53\", bogus=1}\n");
  error = f.cfg.reload();
  CHECK(error.find(f.file.string() + ":2:") != std::string::npos);
  CHECK(error.find("unknown option 'bogus'") != std::string::npos);
  CHECK(f.rt.config.load() == before);
  CHECK(f.rt.servers() == servers);
  CHECK(f.rt.caches().size() == 1);
  CHECK(f.host.reloadFailures.value() == 2);
  CHECK(f.host.reloads.value() == 0);
  // The old state still serves the console.
  CHECK(f.cfg.runConsoleCommand("pc ~= nil", 1000).text == "true\n");
}

TEST_CASE("reloadConfig() from the console reports the outcome") {
  Fixture f;
  f.start(kBase);
  f.write("this is not Lua\n");
  auto reply = f.cfg.runConsoleCommand("reloadConfig()", 10000);
  CHECK(reply.failed);
  CHECK(reply.text.find("reload failed") != std::string::npos);
  CHECK(reply.text.find(f.file.string() + ":1:") != std::string::npos);
  f.write(kBase);
  reply = f.cfg.runConsoleCommand("reloadConfig()", 10000);
  CHECK_FALSE(reply.failed);
  CHECK(reply.text.find("Configuration reloaded") != std::string::npos);
}

TEST_CASE("listen addresses changed by the file are kept as started") {
  Fixture f;
  f.start(kBase);
  f.write(std::string(kBase) + "addLocal(\"127.0.0.1:5301\")\n");
  CHECK(f.cfg.reload() == "");
  CHECK(f.process.stream.locals.size() == 1);  // what the listeners were started with
}

TEST_CASE("an unchanged resolver keeps its instances; a changed one is replaced once") {
  Fixture f;
  auto statCount = [&](const std::string& name) {
    size_t n = 0;
    for (const auto& e : f.rt.registry.entries()) n += e.name == name;
    return n;
  };
  const std::string base = "newResolver{name='local', instances=2, maxCacheEntries=1000}\n";
  f.start(base);
  auto one = f.server("local@1"), two = f.server("local@2");
  REQUIRE(one);
  REQUIRE(two);
  CHECK(statCount("resolver-local-cache-hits") == 1);

  f.write(base + "newServer{address='192.0.2.1:53'}\n");
  CHECK(f.cfg.reload() == "");
  CHECK(f.server("local@1") == one);
  CHECK(f.server("local@2") == two);
  CHECK(statCount("resolver-local-cache-hits") == 1);  // the discarded copy registered nothing

  f.write("newResolver{name='local', instances=2, maxCacheEntries=2000}\n");
  CHECK(f.cfg.reload() == "");
  REQUIRE(f.server("local@1"));
  CHECK(f.server("local@1") != one);
  CHECK(f.rt.servers().size() == 2);
  CHECK(statCount("resolver-local-cache-hits") == 1);
  CHECK(statCount("resolver-local-cache-entries") == 1);
}
