// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/stream_io.hh"

#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>

#include "frontend/tcp_config.hh"

namespace ballast::frontend {

PlainIo& PlainIo::instance() {
  static PlainIo io;
  return io;
}

IoStatus PlainIo::read(int fd, uint8_t* buf, size_t len, size_t& got) {
  ssize_t n = recv(fd, buf, len, 0);
  if (n > 0) {
    got = size_t(n);
    return IoStatus::Ok;
  }
  if (n == 0) return IoStatus::Closed;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return IoStatus::WantRead;
  return IoStatus::Error;
}

IoStatus PlainIo::write(int fd, const uint8_t* buf, size_t len, size_t& written) {
  ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
  if (n >= 0) {
    written = size_t(n);
    return IoStatus::Ok;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return IoStatus::WantWrite;
  return IoStatus::Error;
}

TlsIo::~TlsIo() {
  // Marked as shut down so that SSL_free keeps the session in the server-side cache
  // (numberOfStoredSessions) whichever way the client left; OpenSSL has already dropped the
  // session of a connection that failed. Nothing is written: the socket may be closed.
  SSL_set_shutdown(ssl_, SSL_get_shutdown(ssl_) | SSL_SENT_SHUTDOWN);
  SSL_free(ssl_);
}

IoStatus TlsIo::status(int ret) {
  int e = SSL_get_error(ssl_, ret);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      return IoStatus::WantRead;
    case SSL_ERROR_WANT_WRITE:
      return IoStatus::WantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return IoStatus::Closed;
    default:
      // Garbage from a client must not leave errors queued for the next connection on
      // this thread.
      ERR_clear_error();
      return IoStatus::Error;
  }
}

IoStatus TlsIo::handshake(int) {
  int r = SSL_accept(ssl_);
  return r == 1 ? IoStatus::Ok : status(r);
}

IoStatus TlsIo::read(int, uint8_t* buf, size_t len, size_t& got) {
  int r = SSL_read(ssl_, buf, int(len));
  if (r > 0) {
    got = size_t(r);
    return IoStatus::Ok;
  }
  return status(r);
}

IoStatus TlsIo::write(int, const uint8_t* buf, size_t len, size_t& written) {
  int r = SSL_write(ssl_, buf, int(len));
  if (r > 0) {
    written = size_t(r);
    return IoStatus::Ok;
  }
  return status(r);
}

void countTlsHandshake(SSL* ssl, StreamBindStats& s) {
  (SSL_session_reused(ssl) ? s.tlsResumptions : s.tlsNewSessions).inc();
  int v = SSL_version(ssl);
  (v == TLS1_3_VERSION ? s.tls13 : v == TLS1_2_VERSION ? s.tls12 : s.tlsOther).inc();
}

}  // namespace ballast::frontend
