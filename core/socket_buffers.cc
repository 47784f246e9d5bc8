// SPDX-License-Identifier: GPL-2.0-only
#include "core/socket_buffers.hh"

#include <sys/socket.h>

#include "core/log.hh"

namespace ballast::core {

namespace {

void setOne(int fd, size_t want, int forceOpt, int opt, const char* name, const std::string& what) {
  if (want == 0) return;
  int v = want > size_t(1 << 30) ? (1 << 30) : int(want);
  if (setsockopt(fd, SOL_SOCKET, forceOpt, &v, sizeof(v)) != 0)
    setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
  int got = 0;
  socklen_t len = sizeof(got);
  // Linux reports twice the usable size it reserved.
  if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) == 0 && size_t(got) / 2 < want)
    warnLog("{}: asked for a {} of {} bytes, the kernel gave {} (raise net.core.{})", what, name,
            want, got / 2, opt == SO_RCVBUF ? "rmem_max" : "wmem_max");
}

}  // namespace

void setSocketBuffers(int fd, size_t recv, size_t send, const std::string& what) {
  setOne(fd, recv, SO_RCVBUFFORCE, SO_RCVBUF, "receive buffer", what);
  setOne(fd, send, SO_SNDBUFFORCE, SO_SNDBUF, "send buffer", what);
}

}  // namespace ballast::core
