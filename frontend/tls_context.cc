// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/tls_context.hh"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "tls/openssl_util.hh"
#include "core/clock.hh"

namespace ballast::frontend {

namespace {

using tls::lastError;

/// keyLogFile: one NSS key log line per secret, flushed at once so a capture can be
/// decrypted while the connection is open.
void keyLogCallback(const SSL* ssl, const char* line) {
  auto* self = static_cast<const TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (self) self->writeKeyLog(line);
}

std::vector<uint8_t> readFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open {} '{}'", what, path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TlsContext* contextOf(SSL* ssl) {
  return static_cast<TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

/// When the server sends an alert, the error behind it is counted by reason, as dnsdist
/// does; costs nothing on handshakes that succeed.
void infoCallback(const SSL* ssl, int where, int) {
  if (!(where & SSL_CB_ALERT) || !(where & SSL_CB_WRITE)) return;
  auto* self = static_cast<const TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (self) self->errorCounters.count(ERR_peek_last_error());
}

/// Session ticket keys ballast manages itself, so they can be rotated and shared.
int ticketCallback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cctx,
                   EVP_MAC_CTX* hctx, int enc) {
  TlsContext* self = contextOf(ssl);
  TlsContext::TicketKey key;
  int result = 1;
  if (enc) {
    key = self->currentTicketKey();
    std::memcpy(name, key.name, sizeof(key.name));
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
  } else {
    result = self->findTicketKey(name, key);
    if (result == 0) return 0;  // unknown key: full handshake, new ticket
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmacKey, sizeof(key.hmacKey)),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("sha256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(hctx, params) != 1) return -1;
  int ok = enc ? EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, key.cipherKey, iv)
               : EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, key.cipherKey, iv);
  if (ok != 1) return -1;
  return result;
}

int ocspCallback(SSL* ssl, void*) {
  TlsContext* self = contextOf(ssl);
  std::vector<uint8_t> resp;
  if (!self->ocspFor(SSL_get_certificate(ssl), resp) || resp.empty()) return SSL_TLSEXT_ERR_NOACK;
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(resp.size()));
  if (!copy) return SSL_TLSEXT_ERR_NOACK;
  std::memcpy(copy, resp.data(), resp.size());
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, long(resp.size()));
  return SSL_TLSEXT_ERR_OK;
}

int alpnCallback(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                 const unsigned char* in, unsigned int inlen, void*) {
  const auto& alpn = contextOf(ssl)->config().alpn;
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, alpn.data(), unsigned(alpn.size()), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;  // a client without our protocol may still talk to us
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsContext::TlsContext(TlsConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.provider != "openssl")
    throw std::runtime_error(
        fmt::format("TLS provider '{}' is not supported (only 'openssl')", cfg_.provider));
  if (cfg_.certFiles.empty()) throw std::runtime_error("no certificate file given");
  if (cfg_.certFiles.size() != cfg_.keyFiles.size())
    throw std::runtime_error(fmt::format("{} certificate file(s) but {} key file(s)",
                                         cfg_.certFiles.size(), cfg_.keyFiles.size()));
  if (cfg_.numberOfTicketsKeys == 0) cfg_.numberOfTicketsKeys = 1;
  tls::protocolVersion(cfg_.minTLSVersion);
  if (!cfg_.keyLogFile.empty()) {
    keyLog_ = fopen(cfg_.keyLogFile.c_str(), "a");
    if (!keyLog_)
      throw std::runtime_error(
          fmt::format("cannot open keyLogFile '{}': {}", cfg_.keyLogFile, strerror(errno)));
  }
  if (!cfg_.ticketKeyFile.empty())
    loadTicketsKeys(cfg_.ticketKeyFile);
  else
    rotateTicketsKey();
  nextRotationSec_ = core::monotonicUsec() / 1000000 + cfg_.ticketsKeysRotationDelay;
  ctx_ = build();
}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
  if (keyLog_) fclose(keyLog_);
}

void TlsContext::writeKeyLog(const char* line) const {
  std::lock_guard lock(ctxMutex_);
  fprintf(keyLog_, "%s\n", line);
  fflush(keyLog_);
}

SSL_CTX* TlsContext::build() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) throw std::runtime_error("creating a TLS context: " + lastError());
  std::vector<std::pair<X509*, std::vector<uint8_t>>> ocsp;
  try {
    SSL_CTX_set_app_data(ctx, this);
    SSL_CTX_set_info_callback(ctx, infoCallback);
    SSL_CTX_set_min_proto_version(ctx, tls::protocolVersion(cfg_.minTLSVersion));
    // Idle connections give their read and write buffers back (most of a TLS connection's
    // memory); partial writes keep a slow client from blocking its worker.
    SSL_CTX_set_mode(ctx, (cfg_.releaseBuffers ? SSL_MODE_RELEASE_BUFFERS : 0) |
                              SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read ahead: a record comes in with one read of the socket instead of two (its 5-byte
    // header, then its body); what was read ahead is seen by SSL_has_pending (stream_io).
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
                                 (cfg_.enableRenegotiation ? 0 : SSL_OP_NO_RENEGOTIATION) |
                                 (cfg_.preferServerCiphers ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
    SSL_CTX_set_timeout(ctx, cfg_.sessionTimeout);
    // A bounded server-side cache beside the tickets, as dnsdist keeps (numberOfStoredSessions).
    if (cfg_.numberOfStoredSessions > 0) {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
      SSL_CTX_sess_set_cache_size(ctx, long(cfg_.numberOfStoredSessions));
      static const unsigned char kContext[] = "ballast";
      SSL_CTX_set_session_id_context(ctx, kContext, sizeof(kContext) - 1);
    } else {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    if (keyLog_) SSL_CTX_set_keylog_callback(ctx, keyLogCallback);
    if (cfg_.sessionTickets) {
      SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticketCallback);
    } else {
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx, 0);
    }
    tls::setCiphers(ctx, cfg_.ciphers, cfg_.ciphersTLS13);
    for (size_t i = 0; i < cfg_.certFiles.size(); ++i) {
      if (SSL_CTX_use_certificate_chain_file(ctx, cfg_.certFiles[i].c_str()) != 1)
        throw std::runtime_error(
            fmt::format("loading certificate file '{}': {}", cfg_.certFiles[i], lastError()));
      if (SSL_CTX_use_PrivateKey_file(ctx, cfg_.keyFiles[i].c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error(
            fmt::format("loading key file '{}': {}", cfg_.keyFiles[i], lastError()));
      if (SSL_CTX_check_private_key(ctx) != 1)
        throw std::runtime_error(fmt::format("key file '{}' does not match certificate file '{}'",
                                             cfg_.keyFiles[i], cfg_.certFiles[i]));
      if (i < cfg_.ocspResponses.size())
        ocsp.emplace_back(SSL_CTX_get0_certificate(ctx),
                          readFile(cfg_.ocspResponses[i], "OCSP response file"));
    }
    if (!ocsp.empty()) {
      SSL_CTX_set_tlsext_status_cb(ctx, ocspCallback);
    }
    if (!cfg_.alpn.empty()) SSL_CTX_set_alpn_select_cb(ctx, alpnCallback, nullptr);
  } catch (...) {
    SSL_CTX_free(ctx);
    throw;
  }
  std::lock_guard lock(ctxMutex_);
  ocsp_ = std::move(ocsp);
  return ctx;
}

bool TlsErrorCounters::count(unsigned long err) {
  switch (ERR_GET_REASON(err)) {
    case SSL_R_DH_KEY_TOO_SMALL:
      ++dhKeyTooSmall;
      return true;
    case SSL_R_INAPPROPRIATE_FALLBACK:
      ++inappropriateFallBack;
      return true;
    case SSL_R_NO_SHARED_CIPHER:
      ++noSharedCipher;
      return true;
    case SSL_R_UNKNOWN_CIPHER_TYPE:
      ++unknownCipherType;
      return true;
    case SSL_R_UNKNOWN_KEY_EXCHANGE_TYPE:
      ++unknownKeyExchangeType;
      return true;
    case SSL_R_UNKNOWN_PROTOCOL:
      ++unknownProtocol;
      return true;
    case SSL_R_UNSUPPORTED_ELLIPTIC_CURVE:
      ++unsupportedEC;
      return true;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
      ++unsupportedProtocol;
      return true;
    default:
      return false;
  }
}

void TlsContext::rotateTicketsKeyIfDue(int64_t nowSec) {
  if (cfg_.ticketsKeysRotationDelay <= 0) return;
  int64_t next = nextRotationSec_.load(std::memory_order_relaxed);
  if (nowSec < next ||
      !nextRotationSec_.compare_exchange_strong(next, nowSec + cfg_.ticketsKeysRotationDelay))
    return;
  try {
    // As dnsdist: keys from a file are read again from it, others replaced by a fresh one.
    if (cfg_.ticketKeyFile.empty())
      rotateTicketsKey();
    else
      loadTicketsKeys(cfg_.ticketKeyFile);
  } catch (const std::exception& e) {
    fmt::print(stderr, "Warning: rotating the TLS tickets keys: {}\n", e.what());
  }
}

SSL* TlsContext::newSession(int fd) const {
  std::lock_guard lock(ctxMutex_);
  SSL* ssl = SSL_new(ctx_);
  if (ssl && SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

void TlsContext::reloadCertificates() {
  SSL_CTX* fresh = build();
  std::lock_guard lock(ctxMutex_);
  SSL_CTX_free(ctx_);  // established sessions hold their own reference
  ctx_ = fresh;
}

void TlsContext::loadNewCertificatesAndKeys(std::vector<std::string> certFiles,
                                            std::vector<std::string> keyFiles) {
  if (certFiles.empty() || certFiles.size() != keyFiles.size())
    throw std::runtime_error("as many key files as certificate files are needed");
  std::swap(cfg_.certFiles, certFiles);
  std::swap(cfg_.keyFiles, keyFiles);
  try {
    reloadCertificates();
  } catch (...) {
    std::swap(cfg_.certFiles, certFiles);
    std::swap(cfg_.keyFiles, keyFiles);
    throw;
  }
}

void TlsContext::rotateTicketsKey() {
  TicketKey k;
  if (RAND_bytes(k.name, sizeof(k.name)) != 1 ||
      RAND_bytes(k.cipherKey, sizeof(k.cipherKey)) != 1 ||
      RAND_bytes(k.hmacKey, sizeof(k.hmacKey)) != 1)
    throw std::runtime_error("generating a ticket key: " + lastError());
  std::unique_lock lock(keysMutex_);
  keys_.push_back(k);
  while (keys_.size() > cfg_.numberOfTicketsKeys) keys_.erase(keys_.begin());
}

void TlsContext::loadTicketsKeys(const std::string& file) {
  std::vector<uint8_t> data = readFile(file, "ticket key file");
  constexpr size_t kKeySize = sizeof(TicketKey);
  if (data.empty() || data.size() % kKeySize != 0)
    throw std::runtime_error(
        fmt::format("ticket key file '{}' must hold a multiple of {} bytes, not {}", file, kKeySize,
                    data.size()));
  std::vector<TicketKey> keys(data.size() / kKeySize);
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint8_t* p = data.data() + i * kKeySize;
    std::memcpy(keys[i].name, p, 16);
    std::memcpy(keys[i].cipherKey, p + 16, 32);
    std::memcpy(keys[i].hmacKey, p + 48, 32);
  }
  std::unique_lock lock(keysMutex_);
  keys_ = std::move(keys);
  while (keys_.size() > cfg_.numberOfTicketsKeys) keys_.erase(keys_.begin());
}

size_t TlsContext::ticketKeyCount() const {
  std::shared_lock lock(keysMutex_);
  return keys_.size();
}

TlsContext::TicketKey TlsContext::currentTicketKey() const {
  std::shared_lock lock(keysMutex_);
  return keys_.back();
}

int TlsContext::findTicketKey(const uint8_t* name, TicketKey& out) const {
  std::shared_lock lock(keysMutex_);
  for (size_t i = keys_.size(); i-- > 0;) {
    if (std::memcmp(keys_[i].name, name, sizeof(out.name)) == 0) {
      out = keys_[i];
      return i + 1 == keys_.size() ? 1 : 2;
    }
  }
  return 0;
}

bool TlsContext::ocspFor(X509* cert, std::vector<uint8_t>& out) const {
  std::lock_guard lock(ctxMutex_);
  for (const auto& [c, resp] : ocsp_) {
    if (c == cert) {
      out = resp;
      return true;
    }
  }
  return false;
}

}  // namespace ballast::frontend
