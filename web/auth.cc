// SPDX-License-Identifier: GPL-2.0-only
#include "web/auth.hh"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>

#include <stdexcept>
#include <vector>

namespace ballast::web {

namespace {

constexpr size_t kSaltSize = 16;
constexpr size_t kHashSize = 32;
constexpr uint64_t kBlockSize = 8;  // scrypt r
constexpr uint64_t kParallel = 1;   // scrypt p
constexpr const char kPrefix[] = "$scrypt$";

struct ScryptParams {
  uint64_t n = 0, r = 0, p = 0;
  std::string salt, hash;
};

std::string scrypt(std::string_view password, std::string_view salt, const ScryptParams& p) {
  std::string out(kHashSize, '\0');
  // N * r * 128 bytes of memory; allow a little above that so any valid N we accept works.
  uint64_t maxMem = p.n * p.r * 128 * 2 + 1024 * 1024;
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), p.n, p.r,
                     p.p, maxMem, reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1)
    throw std::runtime_error("scrypt failed");
  return out;
}

/// "$scrypt$ln=10,p=1,r=8$salt$hash"
std::optional<ScryptParams> parseHash(std::string_view s) {
  if (s.substr(0, sizeof kPrefix - 1) != kPrefix) return std::nullopt;
  s.remove_prefix(sizeof kPrefix - 1);
  size_t d1 = s.find('$');
  if (d1 == std::string_view::npos) return std::nullopt;
  size_t d2 = s.find('$', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  ScryptParams p;
  std::string_view params = s.substr(0, d1);
  while (!params.empty()) {
    size_t comma = params.find(',');
    std::string_view kv = params.substr(0, comma);
    params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq + 1 >= kv.size() || kv.size() - eq > 4)
      return std::nullopt;
    uint64_t v = 0;
    for (char c : kv.substr(eq + 1)) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + uint64_t(c - '0');
    }
    std::string_view k = kv.substr(0, eq);
    if (k == "ln" && v >= 1 && v <= 16) {
      p.n = uint64_t(1) << v;
    } else if (k == "r" && v >= 1 && v <= 16) {
      p.r = v;
    } else if (k == "p" && v >= 1 && v <= 16) {
      p.p = v;
    } else {
      return std::nullopt;
    }
  }
  auto salt = base64Decode(s.substr(d1 + 1, d2 - d1 - 1));
  auto hash = base64Decode(s.substr(d2 + 1));
  if (!p.n || !p.r || !p.p || !salt || !hash || salt->empty() || hash->size() != kHashSize)
    return std::nullopt;
  p.salt = std::move(*salt);
  p.hash = std::move(*hash);
  return p;
}

}  // namespace

std::string base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  out.resize(size_t(n));
  return out;
}

std::optional<std::string> base64Decode(std::string_view in) {
  if (in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t len = size_t(n);
  for (size_t i = in.size(); i > 0 && in[i - 1] == '=' && len > 0; --i) --len;
  out.resize(len);
  return out;
}

std::string hashPassword(std::string_view password, uint64_t workFactor) {
  if (workFactor < 2 || workFactor > (uint64_t(1) << 16) || (workFactor & (workFactor - 1)) != 0)
    throw std::invalid_argument("the work factor must be a power of two from 2 to 65536");
  int ln = 0;
  while ((uint64_t(1) << ln) < workFactor) ++ln;
  std::string salt(kSaltSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), int(salt.size())) != 1)
    throw std::runtime_error("no random bytes for the salt");
  ScryptParams p{workFactor, kBlockSize, kParallel, {}, {}};
  return std::string(kPrefix) + "ln=" + std::to_string(ln) + ",p=" + std::to_string(kParallel) +
         ",r=" + std::to_string(kBlockSize) + "$" + base64Encode(salt) + "$" +
         base64Encode(scrypt(password, salt, p));
}

bool isHashedPassword(std::string_view text) {
  return parseHash(text).has_value();
}

Credential Credential::fromConfig(std::string_view text, bool hashPlaintext) {
  Credential c;
  if (text.empty()) return c;
  if (isHashedPassword(text)) {
    c.stored_ = text;
    c.hashed_ = true;
  } else if (hashPlaintext) {
    c.stored_ = hashPassword(text);
    c.hashed_ = true;
  } else {
    c.stored_ = text;
  }
  return c;
}

bool Credential::matches(std::string_view offered) const {
  if (stored_.empty()) return false;
  if (!hashed_) {
    // Compare over the stored length whatever was offered, so timing tells nothing.
    std::string padded(offered.substr(0, stored_.size()));
    padded.resize(stored_.size(), '\0');
    bool same = CRYPTO_memcmp(padded.data(), stored_.data(), stored_.size()) == 0;
    return same && offered.size() == stored_.size();
  }
  auto p = parseHash(stored_);
  if (!p) return false;
  std::string h = scrypt(offered, p->salt, *p);
  return CRYPTO_memcmp(h.data(), p->hash.data(), kHashSize) == 0;
}

std::optional<std::string> basicAuthPassword(std::string_view header) {
  constexpr std::string_view kBasic = "Basic ";
  if (header.size() <= kBasic.size()) return std::nullopt;
  for (size_t i = 0; i < kBasic.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kBasic[i])))
      return std::nullopt;
  header.remove_prefix(kBasic.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  auto decoded = base64Decode(header);
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return decoded->substr(colon + 1);
}

}  // namespace ballast::web
