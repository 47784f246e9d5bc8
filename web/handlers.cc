// SPDX-License-Identifier: GPL-2.0-only
#include "web/handlers.hh"

#include <stdexcept>

#include "core/clock.hh"
#include "web/api.hh"
#include "web/exports.hh"
#include "web/recent.hh"
#include "web/ui/assets.hh"

namespace ballast::web {

namespace {

using Handler = Reply (*)(Service&, const WebConfig&, const WebRequest&);

Reply json(const nlohmann::json& doc, int status = 200) {
  Reply r;
  r.status = status;
  // Names from the network (a pool asked for) or the configuration may not be UTF-8: replace
  // such bytes rather than throw.
  r.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Reply error(int status, const std::string& message) {
  return json({{"error", message}}, status);
}

Reply serverInfoHandler(Service& s, const WebConfig&, const WebRequest&) {
  return json(serverInfo(s.runtime(), s.version(), s.stream()));
}

Reply statisticsHandler(Service& s, const WebConfig&, const WebRequest&) {
  return json(statistics(s.runtime()));
}

Reply configHandler(Service& s, const WebConfig& cfg, const WebRequest&) {
  return json(configSettings(s.runtime(), cfg.apiWritable));
}

Reply allowFromHandler(Service& s, const WebConfig& cfg, const WebRequest& r) {
  if (r.method == "PUT") {
    if (!cfg.apiWritable) return error(405, "the API is read-only (setAPIWritable)");
    try {
      setAllowFrom(s.runtime(), r.body);
    } catch (const std::exception& e) {
      return error(400, e.what());
    }
  }
  return json(allowFrom(s.runtime()));
}

Reply poolHandler(Service& s, const WebConfig&, const WebRequest& r) {
  auto it = r.getvars.find("name");
  if (it == r.getvars.end()) return error(400, "missing the 'name' parameter");
  auto doc = poolInfo(s.runtime(), it->second);
  if (doc.is_null()) return error(404, "no pool named '" + it->second + "'");
  return json(doc);
}

Reply jsonstatHandler(Service& s, const WebConfig&, const WebRequest& r) {
  auto it = r.getvars.find("command");
  if (it == r.getvars.end()) return error(404, "unknown command");
  if (it->second == "stats") return json(jsonStats(s.runtime()));
  if (it->second == "dynblocklist") return json(dynBlockList(s.runtime(), core::monotonicUsec()));
  // ballast has no eBPF filter, so it never holds an eBPF block.
  if (it->second == "ebpfblocklist") return json(nlohmann::json::object());
  return error(404, "unknown command");
}

/// The last 10 seconds of the rings and the dynamic blocks, for the dashboard.
Reply recentHandler(Service& s, const WebConfig&, const WebRequest&) {
  return json(recentActivity(s.runtime(), core::monotonicUsec(), 10'000'000, 10));
}

Reply metricsHandler(Service& s, const WebConfig&, const WebRequest&) {
  Reply r;
  r.contentType = "text/plain; version=0.0.4";
  r.body = prometheusText(s.runtime(), s.stream());
  return r;
}

Reply dashboardHandler(Service&, const WebConfig&, const WebRequest& r) {
  const ui::Asset* a = ui::findAsset(r.path == "/" ? "/index.html" : r.path);
  if (!a) return error(404, "not found");
  Reply reply;
  reply.contentType = std::string(a->contentType);
  reply.body = std::string(a->data);
  return reply;
}

struct Route {
  const char* path;
  Access access;
  bool writable;  ///< accepts PUT
  Handler fn;
};

constexpr Route kRoutes[] = {
    {"/api/v1/servers/localhost", Access::ServerInfo, false, serverInfoHandler},
    {"/api/v1/servers/localhost/statistics", Access::Api, false, statisticsHandler},
    {"/api/v1/servers/localhost/config", Access::Api, false, configHandler},
    {"/api/v1/servers/localhost/config/allow-from", Access::Api, true, allowFromHandler},
    {"/api/v1/servers/localhost/pool", Access::Api, false, poolHandler},
    {"/api/v1/servers/localhost/recent", Access::ServerInfo, false, recentHandler},
    {"/jsonstat", Access::Stats, false, jsonstatHandler},
    {"/metrics", Access::Stats, false, metricsHandler},
};

Reply unauthorized(Access a) {
  Reply r;
  r.status = 401;
  r.contentType = "text/plain";
  r.body = "Unauthorized\n";
  if (a == Access::Dashboard || a == Access::ServerInfo)
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"PowerDNS\"");
  return r;
}

Reply luaHandler(const WebHandler& h, const WebRequest& req) {
  WebResponse resp;
  if (!h(req, resp)) return error(500, "the web handler failed");
  Reply r;
  r.status = resp.status;
  r.contentType.clear();
  r.body = std::move(resp.body);
  for (auto& [k, v] : resp.headers) r.headers.emplace_back(k, v);
  return r;
}

}  // namespace

bool authorized(const WebConfig& cfg, const WebRequest& r, Access a) {
  bool required = a == Access::Api     ? cfg.apiRequiresAuthentication
                  : a == Access::Stats ? cfg.statsRequireAuthentication
                                       : cfg.dashboardRequiresAuthentication;
  if (!required) return true;
  if (a != Access::Dashboard && !cfg.apiKey.empty()) {
    auto it = r.headers.find("x-api-key");
    if (it != r.headers.end() && cfg.apiKey.matches(it->second)) return true;
  }
  if (a != Access::Api && !cfg.password.empty()) {
    auto it = r.headers.find("authorization");
    if (it != r.headers.end()) {
      auto pw = basicAuthPassword(it->second);
      if (pw && cfg.password.matches(*pw)) return true;
    }
  }
  return false;
}

Reply handle(Service& s, const WebConfig& cfg, const WebRequest& r) {
  for (const auto& route : kRoutes) {
    if (r.path != route.path) continue;
    if (!authorized(cfg, r, route.access)) return unauthorized(route.access);
    if (r.method != "GET" && r.method != "HEAD" && !(route.writable && r.method == "PUT"))
      return error(405, "method not allowed");
    return route.fn(s, cfg, r);
  }
  if (WebHandler h = s.handler(r.path)) {
    if (!authorized(cfg, r, Access::Api)) return unauthorized(Access::Api);
    return luaHandler(h, r);
  }
  // An API path that does not exist (another server than localhost, a typo): 404 for those
  // allowed to ask, as dnsdist.
  if (r.path.rfind("/api/", 0) == 0) {
    if (!authorized(cfg, r, Access::Api)) return unauthorized(Access::Api);
    return error(404, "not found");
  }
  // Everything else is the dashboard's, behind its password, even when it does not exist.
  if (!authorized(cfg, r, Access::Dashboard)) return unauthorized(Access::Dashboard);
  if (r.method != "GET" && r.method != "HEAD") return error(405, "method not allowed");
  return dashboardHandler(s, cfg, r);
}

}  // namespace ballast::web
