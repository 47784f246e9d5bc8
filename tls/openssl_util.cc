// SPDX-License-Identifier: GPL-2.0-only
#include "tls/openssl_util.hh"

#include <fmt/format.h>
#include <openssl/err.h>

#include <stdexcept>

namespace ballast::tls {

std::string lastError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

int protocolVersion(const std::string& v) {
  if (v == "tls1.0") return TLS1_VERSION;
  if (v == "tls1.1") return TLS1_1_VERSION;
  if (v == "tls1.2") return TLS1_2_VERSION;
  if (v == "tls1.3") return TLS1_3_VERSION;
  throw std::runtime_error(
      fmt::format("unknown minTLSVersion '{}' (tls1.0, tls1.1, tls1.2, tls1.3)", v));
}

void setCiphers(SSL_CTX* ctx, const std::string& ciphers, const std::string& ciphersTLS13) {
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1)
    throw std::runtime_error(fmt::format("invalid ciphers '{}': {}", ciphers, lastError()));
  if (!ciphersTLS13.empty() && SSL_CTX_set_ciphersuites(ctx, ciphersTLS13.c_str()) != 1)
    throw std::runtime_error(
        fmt::format("invalid ciphersTLS13 '{}': {}", ciphersTLS13, lastError()));
}

}  // namespace ballast::tls
