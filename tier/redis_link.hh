// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// One connection to a Redis server, plain or TLS, on a libevent loop: the transport is a
/// bufferevent (bufferevent_openssl for TLS), the protocol is hiredis's (commands written
/// by redisFormatCommandArgv, replies parsed by a redisReader), so the same code serves
/// both and hiredis 0.14, which has no TLS of its own, is enough. Replies come back in the
/// order commands were sent (Redis answers a connection in order), each to the callback
/// given with its command. Loop thread only.
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

struct redisReader;
struct redisReply;
typedef struct ssl_ctx_st SSL_CTX;

namespace ballast::tier {

/// TLS to Redis: rediss:// URLs and the redisTLS* options.
struct RedisTls {
  bool enabled = false;
  std::string caFile;      ///< verify the server against these; empty: the system's CAs
  std::string certFile;    ///< client certificate (Redis tls-auth-clients)
  std::string keyFile;     ///< its key
  std::string serverName;  ///< name checked in the certificate and sent as SNI; empty: host
  bool verify = true;
};

/// The TLS context of a tier, made once at start-up: a missing or bad file fails there.
/// Throws std::runtime_error with the reason.
std::shared_ptr<SSL_CTX> makeRedisTlsContext(const RedisTls& tls);

class RedisLink {
 public:
  /// The reply to a command; nullptr when the connection was lost before it came. The
  /// reply is freed after the call.
  using ReplyFn = void (*)(void* arg, uintptr_t tag, redisReply* reply);
  /// Told when the connection is ready (TLS handshake done) and when it is lost or could
  /// not be made (after every waiting callback was given nullptr).
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual void linkUp(RedisLink& link) = 0;
    virtual void linkDown(RedisLink& link, const std::string& why) = 0;
  };

  /// `tls` null: plain TCP.
  RedisLink(event_base* base, std::shared_ptr<SSL_CTX> tls, Owner& owner);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  /// Starts connecting (host: an address or a name, resolved here); false with `why` set
  /// when it failed at once (linkDown is not called then). `serverName`: for TLS, the
  /// name to verify (empty: host). Unless settled() within `timeoutUsec` (the owner's
  /// first exchanges included: AUTH, a sentinel's answer), it is closed and linkDown told.
  bool connect(const std::string& host, int port, const std::string& serverName,
               int64_t timeoutUsec, std::string& why);
  /// Queues a command (sent once connected); false when not connecting or connected.
  bool send(int argc, const char** argv, const size_t* lens, ReplyFn fn, void* arg, uintptr_t tag);
  /// The owner has what it waited for: the connection deadline no longer applies.
  void settled();
  /// Closes the connection: every waiting callback gets nullptr; linkDown is not called.
  void close();
  bool up() const { return up_; }
  bool active() const { return bev_ != nullptr; }
  /// host:port of the current (or last) connection.
  const std::string& peer() const { return peer_; }

 private:
  struct Waiting {
    ReplyFn fn;
    void* arg;
    uintptr_t tag;
  };
  static void onRead(bufferevent* bev, void* self);
  static void onEvent(bufferevent* bev, short what, void* self);
  static void onConnectTimeout(evutil_socket_t, short, void* self);
  void lost(const std::string& why);
  void failWaiting();

  event_base* base_;
  std::shared_ptr<SSL_CTX> tls_;
  Owner& owner_;
  bufferevent* bev_ = nullptr;
  redisReader* reader_ = nullptr;
  event* connectTimer_ = nullptr;
  bool up_ = false;
  uint64_t generation_ = 0;  ///< changes on every close: a callback may have closed
  std::string peer_;
  std::deque<Waiting> waiting_;
};

}  // namespace ballast::tier
