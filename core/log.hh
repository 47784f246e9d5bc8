// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Logging to stderr (the supervisor's journal). Info lines only with -v.
#include <fmt/format.h>

#include <atomic>
#include <cstdio>

namespace ballast::core {

inline std::atomic<bool>& verboseLogging() {
  static std::atomic<bool> verbose{false};
  return verbose;
}

/// setVerboseHealthChecks: every failed health check is logged, not only state changes.
inline std::atomic<bool>& verboseHealthChecks() {
  static std::atomic<bool> verbose{false};
  return verbose;
}

template <typename... Args>
void warnLog(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "{}\n", fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
void infoLog(fmt::format_string<Args...> f, Args&&... args) {
  if (verboseLogging().load(std::memory_order_relaxed))
    fmt::print(stderr, "{}\n", fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ballast::core
