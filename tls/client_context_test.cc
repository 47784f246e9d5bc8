// SPDX-License-Identifier: GPL-2.0-only
#include "tls/client_context.hh"

#include <doctest.h>

#include <stdexcept>
#include <string>

using ballast::tls::ClientConfig;
using ballast::tls::ClientContext;

namespace {
std::string errorOf(const ClientConfig& cfg) {
  try {
    ClientContext ctx(cfg);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a client context refuses what it cannot honour, naming it") {
  ClientConfig cfg;
  cfg.provider = "gnutls";
  CHECK(errorOf(cfg).find("'gnutls' is not available") != std::string::npos);
  cfg = {};
  cfg.caStore = "/nonexistent/ca.pem";
  CHECK(errorOf(cfg).find("caStore '/nonexistent/ca.pem'") != std::string::npos);
  cfg = {};
  cfg.ciphers = "NO-SUCH-CIPHER";
  CHECK(errorOf(cfg).find("invalid ciphers 'NO-SUCH-CIPHER'") != std::string::npos);
  cfg = {};
  cfg.ciphersTLS13 = "TLS_NOPE";
  CHECK(errorOf(cfg).find("invalid ciphersTLS13") != std::string::npos);
  cfg = {};
  cfg.subjectAddr = "not-an-address";
  CHECK(errorOf(cfg).find("subjectAddr") != std::string::npos);
  cfg = {};
  cfg.subjectAddr = "192.0.2.1";
  CHECK(errorOf(cfg).empty());
}

TEST_CASE("the session cache keeps the newest sessions up to its bound and expires old ones") {
  ClientConfig cfg;
  cfg.validateCertificates = false;
  cfg.maxSessions = 2;
  cfg.sessionValiditySec = 600;
  ClientContext ctx(cfg);
  for (int i = 0; i < 3; ++i) ctx.keepSession(SSL_SESSION_new(), 1000 + i);
  CHECK(ctx.cachedSessions() == 2);
  ctx.expireSessions(1602);  // the one of 1001 is older than 600 s, not the one of 1002
  CHECK(ctx.cachedSessions() == 1);
  ctx.expireSessions(1603);
  CHECK(ctx.cachedSessions() == 0);
}

TEST_CASE("a new connection sets the name to check and SNI only for a host name") {
  ClientConfig cfg;
  cfg.subjectName = "dns.example";
  ClientContext ctx(cfg);
  SSL* ssl = ctx.newConnection(-1);
  REQUIRE(ssl != nullptr);
  CHECK(std::string(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) == "dns.example");
  CHECK(std::string(SSL_get0_peername(ssl) ? SSL_get0_peername(ssl) : "") == "");
  SSL_free(ssl);
  cfg.subjectName = "192.0.2.7";
  ClientContext byAddress(cfg);
  ssl = byAddress.newConnection(-1);
  REQUIRE(ssl != nullptr);
  CHECK(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) == nullptr);
  SSL_free(ssl);
}
