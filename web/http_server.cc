// SPDX-License-Identifier: GPL-2.0-only
#include "web/http_server.hh"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "web/routes.hh"
#include "web/service.hh"

namespace ballast::web {

HttpServer::HttpServer(Service& s, const core::Address& listen) : service_(s) {
  base_ = event_base_new();
  http_ = base_ ? evhttp_new(base_) : nullptr;
  if (!http_ || pipe2(wakeFds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    release();
    throw std::runtime_error("webserver: cannot create the event loop");
  }
  if (evhttp_bind_socket_with_handle(http_, listen.toString().c_str(), listen.port()) == nullptr) {
    std::string where = listen.toStringWithPort();
    release();
    throw std::runtime_error("webserver: unable to bind to " + where);
  }
  evhttp_set_max_headers_size(http_, kMaxHeadersSize);
  evhttp_set_max_body_size(http_, kMaxBodySize);
  evhttp_set_timeout(http_, kRequestTimeoutSec);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_POST |
                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(http_, onRequestCb, this);
  wake_ = event_new(base_, wakeFds_[0], EV_READ | EV_PERSIST, onWakeCb, this);
  event_add(wake_, nullptr);
}

HttpServer::~HttpServer() {
  stop();
  release();
}

void HttpServer::release() {
  if (http_) evhttp_free(http_);  // closes the connections; onCloseCb still finds this
  http_ = nullptr;
  if (wake_) event_free(wake_);
  wake_ = nullptr;
  if (base_) event_base_free(base_);
  base_ = nullptr;
  for (int& fd : wakeFds_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

void HttpServer::start() {
  thread_ = std::thread([this] { event_base_dispatch(base_); });
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  char c = 1;
  (void)!write(wakeFds_[1], &c, 1);
  thread_.join();
}

void HttpServer::onWakeCb(int, short, void* self) {
  auto* s = static_cast<HttpServer*>(self);
  event_base_loopbreak(s->base_);
}

void HttpServer::onCloseCb(evhttp_connection* conn, void* self) {
  static_cast<HttpServer*>(self)->connections_.erase(conn);
}

void HttpServer::onRequestCb(evhttp_request* req, void* self) {
  static_cast<HttpServer*>(self)->onRequest(req);
}

bool HttpServer::admitConnection(evhttp_connection* conn, size_t limit) {
  if (connections_.count(conn)) return true;
  if (connections_.size() >= limit) return false;
  connections_.insert(conn);
  evhttp_connection_set_closecb(conn, onCloseCb, this);
  return true;
}

void HttpServer::onRequest(evhttp_request* req) {
  auto cfg = service_.config();
  evhttp_connection* conn = evhttp_request_get_connection(req);
  char* host = nullptr;
  uint16_t port = 0;
  evhttp_connection_get_peer(conn, &host, &port);
  bool allowed = false;
  try {
    allowed = host && cfg->acl.match(core::Address::parse(host, port));
  } catch (const std::exception&) {
    allowed = false;
  }
  if (!allowed) {
    // Not in the web ACL: refused with no answer at all, as dnsdist does. The socket is shut
    // down first, so the empty reply fails to go out and libevent frees the connection
    // through its own error path (freeing it here, inside its callback, would not be safe).
    if (bufferevent* bev = evhttp_connection_get_bufferevent(conn))
      shutdown(bufferevent_getfd(bev), SHUT_RDWR);
    evhttp_send_reply(req, 403, nullptr, nullptr);
    return;
  }
  Reply reply;
  if (!admitConnection(conn, cfg->maxConcurrentConnections)) {
    reply.status = 503;
    reply.body = "Too many connections\n";
    reply.close = true;
  } else {
    try {
      reply = route(service_, *cfg, req);
    } catch (const std::exception& e) {
      // Nothing may leave a libevent callback by exception: it would end the process.
      fprintf(stderr, "Webserver: error handling a request: %s\n", e.what());
      reply = Reply{};
      reply.status = 500;
      reply.contentType = "text/plain";
      reply.body = "Internal Server Error\n";
    }
  }
  sendReply(req, *cfg, reply);
}

}  // namespace ballast::web
