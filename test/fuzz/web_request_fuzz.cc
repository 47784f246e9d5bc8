// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for what the web server parses itself (evhttp parses HTTP): the
// Authorization header (basic auth, base64), stored-hash syntax, and a request through the
// authentication and routes, including a PUT body for /config/allow-from (JSON, netmasks).
// The input is split at NUL bytes: path, Authorization header, X-API-Key, body.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>
#include "test/fuzz/fuzz_check.hh"

#include "web/auth.hh"
#include "web/handlers.hh"

using namespace ballast;

namespace {

std::vector<std::string> split(std::string_view in, size_t parts) {
  std::vector<std::string> out;
  while (out.size() + 1 < parts) {
    size_t nul = in.find('\0');
    if (nul == std::string_view::npos) break;
    out.emplace_back(in.substr(0, nul));
    in.remove_prefix(nul + 1);
  }
  out.emplace_back(in);
  out.resize(parts);
  return out;
}

struct World {
  core::Runtime rt;
  web::Service service{rt, "fuzz"};
  web::WebConfig open, closed;
  World() {
    open.apiRequiresAuthentication = open.statsRequireAuthentication = false;
    open.dashboardRequiresAuthentication = false;
    open.apiWritable = true;
    closed.password = web::Credential::fromConfig("pw", false);
    closed.apiKey = web::Credential::fromConfig("key", false);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = new World();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parts = split(in, 4);

  if (auto decoded = web::base64Decode(parts[1])) {
    // What decodes encodes back to the same text when the input was canonical.
    std::string again = web::base64Encode(*decoded);
    FUZZ_CHECK(web::base64Decode(again) == decoded);
  }
  auto pw = web::basicAuthPassword(parts[1]);
  if (pw) FUZZ_CHECK(pw->size() < parts[1].size());
  (void)web::isHashedPassword(parts[2]);

  web::WebRequest r;
  r.path = parts[0].empty() ? "/" : parts[0];
  r.method = parts[3].empty() ? "GET" : "PUT";
  r.headers["authorization"] = parts[1];
  r.headers["x-api-key"] = parts[2];
  r.body = parts[3];
  r.getvars["name"] = parts[2];
  r.getvars["command"] = "stats";
  // Without credentials the closed server must refuse every API and dashboard path.
  web::Reply refused = web::handle(w->service, w->closed, r);
  bool credentials = (pw && *pw == "pw") || parts[2] == "key";
  if (!credentials) FUZZ_CHECK(refused.status == 401);
  web::Reply open = web::handle(w->service, w->open, r);
  FUZZ_CHECK(open.status >= 200 && open.status <= 599);
  return 0;
}
