// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The byte transport under a stream connection: plain TCP or TLS over a non-blocking
/// socket, behind one small interface, so DNS over TCP, DoT and DoH share the connection
/// plumbing and differ only in the protocol on top.
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>

namespace ballast::frontend {

struct StreamBindStats;

/// Counts a finished TLS handshake in the bind's figures: resumed or new, and its version
/// (DoT and DoH alike).
void countTlsHandshake(SSL* ssl, StreamBindStats& s);

enum class IoStatus : uint8_t {
  Ok,         ///< some bytes moved (or the handshake is done)
  WantRead,   ///< wait until the socket is readable, then call again
  WantWrite,  ///< wait until it is writable
  Closed,     ///< the peer closed the connection cleanly
  Error,
};

class StreamIo {
 public:
  virtual ~StreamIo() = default;
  virtual IoStatus handshake(int fd) = 0;
  /// Reads at most `len` bytes into `buf`; `got` is set on Ok.
  virtual IoStatus read(int fd, uint8_t* buf, size_t len, size_t& got) = 0;
  /// Writes at most `len` bytes; `written` is set on Ok.
  virtual IoStatus write(int fd, const uint8_t* buf, size_t len, size_t& written) = 0;
  /// Bytes already decrypted and waiting inside the transport (no readiness event for them).
  virtual bool hasBuffered() const { return false; }
};

/// Plain TCP: stateless, one shared instance.
class PlainIo final : public StreamIo {
 public:
  static PlainIo& instance();
  IoStatus handshake(int) override { return IoStatus::Ok; }
  IoStatus read(int fd, uint8_t* buf, size_t len, size_t& got) override;
  IoStatus write(int fd, const uint8_t* buf, size_t len, size_t& written) override;
};

/// TLS over an SSL object that owns nothing but itself (the socket stays the caller's).
class TlsIo final : public StreamIo {
 public:
  explicit TlsIo(SSL* ssl) : ssl_(ssl) {}
  ~TlsIo() override;
  TlsIo(const TlsIo&) = delete;
  TlsIo& operator=(const TlsIo&) = delete;
  IoStatus handshake(int fd) override;
  IoStatus read(int fd, uint8_t* buf, size_t len, size_t& got) override;
  IoStatus write(int fd, const uint8_t* buf, size_t len, size_t& written) override;
  /// Decrypted bytes, or bytes read ahead from the socket and not yet decrypted.
  bool hasBuffered() const override { return SSL_has_pending(ssl_) == 1; }
  SSL* ssl() const { return ssl_; }

 private:
  IoStatus status(int ret);
  SSL* ssl_;
};

}  // namespace ballast::frontend
