// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The routes of the web server, declared once in a table: path, who may call it (API key,
/// dashboard password, statistics), and its handler. Authentication happens before any
/// handler runs, so a refused request learns nothing.
#include <string>
#include <utility>
#include <vector>

#include "web/web_config.hh"

struct evhttp_request;

namespace ballast::web {

class Service;

struct Reply {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  ///< "Connection: close"
};

/// Authenticates and runs the handler of the request's path.
Reply route(Service& s, const WebConfig& cfg, evhttp_request* req);
/// Sends `r` with the default security headers and the configured custom ones.
void sendReply(evhttp_request* req, const WebConfig& cfg, const Reply& r);

}  // namespace ballast::web
