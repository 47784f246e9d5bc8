// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The HTTP server: libevent's evhttp on one thread of its own (so no HTTP parser of ours),
/// with the web ACL, the connection limit, size and time limits, authentication and the
/// routes of the API, /metrics and the dashboard.
#include <thread>
#include <unordered_set>

#include "core/address.hh"

struct event_base;
struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct event;

namespace ballast::web {

class Service;

class HttpServer {
 public:
  /// Binds at once; throws std::runtime_error naming the address when it cannot.
  HttpServer(Service& s, const core::Address& listen);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();
  void stop();

 private:
  static void onRequestCb(evhttp_request* req, void* self);
  static void onCloseCb(evhttp_connection* conn, void* self);
  static void onWakeCb(int fd, short, void* self);
  void onRequest(evhttp_request* req);
  void release();  // frees the libevent objects; the thread is stopped
  /// Counts the connection the first time it sends a request; false if it is one too many.
  bool admitConnection(evhttp_connection* conn, size_t limit);

  Service& service_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  event* wake_ = nullptr;
  int wakeFds_[2] = {-1, -1};  // stop() writes, the loop wakes and breaks
  std::thread thread_;
  std::unordered_set<evhttp_connection*> connections_;  // web thread only
};

}  // namespace ballast::web
