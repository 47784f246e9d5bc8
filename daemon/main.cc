// SPDX-License-Identifier: GPL-2.0-only
/// ballast: read the configuration, start the frontends and backends, run maintenance each
/// second, reload the configuration on SIGHUP, stop cleanly on SIGTERM or SIGINT.
#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/health/health_checker.hh"
#include "core/clock.hh"
#include "core/delay_queue.hh"
#include "console/server.hh"
#include "daemon/console_mode.hh"
#include "daemon/drain.hh"
#include "daemon/systemd.hh"
#include "core/log.hh"
#include "daemon/options.hh"
#include "frontend/tcp_acceptor.hh"
#include "frontend/tcp_stats.hh"
#include "frontend/udp_listener.hh"
#include "lua/config.hh"
#include "web/service.hh"

using namespace ballast;

namespace {

/// How long SIGTERM waits for queries already taken before stopping the backends.
constexpr int kDrainTimeoutMs = 3000;

/// Once a second: per-server rates, then the configuration's maintenance() function.
class Maintenance {
 public:
  Maintenance(core::Runtime& rt, lua::LuaConfig& lua) : rt_(rt), lua_(lua) {}
  void start() { thread_ = std::thread([this] { loop(); }); }
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
    purgeCaches();
    std::string error = lua_.callMaintenance();
    if (!error.empty()) fmt::print(stderr, "Error during execution of maintenance function: {}\n", error);
  }

  /// Every setCacheCleaningDelay seconds, entries past their stale window leave the caches.
  void purgeCaches() {
    auto cfg = rt_.config.load();
    uint32_t now = uint32_t(core::monotonicUsec() / 1000000);
    if (now - lastPurge_ < cfg->settings.cacheCleaningDelaySec) return;
    lastPurge_ = now;
    for (const auto& c : rt_.caches())
      c->purgeExpired(now, cfg->settings.staleCacheEntriesTTL,
                      cfg->settings.cleaningTarget(c->maxEntries()));
  }

  core::Runtime& rt_;
  lua::LuaConfig& lua_;
  uint32_t lastPurge_ = uint32_t(core::monotonicUsec() / 1000000);
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

/// Each resolution waiting on a server holds a socket, and every TCP client one more: the
/// usual soft limit of 1,024 descriptors is far below what newResolver's maxConcurrent and
/// the TCP limits allow, so take what the hard limit permits (as systemd's LimitNOFILE would).
void raiseDescriptorLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
    fmt::print(stderr, "ballast: cannot raise the open-file limit: {}\n", strerror(errno));
}

/// What the command line adds to the file (-l, -a), after it ran: at start-up and after
/// every reload's run of it, so that a reload compares like with like.
void applyCommandLine(const daemon::Options& opts, lua::Host& h) {
  if (!opts.locals.empty()) {
    h.startup().locals.clear();
    for (const auto& l : opts.locals)
      h.startup().locals.push_back({core::Address::parse(l), false});
  }
  if (h.startup().locals.empty())
    h.startup().locals.push_back({core::Address::parse("127.0.0.1:53"), false});
}

int run(const daemon::Options& opts) {
  if (opts.client) return daemon::runConsoleClient(opts);
  core::verboseLogging() = opts.verbose;
  raiseDescriptorLimit();
  core::Runtime rt;
  lua::Host host{rt, [](std::string_view s) {
                   fwrite(s.data(), 1, s.size(), stdout);
                   fflush(stdout);
                 }};
  lua::LuaConfig lua(host);
  web::Service webService(rt, BALLAST_VERSION);  // before lua's end: its handlers use lua
  host.web = &webService;
  try {
    rt.setInitialAcl(opts.acl);  // --acl: before the file, whose setACL replaces it
    lua.loadFile(opts.configFile);
    applyCommandLine(opts, host);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
  if (opts.checkConfig) {
    fmt::print("Configuration '{}' OK!\n", opts.configFile);
    return 0;
  }

  // Block the stop and reload signals before any thread starts, so only sigwait() below
  // sees them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::unique_ptr<frontend::UdpListener>> listeners;
  // addLocal listens on TCP too (dnsdist); DoT binds come from addTLSLocal.
  for (const auto& l : rt.startup.locals) {
    if (!l.tcp) continue;
    frontend::StreamBind b;
    b.address = l.address;
    b.reusePort = l.reusePort;
    b.maxInFlight = l.maxInFlight;
    b.maxConcurrentConnections = l.maxConcurrentTCPConnections;
    host.stream.tcpBinds.push_back(std::move(b));
  }
  frontend::registerStreamStats(rt.registry, host.stream);
  frontend::TcpWorkerPool tcpPool(rt, host.stream);
  std::vector<std::unique_ptr<frontend::TcpAcceptor>> acceptors;
  try {
    for (const auto& bind : rt.startup.locals)
      listeners.push_back(std::make_unique<frontend::UdpListener>(bind, rt));
    for (const auto* bind : frontend::allStreamBinds(host.stream))
      acceptors.push_back(std::make_unique<frontend::TcpAcceptor>(*bind, tcpPool));
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
  host.tcpConnectionsPerThread = [&tcpPool] {
    std::vector<int64_t> n;
    for (const auto& w : tcpPool.workers()) n.push_back(w->connectionCount());
    return n;
  };
  tcpPool.start();
  for (auto& a : acceptors) {
    a->start();
    if (opts.verbose)
      fmt::print(stderr, "Listening on {} {}\n", a->bind().doh ? "DoH" : a->bind().tls ? "DoT" : "TCP",
                 a->bind().address.toStringWithPort());
  }
  // Declared after the servers' start so that it outlives rt.stopServers() below: a
  // responder may hand it a check's answer until then.
  backends::health::HealthChecker checker(rt);
  checker.start();
  Maintenance maintenance(rt, lua);
  maintenance.start();
  std::unique_ptr<console::ConsoleServer> console;
  try {
    console = daemon::startConsole(opts, host, lua);
    webService.start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "ballast: {}\n", e.what());
    if (console) console->stop();
    maintenance.stop();
    checker.stop();
    for (auto& l : listeners) l->stop();
    for (auto& a : acceptors) a->stop();
    tcpPool.stop();
    rt.stopServers();
    host.tcpConnectionsPerThread = nullptr;
    return 1;
  }
  for (auto& f : host.afterStart) f();
  rt.registry.add("config-reloads", host.reloads,
                  "configuration reloads done (SIGHUP, reloadConfig)");
  rt.registry.add("config-reload-failures", host.reloadFailures,
                  "configuration reloads refused, the running configuration kept");
  lua.setReloadSource(opts.configFile, [&opts](lua::Host& h) { applyCommandLine(opts, h); });
  daemon::Watchdog watchdog;
  if (opts.supervised) {
    daemon::notifySystemd("READY=1");
    watchdog.start();
  }
  fmt::print(stderr, "ballast {} started with {} listener(s) and {} server(s)\n", BALLAST_VERSION,
             listeners.size(), rt.servers().size());

  int sig = 0;
  // SIGHUP reloads here, on this thread, while the listeners keep answering.
  while (sigwait(&stopSignals, &sig) == 0 && sig == SIGHUP) {
    fmt::print(stderr, "ballast: SIGHUP received, reloading {}\n", opts.configFile);
    lua.reload();  // logs the outcome
  }
  fmt::print(stderr, "ballast: {} received, stopping\n", strsignal(sig));
  if (opts.supervised) daemon::notifySystemd("STOPPING=1");
  // Stop accepting first, then let the queries already taken finish (bounded), so a
  // restart loses none of them; only then stop the workers and the backends.
  for (auto& l : listeners) l->stop();
  for (auto& a : acceptors) a->stop();
  daemon::drainBackends(rt, std::chrono::milliseconds(kDrainTimeoutMs));
  if (console) console->stop();
  webService.stop();
  maintenance.stop();
  checker.stop();
  tcpPool.stop();  // the workers stay alive until the backends stop handing them answers
  for (auto& f : host.beforeStop) f();
  rt.stopServers();
  core::delayQueue().stop();  // answers held back by DelayAction go out now, sockets still open
  for (auto& f : host.afterStop) f();
  host.tcpConnectionsPerThread = nullptr;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  daemon::Options opts = daemon::parseCommandLine(argc, argv);
  return run(opts);
}
