// SPDX-License-Identifier: GPL-2.0-only
#include "lua/ipcipher.hh"

#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace ballast::lua {

namespace {

uint8_t rotl(uint8_t b, int r) {
  return uint8_t((b << r) | (b >> (8 - r)));
}
uint8_t rotr(uint8_t b, int r) {
  return uint8_t((b >> r) | (b << (8 - r)));
}

void permuteForward(uint8_t* s) {
  s[0] = uint8_t(s[0] + s[1]);
  s[2] = uint8_t(s[2] + s[3]);
  s[1] = rotl(s[1], 2);
  s[3] = rotl(s[3], 5);
  s[1] ^= s[0];
  s[3] ^= s[2];
  s[0] = rotl(s[0], 4);
  s[0] = uint8_t(s[0] + s[3]);
  s[2] = uint8_t(s[2] + s[1]);
  s[1] = rotl(s[1], 3);
  s[3] = rotl(s[3], 7);
  s[1] ^= s[2];
  s[3] ^= s[0];
  s[2] = rotl(s[2], 4);
}

void permuteBackward(uint8_t* s) {
  s[2] = rotr(s[2], 4);
  s[1] ^= s[2];
  s[3] ^= s[0];
  s[1] = rotr(s[1], 3);
  s[3] = rotr(s[3], 7);
  s[0] = uint8_t(s[0] - s[3]);
  s[2] = uint8_t(s[2] - s[1]);
  s[0] = rotr(s[0], 4);
  s[1] ^= s[0];
  s[3] ^= s[2];
  s[1] = rotr(s[1], 2);
  s[3] = rotr(s[3], 5);
  s[0] = uint8_t(s[0] - s[1]);
  s[2] = uint8_t(s[2] - s[3]);
}

void xorKey(uint8_t* s, const uint8_t* k) {
  for (int i = 0; i < 4; ++i) s[i] ^= k[i];
}

void crypt4(uint8_t* s, const uint8_t* key, bool encrypt) {
  if (encrypt) {
    for (int r = 0; r < 3; ++r) {
      xorKey(s, key + 4 * r);
      permuteForward(s);
    }
    xorKey(s, key + 12);
  } else {
    xorKey(s, key + 12);
    for (int r = 2; r >= 0; --r) {
      permuteBackward(s);
      xorKey(s, key + 4 * r);
    }
  }
}

void crypt6(uint8_t* block, const uint8_t* key, bool encrypt) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  uint8_t out[32];
  int len = 0;
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, key, nullptr, encrypt) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out, &len, block, 16) != 1 || len != 16)
    throw std::runtime_error("AES-128 failed");
  std::memcpy(block, out, 16);
}

core::Address crypt(const core::Address& a, std::string_view key, bool encrypt) {
  if (key.size() != 16) throw std::invalid_argument("the key must have 16 bytes (128 bits)");
  core::Address out = a;
  auto* bytes = const_cast<uint8_t*>(out.bytes());
  const auto* k = reinterpret_cast<const uint8_t*>(key.data());
  if (out.isV4())
    crypt4(bytes, k, encrypt);
  else
    crypt6(bytes, k, encrypt);
  return out;
}

}  // namespace

std::string makeIPCipherKey(std::string_view password) {
  static constexpr char kSalt[] = "ipcipheripcipher";
  unsigned char out[16];
  if (PKCS5_PBKDF2_HMAC_SHA1(password.data(), int(password.size()),
                             reinterpret_cast<const unsigned char*>(kSalt), sizeof(kSalt) - 1,
                             50000, sizeof(out), out) != 1)
    throw std::runtime_error("deriving the key failed");
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

core::Address ipEncrypt(const core::Address& a, std::string_view key) {
  return crypt(a, key, true);
}
core::Address ipDecrypt(const core::Address& a, std::string_view key) {
  return crypt(a, key, false);
}

}  // namespace ballast::lua
