// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Graceful shutdown: once the listeners have stopped, wait for the queries the backends
/// still hold to be answered, up to a bound.
#include <chrono>

#include "core/runtime.hh"

namespace ballast::daemon {

/// Polls every backend's outstanding() until all are zero or `bound` has passed. Returns the
/// number still outstanding at the end (0: everything taken was answered), and logs it.
uint64_t drainBackends(core::Runtime& rt, std::chrono::milliseconds bound);

}  // namespace ballast::daemon
