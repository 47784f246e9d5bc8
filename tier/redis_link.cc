// SPDX-License-Identifier: GPL-2.0-only
#include "tier/redis_link.hh"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <stdexcept>

namespace ballast::tier {

namespace {

std::string sslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

bool isAddress(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

void freeCommand(const void*, size_t, void* cmd) {
  redisFreeCommand(static_cast<char*>(cmd));
}

}  // namespace

std::shared_ptr<SSL_CTX> makeRedisTlsContext(const RedisTls& tls) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) throw std::runtime_error("TLS context: " + sslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (tls.verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    int ok = tls.caFile.empty()
                 ? SSL_CTX_set_default_verify_paths(ctx.get())
                 : SSL_CTX_load_verify_locations(ctx.get(), tls.caFile.c_str(), nullptr);
    if (ok != 1) throw std::runtime_error(fmt::format("CA file '{}': {}", tls.caFile, sslErrors()));
  }
  if (tls.certFile.empty() != tls.keyFile.empty())
    throw std::runtime_error("redisTLSCert and redisTLSKey go together");
  if (!tls.certFile.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.certFile.c_str()) != 1)
      throw std::runtime_error(fmt::format("certificate file '{}': {}", tls.certFile, sslErrors()));
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.keyFile.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
      throw std::runtime_error(fmt::format("key file '{}': {}", tls.keyFile, sslErrors()));
  }
  return ctx;
}

RedisLink::RedisLink(event_base* base, std::shared_ptr<SSL_CTX> tls, Owner& owner)
    : base_(base), tls_(std::move(tls)), owner_(owner) {
  connectTimer_ = evtimer_new(base_, onConnectTimeout, this);
}

RedisLink::~RedisLink() {
  close();
  event_free(connectTimer_);
}

bool RedisLink::connect(const std::string& host, int port, const std::string& serverName,
                        int64_t timeoutUsec, std::string& why) {
  close();
  peer_ = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                              : fmt::format("{}:{}", host, port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  // A name is resolved on the tier's thread (an address, the usual case, costs nothing).
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
    why = fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc));
    return false;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addrs(res, freeaddrinfo);
  bufferevent* bev = nullptr;
  if (tls_) {
    SSL* ssl = SSL_new(tls_.get());
    if (!ssl) {
      why = "TLS: " + sslErrors();
      return false;
    }
    const std::string& name = serverName.empty() ? host : serverName;
    if (isAddress(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, name.c_str());
      SSL_set1_host(ssl, name.c_str());
    }
    bev = bufferevent_openssl_socket_new(base_, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (!bev) SSL_free(ssl);
  } else {
    bev = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
  }
  if (!bev) {
    why = "cannot make a connection";
    return false;
  }
  bufferevent_setcb(bev, onRead, nullptr, onEvent, this);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  if (bufferevent_socket_connect(bev, res->ai_addr, int(res->ai_addrlen)) != 0) {
    why = fmt::format("cannot connect to {}: {}", peer_,
                      evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    bufferevent_free(bev);
    return false;
  }
  bev_ = bev;
  reader_ = redisReaderCreate();
  timeval tv{time_t(timeoutUsec / 1000000), suseconds_t(timeoutUsec % 1000000)};
  evtimer_add(connectTimer_, &tv);
  return true;
}

bool RedisLink::send(int argc, const char** argv, const size_t* lens, ReplyFn fn, void* arg,
                     uintptr_t tag) {
  if (!bev_) return false;
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
  if (len < 0) return false;
  // The formatted command is handed to the output buffer, not copied again.
  if (evbuffer_add_reference(bufferevent_get_output(bev_), cmd, size_t(len), freeCommand, cmd) !=
      0) {
    redisFreeCommand(cmd);
    return false;
  }
  waiting_.push_back(Waiting{fn, arg, tag});
  return true;
}

void RedisLink::settled() {
  evtimer_del(connectTimer_);
}

void RedisLink::close() {
  ++generation_;
  evtimer_del(connectTimer_);
  if (bev_) {
    bufferevent_free(bev_);
    bev_ = nullptr;
  }
  if (reader_) {
    redisReaderFree(reader_);
    reader_ = nullptr;
  }
  up_ = false;
  failWaiting();
}

void RedisLink::failWaiting() {
  // A callback may send again (refused now) or close: work on a list of our own.
  std::deque<Waiting> waiting;
  waiting.swap(waiting_);
  for (const Waiting& w : waiting) w.fn(w.arg, w.tag, nullptr);
}

void RedisLink::lost(const std::string& why) {
  close();
  owner_.linkDown(*this, why);
}

void RedisLink::onConnectTimeout(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<RedisLink*>(arg);
  self->lost(fmt::format("{} {} within the time allowed", self->peer_,
                         self->up_ ? "did not answer" : "could not be reached"));
}

void RedisLink::onEvent(bufferevent* bev, short what, void* arg) {
  auto* self = static_cast<RedisLink*>(arg);
  if (what & BEV_EVENT_CONNECTED) {
    int one = 1;
    evutil_socket_t fd = bufferevent_getfd(bev);
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    self->up_ = true;
    self->owner_.linkUp(*self);
    return;
  }
  if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) return;
  std::string why;
  unsigned long tlsError = self->tls_ ? bufferevent_get_openssl_error(bev) : 0;
  if (tlsError) {
    char buf[256];
    ERR_error_string_n(tlsError, buf, sizeof(buf));
    while (bufferevent_get_openssl_error(bev)) {
    }
    why = fmt::format("TLS with {}: {}", self->peer_, buf);
  } else if (what & BEV_EVENT_EOF) {
    why = fmt::format("{} closed the connection", self->peer_);
  } else {
    why = fmt::format("{}: {}", self->peer_, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
  }
  self->lost(why);
}

void RedisLink::onRead(bufferevent* bev, void* arg) {
  auto* self = static_cast<RedisLink*>(arg);
  evbuffer* in = bufferevent_get_input(bev);
  // Fed chunk by chunk as the buffer holds them: no copy of ours.
  while (size_t len = evbuffer_get_contiguous_space(in)) {
    const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, ssize_t(len)));
    if (redisReaderFeed(self->reader_, data, len) != REDIS_OK) {
      self->lost(fmt::format("{}: cannot read its replies", self->peer_));
      return;
    }
    evbuffer_drain(in, len);
  }
  const uint64_t generation = self->generation_;
  while (generation == self->generation_) {
    void* reply = nullptr;
    if (redisReaderGetReply(self->reader_, &reply) != REDIS_OK) {
      self->lost(fmt::format("{}: protocol error", self->peer_));
      return;
    }
    if (!reply) return;
    if (self->waiting_.empty()) {
      freeReplyObject(reply);
      self->lost(fmt::format("{}: a reply to no command", self->peer_));
      return;
    }
    Waiting w = self->waiting_.front();
    self->waiting_.pop_front();
    // The callback may close this link or connect it again (a new generation).
    w.fn(w.arg, w.tag, static_cast<redisReply*>(reply));
    freeReplyObject(reply);
  }
}

}  // namespace ballast::tier
