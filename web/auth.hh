// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Web credentials: passwords and API keys hashed with scrypt in dnsdist's format
/// ("$scrypt$ln=10,p=1,r=8$<base64 salt>$<base64 hash>"), checked in constant time.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ballast::web {

/// scrypt of `password` with a fresh random 16-byte salt; workFactor is scrypt's N (a
/// power of two up to 65536, dnsdist's default 1024; memory use is N * 1 KB). Throws
/// std::invalid_argument on a bad factor.
std::string hashPassword(std::string_view password, uint64_t workFactor = 1024);

/// True if `text` looks like a hash hashPassword() makes.
bool isHashedPassword(std::string_view text);

/// A stored credential: either a hash or, when hashing was turned off, the plain text.
class Credential {
 public:
  Credential() = default;
  /// Takes a hash as is; hashes a plain text unless `hashPlaintext` is false.
  static Credential fromConfig(std::string_view text, bool hashPlaintext);
  bool empty() const { return stored_.empty(); }
  bool hashed() const { return hashed_; }
  /// Constant-time comparison (CRYPTO_memcmp) of the offered secret with the stored one.
  bool matches(std::string_view offered) const;

 private:
  std::string stored_;
  bool hashed_ = false;
};

std::string base64Encode(std::string_view in);
std::optional<std::string> base64Decode(std::string_view in);

/// The password of an "Authorization: Basic ..." header (any user name, as dnsdist).
std::optional<std::string> basicAuthPassword(std::string_view header);

}  // namespace ballast::web
