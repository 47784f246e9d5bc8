// SPDX-License-Identifier: GPL-2.0-only
#include "console/crypto.hh"

#include <sodium.h>

#include <stdexcept>

namespace ballast::console {

void initSodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
}

std::optional<Key> parseKey(std::string_view base64) {
  initSodium();
  Key key{};
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(key.data(), key.size(), base64.data(), base64.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  if (len != kKeySize || end != base64.data() + base64.size()) return std::nullopt;
  return key;
}

std::string makeKey() {
  initSodium();
  Key key;
  randombytes_buf(key.data(), key.size());
  std::string out(sodium_base64_ENCODED_LEN(kKeySize, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  sodium_memzero(key.data(), key.size());
  return out;
}

Nonce randomNonce() {
  initSodium();
  Nonce n;
  randombytes_buf(n.data(), n.size());
  return n;
}

Nonce mergeNonce(const Nonce& low, const Nonce& high) {
  Nonce n;
  constexpr size_t half = kNonceSize / 2;
  std::copy(low.begin(), low.begin() + half, n.begin());
  std::copy(high.begin() + half, high.end(), n.begin() + half);
  return n;
}

void incrementNonce(Nonce& n) {
  uint32_t count = (uint32_t(n[0]) << 24) | (uint32_t(n[1]) << 16) | (uint32_t(n[2]) << 8) | n[3];
  ++count;
  n[0] = uint8_t(count >> 24);
  n[1] = uint8_t(count >> 16);
  n[2] = uint8_t(count >> 8);
  n[3] = uint8_t(count);
}

std::string Channel::seal(std::string_view plain) {
  size_t cipherLen = plain.size() + kMacSize;
  std::string out(4 + cipherLen, '\0');
  out[0] = char(cipherLen >> 24);
  out[1] = char(cipherLen >> 16);
  out[2] = char(cipherLen >> 8);
  out[3] = char(cipherLen);
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(out.data() + 4),
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                        writing_.data(), key_.data());
  incrementNonce(writing_);
  return out;
}

bool Channel::open(std::span<const uint8_t> cipher, std::string& plain) {
  if (cipher.size() < kMacSize) return false;
  plain.resize(cipher.size() - kMacSize);
  // An empty message still has its tag; hand libsodium a valid pointer either way.
  unsigned char spare = 0;
  unsigned char* dst = plain.empty() ? &spare : reinterpret_cast<unsigned char*>(plain.data());
  if (crypto_secretbox_open_easy(dst, cipher.data(), cipher.size(), reading_.data(), key_.data()) !=
      0) {
    plain.clear();
    return false;
  }
  incrementNonce(reading_);
  return true;
}

}  // namespace ballast::console
