// SPDX-License-Identifier: GPL-2.0-only
#include "web/routes.hh"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include <algorithm>
#include <cctype>

#include "web/handlers.hh"
#include "web/service.hh"

namespace ballast::web {

namespace {

std::string lowered(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* methodName(evhttp_cmd_type t) {
  switch (t) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    default:
      return "OTHER";
  }
}

/// "a=1&b=x%20y" into `out` (decoded); a string that does not parse adds nothing.
void parseVars(const std::string& text, std::map<std::string, std::string>& out) {
  evkeyvalq vars;
  if (evhttp_parse_query_str(text.c_str(), &vars) == 0) {
    for (evkeyval* kv = vars.tqh_first; kv; kv = kv->next.tqe_next) out[kv->key] = kv->value;
  }
  evhttp_clear_headers(&vars);
}

/// The evhttp request as plain data, so the handlers (and Lua) never touch libevent.
WebRequest toWebRequest(evhttp_request* req) {
  WebRequest r;
  r.method = methodName(evhttp_request_get_command(req));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
  r.path = path && *path ? path : "/";
  if (const char* query = uri ? evhttp_uri_get_query(uri) : nullptr) parseVars(query, r.getvars);
  evkeyvalq* headers = evhttp_request_get_input_headers(req);
  for (evkeyval* kv = headers->tqh_first; kv; kv = kv->next.tqe_next)
    r.headers[lowered(kv->key)] = kv->value;
  evbuffer* in = evhttp_request_get_input_buffer(req);
  size_t len = evbuffer_get_length(in);
  r.body.resize(len);
  if (len) evbuffer_copyout(in, r.body.data(), len);
  r.version = req->major * 10 + req->minor;
  auto type = r.headers.find("content-type");
  if (type != r.headers.end() &&
      lowered(type->second).rfind("application/x-www-form-urlencoded", 0) == 0)
    parseVars(r.body, r.postvars);
  return r;
}

}  // namespace

Reply route(Service& s, const WebConfig& cfg, evhttp_request* req) {
  return handle(s, cfg, toWebRequest(req));
}

void sendReply(evhttp_request* req, const WebConfig& cfg, const Reply& r) {
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  auto custom = [&](const char* name) {
    return std::any_of(cfg.customHeaders.begin(), cfg.customHeaders.end(),
                       [&](const auto& h) { return lowered(h.first) == lowered(name); });
  };
  // dnsdist's defaults; a custom header of the same name replaces one.
  static const std::pair<const char*, const char*> kDefaults[] = {
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "deny"},
      {"X-Permitted-Cross-Domain-Policies", "none"},
      {"X-XSS-Protection", "1; mode=block"},
      {"Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"},
  };
  for (const auto& [name, value] : kDefaults)
    if (!custom(name)) evhttp_add_header(out, name, value);
  for (const auto& [name, value] : cfg.customHeaders)
    if (!value.empty()) evhttp_add_header(out, name.c_str(), value.c_str());
  for (const auto& [name, value] : r.headers) evhttp_add_header(out, name.c_str(), value.c_str());
  if (!r.contentType.empty()) evhttp_add_header(out, "Content-Type", r.contentType.c_str());
  if (r.close) evhttp_add_header(out, "Connection", "close");
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, r.body.data(), r.body.size());
  evhttp_send_reply(req, r.status, nullptr, body);
  evbuffer_free(body);
}

}  // namespace ballast::web
