// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Sizes a socket's kernel buffers for bursts.
#include <cstddef>
#include <string>

namespace ballast::core {

/// Asks for `recv`/`send` bytes (0 leaves a size alone). As root the request may exceed
/// net.core.[rw]mem_max (SO_RCVBUFFORCE); otherwise the kernel caps it, and a warning names
/// `what` and the size obtained.
void setSocketBuffers(int fd, size_t recv, size_t send, const std::string& what);

}  // namespace ballast::core
