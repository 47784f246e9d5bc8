// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A server-side TLS context (OpenSSL) for DNS over TLS, reusable by DoH with another ALPN:
/// certificates and keys in PEM, protocol and cipher settings, session tickets encrypted
/// with keys ballast rotates itself, stapled OCSP responses, and a certificate reload that
/// leaves established connections on the old context.
#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace ballast::frontend {

/// addTLSLocal's options (dnsdist's names).
struct TlsConfig {
  std::vector<std::string> certFiles;
  std::vector<std::string> keyFiles;  ///< one per certificate
  std::string provider = "openssl";
  std::string minTLSVersion = "tls1.0";
  std::string ciphers;       ///< TLS <= 1.2; empty: OpenSSL's default
  std::string ciphersTLS13;  ///< empty: OpenSSL's default
  size_t numberOfTicketsKeys = 5;
  std::string ticketKeyFile;  ///< 80-byte keys (name, cipher key, HMAC key), last active
  bool sessionTickets = true;
  std::vector<std::string> ocspResponses;  ///< DER files, one per certificate
  std::vector<uint8_t> alpn;               ///< wire form, e.g. "\x03dot"
  int ticketsKeysRotationDelay = 43200;    ///< seconds; 0: never rotated automatically
  long sessionTimeout = 7200;              ///< seconds a session (ticket or cached) resumes
  size_t numberOfStoredSessions = 20480;   ///< server-side session cache; 0: none
  bool preferServerCiphers = true;
  std::string keyLogFile;      ///< NSS key log lines appended here (debugging); empty: none
  bool releaseBuffers = true;  ///< idle connections give their TLS buffers back
  bool enableRenegotiation = false;
};

/// Handshakes a frontend refused, by the OpenSSL reason of the alert it sent (dnsdist's
/// TLS error counters, showTLSErrorCounters).
struct TlsErrorCounters {
  std::atomic<uint64_t> dhKeyTooSmall{0}, inappropriateFallBack{0}, noSharedCipher{0},
      unknownCipherType{0}, unknownKeyExchangeType{0}, unknownProtocol{0}, unsupportedEC{0},
      unsupportedProtocol{0};
  /// Counts the OpenSSL error `err` if its reason is one of those (false otherwise).
  bool count(unsigned long err);
};

class TlsContext {
 public:
  /// Loads everything; throws std::runtime_error naming the file or option at fault.
  explicit TlsContext(TlsConfig cfg);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// A new server-side SSL for an accepted socket (null on allocation failure).
  SSL* newSession(int fd) const;
  /// Adds a fresh random ticket key, which encrypts new tickets; the oldest beyond
  /// numberOfTicketsKeys is forgotten (tickets under it no longer resume).
  void rotateTicketsKey();
  /// Reads the ticket keys from `file` (ticketKeyFile's format), replacing the current ones.
  void loadTicketsKeys(const std::string& file);
  /// Loads the certificates, keys and OCSP responses again into a new context used by the
  /// connections accepted from now on. Throws (keeping the old one) on error.
  void reloadCertificates();
  /// Switches to other certificate and key files (loaded now; on error nothing changes).
  void loadNewCertificatesAndKeys(std::vector<std::string> certFiles,
                                  std::vector<std::string> keyFiles);
  size_t ticketKeyCount() const;
  /// Rotates the ticket key (or reloads ticketKeyFile) when ticketsKeysRotationDelay has
  /// passed since the last time; called with the monotonic time as connections arrive.
  void rotateTicketsKeyIfDue(int64_t nowSec);
  const TlsConfig& config() const { return cfg_; }
  /// When the ticket key is next rotated, in monotonic seconds (as connections arrive).
  int64_t nextTicketsKeyRotationSec() const {
    return nextRotationSec_.load(std::memory_order_relaxed);
  }
  /// Handshake failures by reason, counted by the context's info callback.
  mutable TlsErrorCounters errorCounters;

  /// Ticket callback state: public for the C callback.
  struct TicketKey {
    uint8_t name[16];
    uint8_t cipherKey[32];
    uint8_t hmacKey[32];
  };
  /// Finds the key for a ticket name; returns 0 unknown, 1 current, 2 older (renew).
  int findTicketKey(const uint8_t* name, TicketKey& out) const;
  TicketKey currentTicketKey() const;
  /// Appends one keyLogFile line (the keylog callback).
  void writeKeyLog(const char* line) const;
  /// A copy of the OCSP response stapled for `cert`; false when there is none.
  bool ocspFor(X509* cert, std::vector<uint8_t>& out) const;

 private:
  SSL_CTX* build();  // a fully configured context, or throws

  TlsConfig cfg_;
  mutable std::mutex ctxMutex_;  // ctx_ swap on reload, not per packet
  SSL_CTX* ctx_ = nullptr;
  mutable std::shared_mutex keysMutex_;
  std::vector<TicketKey> keys_;  ///< newest last
  std::atomic<int64_t> nextRotationSec_{0};  ///< monotonic seconds
  FILE* keyLog_ = nullptr;                   ///< keyLogFile, opened for appending
  /// OCSP responses by certificate, for the context being built and the live one.
  std::vector<std::pair<X509*, std::vector<uint8_t>>> ocsp_;
};

}  // namespace ballast::frontend
