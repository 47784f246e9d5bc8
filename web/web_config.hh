// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What setWebserverConfig and setAPIWritable set: credentials, ACL, headers, what needs
/// authentication, limits. Replaced as a whole (copy, edit, publish) like the runtime
/// snapshot; the web thread reads one copy per request.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/netmask.hh"
#include "web/auth.hh"

namespace ballast::web {

struct WebConfig {
  Credential password;  ///< the dashboard's basic-auth password (also accepted by the API)
  Credential apiKey;    ///< X-API-Key for /api, /jsonstat and /metrics
  core::NetmaskGroup acl = defaultWebAcl();
  std::vector<std::pair<std::string, std::string>> customHeaders;
  bool statsRequireAuthentication = true;
  bool apiRequiresAuthentication = true;
  bool dashboardRequiresAuthentication = true;
  bool hashPlaintextCredentials = false;
  bool apiWritable = false;  ///< setAPIWritable: PUT on /config/allow-from
  size_t maxConcurrentConnections = 100;

  static core::NetmaskGroup defaultWebAcl() {
    core::NetmaskGroup g;
    g.add("127.0.0.1/8");
    g.add("::1/128");
    return g;
  }
};

/// Limits of the HTTP server itself (not configurable from Lua yet).
constexpr size_t kMaxHeadersSize = 16 * 1024;
constexpr size_t kMaxBodySize = 64 * 1024;
constexpr int kRequestTimeoutSec = 10;  ///< reading a request, idle keep-alive, writing

}  // namespace ballast::web
