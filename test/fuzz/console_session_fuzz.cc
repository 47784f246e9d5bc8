// SPDX-License-Identifier: GPL-2.0-only
// Fuzzes the console server's handling of untrusted bytes: the client's nonce, the length
// framing and the decryption of each message (ServerSession, no sockets). The key and the
// server's nonce are fixed so that seeds made by make_console_corpus.py decrypt and reach
// the executor; everything else must be refused without running anything.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "console/crypto.hh"
#include "console/session.hh"

using namespace ballast::console;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Key key = [] {
    Key k;
    k.fill(0x42);
    return k;
  }();
  Nonce serverNonce;
  serverNonce.fill(0x11);
  size_t ran = 0;
  ServerSession session(key, serverNonce, 4096, [&](const std::string& command, bool& failed) {
    ++ran;
    failed = command.empty();
    return "reply to " + command;
  });
  // The first byte picks the read size, so frames split across reads are covered too.
  if (size == 0) return 0;
  size_t chunk = size_t(data[0] % 64) + 1;
  std::string out;
  for (size_t pos = 1; pos < size; pos += chunk) {
    size_t n = std::min(chunk, size - pos);
    if (!session.feed(std::span<const uint8_t>(data + pos, n), out)) {
      if (session.error().empty()) std::abort();  // a refusal always says why
      break;
    }
  }
  if (ran != session.commands()) std::abort();
  return 0;
}
