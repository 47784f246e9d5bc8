// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The server side of one console connection, without sockets: bytes in, bytes out. The
/// peer's nonce first, then encrypted commands, each answered by one encrypted reply. Any
/// message that does not decrypt (wrong key, altered, replayed, garbage) or is too large
/// ends the session before anything runs.
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "console/crypto.hh"
#include "console/framing.hh"

namespace ballast::console {

/// Runs one command; returns the text to send back. `failed` tells the caller (for logs
/// and counters) that the command raised an error.
using Executor = std::function<std::string(const std::string& command, bool& failed)>;

class ServerSession {
 public:
  ServerSession(const Key& key, const Nonce& ours, size_t maxCommand, Executor exec)
      : key_(key), ours_(ours), reader_(maxCommand), exec_(std::move(exec)) {}

  /// Handles received bytes and appends what must be sent to `out` (our nonce once the
  /// peer's has arrived, then the replies). False: close the connection (see error()).
  bool feed(std::span<const uint8_t> in, std::string& out);
  const std::string& error() const { return error_; }
  size_t commands() const { return commands_; }

 private:
  Key key_;
  Nonce ours_;
  FrameReader reader_;
  Executor exec_;
  std::optional<Channel> channel_;
  std::string plain_;
  std::string error_;
  size_t commands_ = 0;
};

}  // namespace ballast::console
