// SPDX-License-Identifier: GPL-2.0-only
#include "console/server.hh"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/log.hh"

namespace ballast::console {

void ConsoleStats::registerIn(metrics::Registry& r) const {
  r.add("console-connections", connections, "Number of console connections accepted");
  r.add("console-refused-acl", refusedAcl,
        "Number of console connections refused by the console ACL");
  r.add("console-refused-limit", refusedLimit,
        "Number of console connections refused by setConsoleMaximumConcurrentConnections");
  r.add("console-bad-messages", badMessages,
        "Number of console connections closed on a message that did not decrypt or was too large");
  r.add("console-commands", commands, "Number of console commands run");
  r.add("console-command-errors", commandErrors, "Number of console commands that failed");
}

ConsoleServer::ConsoleServer(const core::Address& address, const Key& key, const Settings& settings,
                             CommandRunner& commands)
    : address_(address), key_(key), settings_(settings), commands_(commands) {
  initSodium();
  listenFd_ = socket(address.sockaddr_()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) throw std::runtime_error(std::string("console socket: ") + strerror(errno));
  int one = 1;
  setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listenFd_, address.sockaddr_(), address.length()) != 0 || listen(listenFd_, 16) != 0) {
    int err = errno;
    close(listenFd_);
    throw std::runtime_error("cannot listen for console connections on " +
                             address.toStringWithPort() + ": " + strerror(err));
  }
  // The port may have been 0: report the one the kernel chose.
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(listenFd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    address_ = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stopFd_ < 0) {
    close(listenFd_);
    throw std::runtime_error(std::string("console eventfd: ") + strerror(errno));
  }
}

ConsoleServer::~ConsoleServer() {
  stop();
  close(listenFd_);
  close(stopFd_);
}

void ConsoleServer::start() {
  acceptor_ = std::thread([this] { acceptLoop(); });
}

void ConsoleServer::stop() {
  uint64_t one = 1;
  if (write(stopFd_, &one, sizeof(one)) < 0) { /* already signalled: the counter is full */
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lock(mutex_);
  for (auto& c : connections_)
    if (c->thread.joinable()) c->thread.join();
  connections_.clear();
}

void ConsoleServer::reapFinished() {
  std::lock_guard lock(mutex_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void ConsoleServer::acceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listenFd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    if (poll(fds, 2, 1000) < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    reapFinished();
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = accept4(listenFd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto peer = core::Address::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    bool allowed, logging;
    size_t limit;
    {
      std::lock_guard lock(settings_.mutex);
      allowed = settings_.acl.match(peer);
      logging = settings_.logConnections;
      limit = settings_.maxConnections;
    }
    if (!allowed) {
      stats.refusedAcl.inc();
      core::warnLog("Console connection from {} dropped because of the console ACL",
                    peer.toStringWithPort());
      close(fd);
      continue;
    }
    std::lock_guard lock(mutex_);
    if (limit != 0 && connections_.size() >= limit) {
      stats.refusedLimit.inc();
      core::warnLog("Console connection from {} dropped: {} connections already open",
                    peer.toStringWithPort(), connections_.size());
      close(fd);
      continue;
    }
    // A client that stops reading cannot hold its thread (and stop()) for ever.
    timeval sendTimeout{kSendTimeoutSec, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, sizeof(sendTimeout));
    stats.connections.inc();
    if (logging) core::warnLog("Got control connection from {}", peer.toStringWithPort());
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->peer = peer;
    Connection& ref = *c;
    connections_.push_back(std::move(c));
    ref.thread = std::thread([this, &ref] {
      serve(ref);
      close(ref.fd);
      ref.done = true;
    });
  }
}

bool ConsoleServer::sendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += size_t(n);
  }
  return true;
}

void ConsoleServer::serve(Connection& c) {
  Executor counted = [this](const std::string& command, bool& failed) {
    size_t maxOutput;
    {
      std::lock_guard lock(settings_.mutex);
      maxOutput = settings_.outputMaxSize;
    }
    auto reply = commands_.run(command, maxOutput);
    failed = reply.failed;
    stats.commands.inc();
    if (failed) stats.commandErrors.inc();
    return std::move(reply.text);
  };
  // setKey() from the console applies to the connections opened after it.
  Key key = key_;
  {
    std::lock_guard lock(settings_.mutex);
    if (auto k = parseKey(settings_.key)) key = *k;
  }
  ServerSession session(key, randomNonce(), kMaxCommandSize, counted);
  std::vector<uint8_t> buf(65536);
  std::string out;
  bool handshaken = false;
  std::string reason = "closed by the client";
  for (;;) {
    pollfd fds[2] = {{c.fd, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    int r = poll(fds, 2, handshaken ? -1 : kHandshakeTimeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      reason = "no nonce received in time";
      stats.badMessages.inc();
      break;
    }
    if (r < 0 || fds[1].revents) {
      reason = "console stopping";
      break;
    }
    ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.clear();
    bool ok = session.feed(std::span<const uint8_t>(buf.data(), size_t(n)), out);
    if (!out.empty() && !sendAll(c.fd, out)) {
      reason = "send failed";
      break;
    }
    handshaken = handshaken || !out.empty();
    if (!ok) {
      reason = session.error();
      stats.badMessages.inc();
      core::warnLog("Console connection from {} closed: {}", c.peer.toStringWithPort(), reason);
      return;
    }
  }
  bool logging;
  {
    std::lock_guard lock(settings_.mutex);
    logging = settings_.logConnections;
  }
  if (logging)
    core::warnLog("Console connection from {} closed: {}", c.peer.toStringWithPort(), reason);
}

}  // namespace ballast::console
