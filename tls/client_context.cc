// SPDX-License-Identifier: GPL-2.0-only
#include "tls/client_context.hh"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <stdexcept>

#include "tls/openssl_util.hh"

namespace ballast::tls {

namespace {

bool isIpLiteral(const std::string& s) {
  uint8_t buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

int64_t wallSeconds() {
  return int64_t(std::time(nullptr));
}

int onNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<ClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  self->keepSession(session, wallSeconds());
  return 1;  // the reference is ours now
}

}  // namespace

ClientContext::ClientContext(ClientConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.provider != "openssl")
    throw std::runtime_error(fmt::format(
        "TLS provider '{}' is not available: ballast is built with OpenSSL only (tls=\"openssl\")",
        cfg_.provider));
  if (!cfg_.subjectAddr.empty() && !isIpLiteral(cfg_.subjectAddr))
    throw std::runtime_error(
        fmt::format("subjectAddr '{}' is not an IPv4 or IPv6 address", cfg_.subjectAddr));
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) throw std::runtime_error("creating a TLS client context: " + lastError());
  try {
    SSL_CTX_set_app_data(ctx_, this);
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    long mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
    if (cfg_.releaseBuffers) mode |= SSL_MODE_RELEASE_BUFFERS;
    SSL_CTX_set_mode(ctx_, mode);
    uint64_t options = SSL_OP_NO_COMPRESSION;
    if (!cfg_.enableRenegotiation) options |= SSL_OP_NO_RENEGOTIATION;
    SSL_CTX_set_options(ctx_, options);
    setCiphers(ctx_, cfg_.ciphers, cfg_.ciphersTLS13);
    if (cfg_.validateCertificates) {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
      if (cfg_.caStore.empty()) {
        if (SSL_CTX_set_default_verify_paths(ctx_) != 1)
          throw std::runtime_error("loading the system's CA store: " + lastError());
      } else if (SSL_CTX_load_verify_locations(ctx_, cfg_.caStore.c_str(), nullptr) != 1) {
        throw std::runtime_error(
            fmt::format("loading caStore '{}': {}", cfg_.caStore, lastError()));
      }
    } else {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    }
    if (!cfg_.alpn.empty() &&
        SSL_CTX_set_alpn_protos(ctx_, cfg_.alpn.data(), unsigned(cfg_.alpn.size())) != 0)
      throw std::runtime_error("setting ALPN: " + lastError());
    // Sessions go to our own cache only, handed over by this callback.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx_, onNewSession);
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

ClientContext::~ClientContext() {
  for (auto& [s, when] : sessions_) SSL_SESSION_free(s);
  SSL_CTX_free(ctx_);
}

SSL* ClientContext::newConnection(int fd) {
  int64_t nowSec = wallSeconds();
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  bool ok = SSL_set_fd(ssl, fd) == 1;
  const std::string& name = cfg_.subjectName;
  // SNI carries host names only (RFC 6066).
  if (ok && !name.empty() && !isIpLiteral(name))
    ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
  if (ok && cfg_.validateCertificates) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!name.empty()) ok = SSL_set1_host(ssl, name.c_str()) == 1;
    if (ok && !cfg_.subjectAddr.empty())
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), cfg_.subjectAddr.c_str()) == 1;
  }
  if (!ok) {
    SSL_free(ssl);
    ERR_clear_error();
    return nullptr;
  }
  SSL_SESSION* session = nullptr;
  {
    std::lock_guard lock(mutex_);
    while (!sessions_.empty()) {
      auto [s, when] = sessions_.back();
      sessions_.pop_back();
      if (nowSec - when <= cfg_.sessionValiditySec && SSL_SESSION_is_resumable(s)) {
        session = s;
        break;
      }
      SSL_SESSION_free(s);
    }
  }
  if (session) {
    SSL_set_session(ssl, session);  // takes its own reference
    SSL_SESSION_free(session);
  }
  return ssl;
}

void ClientContext::keepSession(SSL_SESSION* s, int64_t nowSec) {
  std::lock_guard lock(mutex_);
  if (cfg_.maxSessions == 0) {
    SSL_SESSION_free(s);
    return;
  }
  sessions_.emplace_back(s, nowSec);
  while (sessions_.size() > cfg_.maxSessions) {
    SSL_SESSION_free(sessions_.front().first);
    sessions_.pop_front();
  }
}

void ClientContext::setSessionLimits(size_t maxSessions, int64_t validitySec) {
  std::lock_guard lock(mutex_);
  cfg_.maxSessions = maxSessions;
  cfg_.sessionValiditySec = validitySec;
}

size_t ClientContext::cachedSessions() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void ClientContext::expireSessions(int64_t nowSec) {
  std::lock_guard lock(mutex_);
  while (!sessions_.empty() && nowSec - sessions_.front().second > cfg_.sessionValiditySec) {
    SSL_SESSION_free(sessions_.front().first);
    sessions_.pop_front();
  }
}

std::string ClientContext::failureReason(SSL* ssl, int sslError) {
  long verdict = SSL_get_verify_result(ssl);
  if (verdict != X509_V_OK) {
    ERR_clear_error();
    return fmt::format("certificate check failed: {}", X509_verify_cert_error_string(verdict));
  }
  if (ERR_peek_error() == 0 && (sslError == SSL_ERROR_SYSCALL || sslError == SSL_ERROR_ZERO_RETURN))
    return "the server closed the connection";
  return lastError();
}

}  // namespace ballast::tls
