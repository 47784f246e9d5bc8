// SPDX-License-Identifier: GPL-2.0-only
/// ballast: read the configuration, start the frontends and backends, run maintenance each
/// second, stop cleanly on SIGTERM or SIGINT.
#include <fmt/format.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/health/health_checker.hh"
#include "console/client.hh"
#include "console/server.hh"
#include "core/log.hh"
#include "daemon/options.hh"
#include "frontend/udp_listener.hh"
#include "lua/config.hh"

using namespace ballast;

namespace {

/// Tells systemd (Type=notify) we are ready, when started with NOTIFY_SOCKET.
void notifySystemd(const char* state) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof(sun.sun_path)) return;
  memcpy(sun.sun_path, path, len);
  if (sun.sun_path[0] == '@') sun.sun_path[0] = '\0';  // abstract namespace
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sendto(fd, state, strlen(state), 0, reinterpret_cast<sockaddr*>(&sun),
         socklen_t(offsetof(sockaddr_un, sun_path) + len));
  close(fd);
}

/// Once a second: per-server rates, then the configuration's maintenance() function.
class Maintenance {
 public:
  Maintenance(core::Runtime& rt, lua::LuaConfig& lua) : rt_(rt), lua_(lua) {}
  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      tick();
      lock.lock();
    }
  }
  void tick() {
    for (const auto& b : rt_.servers()) {
      uint64_t q = b->stats.queries.value(), d = b->stats.drops.value();
      b->stats.qps.set(double(q - b->stats.lastQueries));
      b->stats.dropRate.set(double(d - b->stats.lastDrops));
      b->stats.lastQueries = q;
      b->stats.lastDrops = d;
    }
    std::string error = lua_.callMaintenance();
    if (!error.empty())
      fmt::print(stderr, "Error during execution of maintenance function: {}\n", error);
  }

  core::Runtime& rt_;
  lua::LuaConfig& lua_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

/// `ballast -c`: the address and key from the command line, else from the configuration.
int runConsoleClient(const daemon::Options& opts) {
  core::Runtime rt;
  lua::Host host{rt, [](std::string_view) {}};
  lua::LuaConfig lua(host);
  bool needConfig = opts.clientAddress.empty() || opts.clientKey.empty();
  if (needConfig || access(opts.configFile.c_str(), R_OK) == 0) {
    try {
      lua.loadFile(opts.configFile);
    } catch (const std::exception& e) {
      if (needConfig) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
      }
    }
  }
  console::ClientOptions c;
  std::string address = opts.clientAddress.empty() ? host.console.address.value_or("127.0.0.1:5199")
                                                   : opts.clientAddress;
  std::string key = opts.clientKey.empty() ? host.console.key : opts.clientKey;
  try {
    c.server = core::Address::parse(address, 5199);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ballast: bad console address '{}': {}\n", address, e.what());
    return 1;
  }
  if (key.empty()) {
    fmt::print(stderr, "ballast: no console key: use -k KEY or setKey() in {}\n", opts.configFile);
    return 1;
  }
  auto parsed = console::parseKey(key);
  if (!parsed) {
    fmt::print(stderr,
               "ballast: the console key must be 32 bytes in base64, as makeKey() prints\n");
    return 1;
  }
  c.key = *parsed;
  if (opts.execute) c.command = opts.command;
  c.completions = lua.functionNames();
  if (const char* home = getenv("HOME")) c.historyFile = std::string(home) + "/.ballast_history";
  return console::runClient(c);
}

/// The control socket, if the configuration asked for one and set a key.
std::unique_ptr<console::ConsoleServer> startConsole(const daemon::Options& opts, lua::Host& host,
                                                     lua::LuaConfig& lua) {
  if (!host.console.address) return nullptr;
  std::string key;
  {
    std::lock_guard lock(host.console.mutex);
    if (host.console.key.empty()) host.console.key = opts.clientKey;
    key = host.console.key;
  }
  auto parsed = console::parseKey(key);
  if (!parsed) {
    fmt::print(
        stderr, "ballast: not starting the console on {}: {} (makeKey() prints one for setKey())\n",
        *host.console.address,
        key.empty() ? "no key set with setKey() or -k" : "the -k key is not 32 bytes of base64");
    return nullptr;
  }
  auto exec = [&host, &lua](const std::string& command, bool& failed) {
    size_t max;
    {
      std::lock_guard lock(host.console.mutex);
      max = host.console.outputMaxSize;
    }
    auto reply = lua.runConsoleCommand(command, max);
    failed = reply.failed;
    return reply.text;
  };
  auto server = std::make_unique<console::ConsoleServer>(
      core::Address::parse(*host.console.address, 5199), *parsed, host.console, exec);
  server->stats.registerIn(host.runtime.registry);
  server->start();
  fmt::print(stderr, "Accepting control connections on {}\n", server->address().toStringWithPort());
  return server;
}

int run(const daemon::Options& opts) {
  if (opts.client) return runConsoleClient(opts);
  core::verboseLogging() = opts.verbose;
  core::Runtime rt;
  lua::Host host{rt, [](std::string_view s) {
                   fwrite(s.data(), 1, s.size(), stdout);
                   fflush(stdout);
                 }};
  lua::LuaConfig lua(host);
  try {
    lua.loadFile(opts.configFile);
    if (!opts.locals.empty()) {
      rt.startup.locals.clear();
      for (const auto& l : opts.locals)
        rt.startup.locals.push_back({core::Address::parse(l), false});
    }
    for (const auto& m : opts.acl) {
      core::NetmaskGroup probe;
      probe.add(m);
      rt.update([&](core::RuntimeConfig& c) { c.acl.add(m); });
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
  if (rt.startup.locals.empty())
    rt.startup.locals.push_back({core::Address::parse("127.0.0.1:53"), false});
  if (opts.checkConfig) {
    fmt::print("Configuration '{}' OK!\n", opts.configFile);
    return 0;
  }

  // Block the stop signals before any thread starts, so only sigwait() below sees them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::unique_ptr<frontend::UdpListener>> listeners;
  try {
    for (const auto& bind : rt.startup.locals)
      listeners.push_back(std::make_unique<frontend::UdpListener>(bind, rt));
    host.configuring = false;
    rt.startServers();
  } catch (const std::exception& e) {
    fmt::print(stderr, "ballast: {}\n", e.what());
    return 1;
  }
  for (auto& l : listeners) {
    l->start();
    if (opts.verbose) fmt::print(stderr, "Listening on {}\n", l->address().toStringWithPort());
  }
  // Declared after the servers' start so that it outlives rt.stopServers() below: a
  // responder may hand it a check's answer until then.
  backends::health::HealthChecker checker(rt);
  checker.start();
  Maintenance maintenance(rt, lua);
  maintenance.start();
  std::unique_ptr<console::ConsoleServer> console;
  try {
    console = startConsole(opts, host, lua);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ballast: {}\n", e.what());
    maintenance.stop();
    checker.stop();
    for (auto& l : listeners) l->stop();
    rt.stopServers();
    return 1;
  }
  if (opts.supervised) notifySystemd("READY=1");
  fmt::print(stderr, "ballast {} started with {} listener(s) and {} server(s)\n", BALLAST_VERSION,
             listeners.size(), rt.servers().size());

  int sig = 0;
  sigwait(&stopSignals, &sig);
  fmt::print(stderr, "ballast: {} received, stopping\n", strsignal(sig));
  if (opts.supervised) notifySystemd("STOPPING=1");
  if (console) console->stop();
  maintenance.stop();
  checker.stop();
  for (auto& l : listeners) l->stop();
  rt.stopServers();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  daemon::Options opts = daemon::parseCommandLine(argc, argv);
  return run(opts);
}
