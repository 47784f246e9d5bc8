// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/console_mode.hh"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "console/client.hh"
#include "web/service.hh"

namespace ballast::daemon {

/// `ballast -c`: the address and key from the command line, else from the configuration.
int runConsoleClient(const Options& opts) {
  core::Runtime rt;
  lua::Host host{rt, [](std::string_view) {}};
  lua::LuaConfig lua(host);
  // webserver() and setWebserverConfig() fill this one and it never starts, so that a
  // configuration with a web server also gives the client its console address and key.
  web::Service scratchWeb(rt, BALLAST_VERSION);
  host.web = &scratchWeb;
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
std::unique_ptr<console::ConsoleServer> startConsole(const Options& opts, lua::Host& host,
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

}  // namespace ballast::daemon
