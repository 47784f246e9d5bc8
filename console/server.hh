// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The control socket: one acceptor thread, one thread per connection (each blocked on its
/// socket or on the Lua lock while a command runs). Connections are checked against the
/// console ACL and the concurrency limit before a byte is read. stop() wakes and joins
/// every thread.
#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "console/commands.hh"
#include "console/crypto.hh"
#include "console/session.hh"
#include "console/settings.hh"
#include "core/address.hh"
#include "metrics/counter.hh"
#include "metrics/registry.hh"

namespace ballast::console {

struct ConsoleStats {
  metrics::Counter connections;    ///< accepted and handed a session
  metrics::Counter refusedAcl;     ///< closed at once: source not in the console ACL
  metrics::Counter refusedLimit;   ///< closed at once: too many concurrent connections
  metrics::Counter badMessages;    ///< closed: a message did not decrypt or was too large
  metrics::Counter commands;       ///< run
  metrics::Counter commandErrors;  ///< run and failed
  void registerIn(metrics::Registry& r) const;
};

/// Largest command accepted from a client, in bytes (the reply limit is a setting).
constexpr size_t kMaxCommandSize = 1 << 20;
/// A client must send its nonce within this time.
constexpr int kHandshakeTimeoutMs = 5000;
/// A reply not taken by the client within this time ends the connection.
constexpr int kSendTimeoutSec = 10;

class ConsoleServer {
 public:
  /// Binds `address` at once (throws std::runtime_error with the reason). `key` serves
  /// until settings.key holds another valid key (setKey() at run time). Commands go to
  /// `commands`, their replies cut at settings.outputMaxSize.
  ConsoleServer(const core::Address& address, const Key& key, const Settings& settings,
                CommandRunner& commands);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  void start();
  void stop();
  const core::Address& address() const { return address_; }
  ConsoleStats stats;

 private:
  struct Connection {
    int fd;
    core::Address peer;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void acceptLoop();
  void serve(Connection& c);
  void reapFinished();
  bool sendAll(int fd, const std::string& data);

  core::Address address_;
  Key key_;
  const Settings& settings_;
  CommandRunner& commands_;
  int listenFd_ = -1;
  int stopFd_ = -1;  // eventfd: readable once stop() was called
  std::thread acceptor_;
  std::mutex mutex_;  // guards connections_
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace ballast::console
