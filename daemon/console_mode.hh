// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// `ballast -c`: the console client, keyed from the command line or the configuration. (The
/// control socket itself is one of the daemon's services: daemon/services.cc.)
#include "daemon/options.hh"

namespace ballast::daemon {

/// `ballast -c`: returns the exit status.
int runConsoleClient(const Options& opts);

}  // namespace ballast::daemon
