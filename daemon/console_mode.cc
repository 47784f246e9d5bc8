// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/console_mode.hh"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "console/client.hh"
#include "lua/config.hh"

namespace ballast::daemon {

/// `ballast -c`: the address and key from the command line, else from the configuration.
int runConsoleClient(const Options& opts) {
  core::Runtime rt;
  lua::ProcessSettings process;  // read for the console's address and key; nothing starts
  lua::Host host{rt, process, [](std::string_view) {}};
  host.clientStartup = true;
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
  std::string address = opts.clientAddress.empty()
                            ? process.console.address.value_or("127.0.0.1:5199")
                            : opts.clientAddress;
  std::string key = opts.clientKey.empty() ? process.console.key : opts.clientKey;
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

}  // namespace ballast::daemon
