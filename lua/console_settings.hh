// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What the configuration says about the control console (controlSocket, setKey,
/// setConsoleACL...). Written by lua/bind_console.cc, read by console/ at start-up and by
/// its threads while running (ACL and limits can change from the console itself).
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "core/netmask.hh"

namespace ballast::lua {

struct ConsoleSettings {
  ConsoleSettings() {
    acl.add("127.0.0.0/8");
    acl.add("::1/128");
  }

  std::optional<std::string> address;  ///< controlSocket(); none: no console
  std::string key;                     ///< setKey(), base64 of 32 bytes; empty: none

  mutable std::mutex mutex;  ///< guards the fields below, read by the console's threads
  core::NetmaskGroup acl;    ///< who may connect; dnsdist's default is loopback only
  bool logConnections = true;
  size_t maxConnections = 0;        ///< concurrent; 0 means no limit (dnsdist's default)
  size_t outputMaxSize = 10000000;  ///< bytes of one reply (dnsdist's default)
};

}  // namespace ballast::lua
