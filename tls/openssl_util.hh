// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// OpenSSL pieces both sides use: the server contexts of the frontends (addTLSLocal,
/// addDOHLocal) and the client contexts of encrypted backends (newServer{tls=...}).
#include <openssl/ssl.h>

#include <string>

namespace ballast::tls {

/// The oldest error on this thread's OpenSSL queue as text, the queue cleared.
std::string lastError();

/// The protocol version for dnsdist's names ("tls1.0" .. "tls1.3"); throws
/// std::runtime_error naming the accepted ones.
int protocolVersion(const std::string& name);

/// Applies `ciphers` (TLS <= 1.2) and `ciphersTLS13` when not empty; throws
/// std::runtime_error naming the option and OpenSSL's reason.
void setCiphers(SSL_CTX* ctx, const std::string& ciphers, const std::string& ciphersTLS13);

}  // namespace ballast::tls
