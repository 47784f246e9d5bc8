// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What the configuration says about the control console (controlSocket, setKey,
/// setConsoleACL...): console/'s configuration interface. Filled by lua/bind_console.cc,
/// owned by the daemon, read by ConsoleServer at start-up and by its threads while running
/// (the ACL and limits can change from the console itself). No implementation behind the
/// structure; the two key helpers are in settings.cc.
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "core/netmask.hh"

namespace ballast::console {

struct Settings {
  Settings() {
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

  /// What a reload's run of the file says and applies while running: the key, ACL and
  /// limits (the address stays as started).
  void adoptRuntimeFields(const Settings& fresh);
};

/// True when `base64` is a console key (32 bytes of base64), as setKey() requires.
bool isValidKey(const std::string& base64);
/// A new random key in base64 (makeKey()).
std::string newKey();
/// testCrypto(): `message` sealed and opened with the console's framing under `key`, twice
/// (the second time with the nonces moved on); dnsdist's report: "Everything is ok!\n" or
/// "Crypto failed...".
std::string testCrypto(const std::string& key, const std::string& message);

}  // namespace ballast::console
