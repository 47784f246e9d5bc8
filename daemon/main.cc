// SPDX-License-Identifier: GPL-2.0-only
/// ballast: read the configuration, start the frontends and backends, run maintenance each
/// second, reload the configuration on SIGHUP, stop cleanly on SIGTERM or SIGINT. The
/// services themselves are daemon::Services (services.hh); run() is the sequence.
#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "core/log.hh"
#include "daemon/console_mode.hh"
#include "daemon/options.hh"
#include "daemon/services.hh"
#include "daemon/systemd.hh"
#include "lua/config.hh"

using namespace ballast;

namespace {

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
    h.process.stream.locals.clear();
    for (const auto& l : opts.locals)
      h.process.stream.locals.push_back({core::Address::parse(l), false});
  }
  if (h.process.stream.locals.empty())
    h.process.stream.locals.push_back({core::Address::parse("127.0.0.1:53"), false});
}

void writeToStdout(std::string_view s) {
  fwrite(s.data(), 1, s.size(), stdout);
  fflush(stdout);
}

/// The configuration file, then the command line's additions; false (said on stderr) when
/// either is wrong.
bool loadConfiguration(const daemon::Options& opts, lua::LuaConfig& lua, lua::Host& host) {
  try {
    host.runtime.setInitialAcl(opts.acl);  // --acl: before the file, whose setACL replaces it
    lua.loadFile(opts.configFile);
    applyCommandLine(opts, host);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return false;
  }
  return true;
}

/// Blocks the stop and reload signals before any thread starts, so only sigwait() in
/// waitForStop() sees them.
sigset_t blockProcessSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

bool startServices(daemon::Services& services, lua::Host& host, lua::LuaConfig& lua) {
  try {
    services.start(host, lua);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ballast: {}\n", e.what());
    return false;
  }
  return true;
}

/// SIGHUP and reloadConfig(): the file again, the command line's additions after it, and
/// the process's services adopting what applies while running.
void enableReload(const daemon::Options& opts, daemon::Services& services, lua::Host& host,
                  lua::LuaConfig& lua) {
  host.runtime.registry.add("config-reloads", host.reloads,
                            "configuration reloads done (SIGHUP, reloadConfig)");
  host.runtime.registry.add("config-reload-failures", host.reloadFailures,
                            "configuration reloads refused, the running configuration kept");
  lua.setReloadSource(
      opts.configFile, [&opts](lua::Host& h) { applyCommandLine(opts, h); },
      [&services](const core::StartupConfig& startup, lua::ProcessSettings& fresh) {
        return services.adoptReload(startup, fresh);
      });
}

void announceStarted(const daemon::Options& opts, daemon::Watchdog& watchdog,
                     const daemon::Services& services, const core::Runtime& rt) {
  if (opts.supervised) {
    daemon::notifySystemd("READY=1");
    watchdog.start();
  }
  fmt::print(stderr, "ballast {} started with {} listener(s) and {} server(s)\n", BALLAST_VERSION,
             services.listenerCount(), rt.servers().size());
}

/// Waits for SIGTERM or SIGINT; SIGHUP reloads here, on this thread, while the listeners
/// keep answering.
void waitForStop(const sigset_t& signals, const daemon::Options& opts, lua::LuaConfig& lua) {
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    fmt::print(stderr, "ballast: SIGHUP received, reloading {}\n", opts.configFile);
    lua.reload();  // logs the outcome
  }
  fmt::print(stderr, "ballast: {} received, stopping\n", strsignal(sig));
  if (opts.supervised) daemon::notifySystemd("STOPPING=1");
}

int run(const daemon::Options& opts) {
  if (opts.client) return daemon::runConsoleClient(opts);
  core::verboseLogging() = opts.verbose;
  raiseDescriptorLimit();
  core::Runtime rt;
  daemon::Services services(rt, opts);
  lua::Host host{rt, services.settings(), writeToStdout};
  host.configCheck = opts.checkConfig;
  lua::LuaConfig lua(host);
  if (!loadConfiguration(opts, lua, host)) return 1;
  if (opts.checkConfig) {
    fmt::print("Configuration '{}' OK!\n", opts.configFile);
    return 0;
  }
  sigset_t signals = blockProcessSignals();
  if (!startServices(services, host, lua)) return 1;
  enableReload(opts, services, host, lua);
  daemon::Watchdog watchdog;
  announceStarted(opts, watchdog, services, rt);
  waitForStop(signals, opts, lua);
  services.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  daemon::Options opts = daemon::parseCommandLine(argc, argv);
  return run(opts);
}
