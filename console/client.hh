// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// `ballast -c`: dnsdist's console client. One command (-e), commands piped on standard
/// input (one per line), or an interactive session with line editing, history and
/// completion (libedit). Talks to ballast or to dnsdist alike.
#include <optional>
#include <string>
#include <vector>

#include "console/crypto.hh"
#include "core/address.hh"

namespace ballast::console {

/// One connection to a console server.
class ClientConnection {
 public:
  /// Connects and exchanges nonces; throws std::runtime_error with the reason.
  ClientConnection(const core::Address& server, const Key& key, int timeoutMs = 5000);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  /// Sends a command and returns the reply; throws std::runtime_error if the connection
  /// fails or the reply does not decrypt (a wrong key: the server closes the connection).
  std::string run(const std::string& command);

 private:
  void readExact(uint8_t* out, size_t n);
  int fd_ = -1;
  std::optional<Channel> channel_;
};

struct ClientOptions {
  core::Address server;
  Key key{};
  std::optional<std::string> command;    ///< -e
  std::vector<std::string> completions;  ///< function names for tab completion
  std::string historyFile;               ///< empty: no history kept
};

/// True when a reply reports a failed command (the server's replies to failures begin,
/// or end their output, with a line "Error: ...", as dnsdist's do).
bool replyFailed(const std::string& reply);

/// Runs the client; returns the process exit status (1 if a command failed or the server
/// could not be reached).
int runClient(const ClientOptions& o);

}  // namespace ballast::console
