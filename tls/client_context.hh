// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The client side of TLS to one backend (newServer{tls="openssl", ...}): an OpenSSL
/// context that checks the server's certificate (the system store or caStore, the name in
/// subjectName, the address in subjectAddr), and a small cache of the sessions the server
/// gave us so a new connection resumes instead of a full handshake.
#include <openssl/ssl.h>

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace ballast::tls {

/// newServer's TLS options (dnsdist's names and defaults).
struct ClientConfig {
  std::string provider = "openssl";
  std::string subjectName;  ///< sent as SNI and checked against the certificate
  std::string subjectAddr;  ///< an IP address the certificate must name
  std::string caStore;      ///< PEM file; empty: the system's store
  bool validateCertificates = true;
  std::string ciphers;
  std::string ciphersTLS13;
  bool releaseBuffers = true;
  bool enableRenegotiation = false;
  std::vector<uint8_t> alpn;         ///< wire form, e.g. "\x02h2" for DoH; empty: none offered
  size_t maxSessions = 20;           ///< setOutgoingTLSSessionsCacheMaxTicketsPerBackend
  int64_t sessionValiditySec = 600;  ///< setOutgoingTLSSessionsCacheMaxTicketValidity
};

class ClientContext {
 public:
  /// Builds the context; throws std::runtime_error naming the option or file at fault.
  explicit ClientContext(ClientConfig cfg);
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  /// A client SSL on the connected socket `fd`, with SNI, the certificate checks and the
  /// most recent cached session (taken out of the cache: a ticket is used once). Null on
  /// allocation failure.
  SSL* newConnection(int fd);
  /// Why the handshake on `ssl` failed, for the log: the certificate check's verdict when
  /// that is what failed, else OpenSSL's error.
  /// `sslError` is SSL_get_error's verdict on the failed call.
  static std::string failureReason(SSL* ssl, int sslError);
  /// Sessions kept for resumption (getOutgoingTLSSessionCacheSize).
  size_t cachedSessions() const;
  /// The cache's bounds (set before the first connection: global settings read at start).
  void setSessionLimits(size_t maxSessions, int64_t validitySec);
  /// Forgets sessions older than sessionValiditySec.
  void expireSessions(int64_t nowSec);
  const ClientConfig& config() const { return cfg_; }

  /// OpenSSL's new-session callback: public for the C callback only.
  void keepSession(SSL_SESSION* s, int64_t nowSec);

 private:
  ClientConfig cfg_;
  SSL_CTX* ctx_ = nullptr;
  mutable std::mutex mutex_;  // the backend's loop and the console's reads
  std::deque<std::pair<SSL_SESSION*, int64_t>> sessions_;  ///< newest last
};

}  // namespace ballast::tls
