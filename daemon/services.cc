// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/services.hh"

#include <fmt/format.h>

#include <stdexcept>

#include "core/cache_tier.hh"
#include "core/delay_queue.hh"
#include "daemon/drain.hh"

namespace ballast::daemon {

namespace {

/// How long a stop waits for queries already taken before stopping the backends.
constexpr std::chrono::milliseconds kDrainTimeout{3000};

/// The console's commands run in the configuration's shared Lua state.
class LuaCommands final : public console::CommandRunner {
 public:
  explicit LuaCommands(lua::LuaConfig& lua) : lua_(lua) {}
  Reply run(const std::string& line, size_t maxOutput) override {
    auto reply = lua_.runConsoleCommand(line, maxOutput);
    return {std::move(reply.text), reply.failed};
  }

 private:
  lua::LuaConfig& lua_;
};

}  // namespace

Services::Services(core::Runtime& rt, const Options& opts)
    : rt_(rt),
      opts_(opts),
      web_(rt, BALLAST_VERSION, settings_.web, settings_.stream),
      listeners_(rt, settings_.stream) {}

Services::~Services() {
  settings_.tcpConnectionsPerThread = nullptr;
}

void Services::start(lua::Host& host, lua::LuaConfig& lua) {
  startServersAndListeners(host);
  try {
    startOperations(lua);
  } catch (...) {
    stopOperations();
    listeners_.stopAccepting();
    listeners_.stopWorkers();
    rt_.stopServers();
    settings_.tcpConnectionsPerThread = nullptr;
    throw;
  }
  if (settings_.supervision) startSupervisor();
  for (auto& f : settings_.afterStart) f();
}

void Services::startServersAndListeners(lua::Host& host) {
  listeners_.bind();
  host.configuring = false;
  rt_.startServers();
  listeners_.start(opts_.verbose);
  settings_.tcpConnectionsPerThread = [this] { return listeners_.connectionsPerThread(); };
}

void Services::startOperations(lua::LuaConfig& lua) {
  // Made after the servers' start so that it outlives rt.stopServers() in stop(): a
  // responder may hand it a check's answer until then.
  checker_ = std::make_unique<backends::health::HealthChecker>(rt_);
  checker_->start();
  maintenance_ = std::make_unique<Maintenance>(rt_, lua);
  maintenance_->start();
  startConsole(lua);
  web_.start();
}

/// The control socket, if the configuration asked for one and a key is set (the file's,
/// else -k's).
void Services::startConsole(lua::LuaConfig& lua) {
  auto& cs = settings_.console;
  if (!cs.address) return;
  std::string key;
  {
    std::lock_guard lock(cs.mutex);
    if (cs.key.empty()) cs.key = opts_.clientKey;
    key = cs.key;
  }
  auto parsed = console::parseKey(key);
  if (!parsed) {
    fmt::print(
        stderr, "ballast: not starting the console on {}: {} (makeKey() prints one for setKey())\n",
        *cs.address,
        key.empty() ? "no key set with setKey() or -k" : "the -k key is not 32 bytes of base64");
    return;
  }
  commands_ = std::make_unique<LuaCommands>(lua);
  console_ = std::make_unique<console::ConsoleServer>(core::Address::parse(*cs.address, 5199),
                                                      *parsed, cs, *commands_);
  console_->stats.registerIn(rt_.registry);
  console_->start();
  fmt::print(stderr, "Accepting control connections on {}\n",
             console_->address().toStringWithPort());
}

/// The one supervisor of the embedded resolvers' instances (those the runtime lists).
void Services::startSupervisor() {
  supervisor_ = std::make_shared<backends::resolver::Supervisor>(rt_);
  supervisor_->settings() = *settings_.supervision;
  supervisor_->start();
}

void Services::stopOperations() {
  if (console_) console_->stop();
  web_.stop();
  if (maintenance_) maintenance_->stop();
  if (checker_) checker_->stop();
}

void Services::stop() {
  // Stop accepting first, then let the queries already taken finish (bounded), so a
  // restart loses none of them; only then stop the workers and the backends.
  listeners_.stopAccepting();
  // Queries waiting for a shared cache tier go on to their pools now, drained next.
  for (const auto& cache : rt_.caches())
    if (core::CacheTier* tier = cache->tier()) tier->stop();
  drainBackends(rt_, kDrainTimeout);
  stopOperations();
  listeners_.stopWorkers();  // alive until the backends stop handing them answers
  if (supervisor_) supervisor_->stop();
  rt_.stopServers();
  core::delayQueue().stop();  // answers held back by DelayAction go out now, sockets still open
  for (auto& f : settings_.afterStop) f();
  settings_.tcpConnectionsPerThread = nullptr;
}

std::vector<std::string> Services::adoptReload(const core::StartupConfig& startup,
                                               lua::ProcessSettings& fresh) {
  auto restartOnly = listeners_.restartNeeded(startup, fresh.stream);
  if (settings_.console.address != fresh.console.address) restartOnly.push_back("controlSocket");
  if (settings_.web.listenAddress() != fresh.web.listenAddress())
    restartOnly.push_back("webserver address");
  // The supervisor watches whatever instances the runtime lists, so the running one goes
  // on; a file that brings the first resolvers brings the first supervisor, started here.
  if (fresh.supervision) {
    if (!supervisor_) {
      settings_.supervision = fresh.supervision;
      startSupervisor();
    } else if (!(*fresh.supervision == supervisor_->settings())) {
      restartOnly.push_back("setResolverSupervision");
    }
  }
  settings_.console.adoptRuntimeFields(fresh.console);
  settings_.web.adoptRuntimeFields(fresh.web);
  return restartOnly;
}

}  // namespace ballast::daemon
