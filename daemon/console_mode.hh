// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The daemon's two console roles: `ballast -c` (the client, keyed from the command line or
/// the configuration) and the control socket started after the frontends.
#include <memory>

#include "console/server.hh"
#include "daemon/options.hh"
#include "lua/config.hh"

namespace ballast::daemon {

/// `ballast -c`: returns the exit status.
int runConsoleClient(const Options& opts);

/// Starts the control socket if the configuration asked for one; null when it did not, or
/// when no key is set (said on stderr). Throws std::runtime_error if it cannot bind.
std::unique_ptr<console::ConsoleServer> startConsole(const Options& opts, lua::Host& host,
                                                     lua::LuaConfig& lua);

}  // namespace ballast::daemon
