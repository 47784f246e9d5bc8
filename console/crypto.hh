// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// dnsdist's console crypto: libsodium crypto_secretbox under a shared 32-byte key. Each
/// side sends a random 24-byte nonce when the connection opens; each direction's nonce is
/// the first half of the receiver's and the second half of the sender's, and its first four
/// bytes (big-endian) count the messages. Reusing a nonce with a key breaks secretbox, so a
/// Channel moves its nonces forward on every message and never goes back.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ballast::console {

constexpr size_t kKeySize = 32;
constexpr size_t kNonceSize = 24;
constexpr size_t kMacSize = 16;

using Key = std::array<uint8_t, kKeySize>;
using Nonce = std::array<uint8_t, kNonceSize>;

/// Initialises libsodium (idempotent); throws if it cannot.
void initSodium();
/// The key in `base64`, or nullopt if it is not base64 of exactly 32 bytes.
std::optional<Key> parseKey(std::string_view base64);
/// A new random key, base64.
std::string makeKey();
Nonce randomNonce();
/// First half from `low`, second half from `high`.
Nonce mergeNonce(const Nonce& low, const Nonce& high);
/// Adds one to the big-endian counter in the first four bytes.
void incrementNonce(Nonce& n);

/// One connection's two directions, from one side's point of view.
class Channel {
 public:
  Channel(const Key& key, const Nonce& ours, const Nonce& theirs)
      : key_(key), reading_(mergeNonce(ours, theirs)), writing_(mergeNonce(theirs, ours)) {}

  /// Encrypts the next outgoing message: 4-byte big-endian length, then the ciphertext.
  std::string seal(std::string_view plain);
  /// Decrypts the next incoming ciphertext (without its length) into `plain`. False when it
  /// does not verify (wrong key, altered, replayed or out of order): the reading nonce
  /// then stays where it was, and the caller must drop the connection.
  bool open(std::span<const uint8_t> cipher, std::string& plain);

 private:
  Key key_;
  Nonce reading_;
  Nonce writing_;
};

}  // namespace ballast::console
