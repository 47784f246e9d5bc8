// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What the Lua bindings act on: the runtime, where output goes, and whether the process is
/// still reading its configuration (some functions only make sense before start-up).
#include <functional>
#include <string>
#include <string_view>

#include "core/runtime.hh"

namespace ballast::lua {

struct Host {
  core::Runtime& runtime;
  /// Where show*() and print() write: stdout for the configuration, the connection for
  /// the console.
  std::function<void(std::string_view)> out;
  bool configuring = true;  ///< false once frontends and servers have started
};

}  // namespace ballast::lua
