// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// How the console server runs what an operator typed: an interface declared here and
/// implemented by whoever owns the configuration language (the daemon wires lua::LuaConfig
/// to it), so console/ depends on no interpreter.
#include <cstddef>
#include <string>

namespace ballast::console {

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  struct Reply {
    std::string text;     ///< what the command printed and returned
    bool failed = false;  ///< it raised an error (counted, and the client exits 1)
  };
  /// Runs one command; its reply is cut at `maxOutput` bytes.
  virtual Reply run(const std::string& line, size_t maxOutput) = 0;
};

}  // namespace ballast::console
