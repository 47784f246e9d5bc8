// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <nlohmann/json.hpp>

#include "web/handlers.hh"

using namespace ballast;
using namespace ballast::web;

namespace {

WebRequest get(std::string path) {
  WebRequest r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

struct Fixture {
  core::Runtime rt;
  Service service{rt, "test"};
  WebConfig cfg;
  Fixture() {
    cfg.password = Credential::fromConfig("pw", false);
    cfg.apiKey = Credential::fromConfig("key", false);
  }
};

}  // namespace

TEST_CASE("the API wants the key; nothing leaks on 401") {
  Fixture f;
  WebRequest r = get("/api/v1/servers/localhost/statistics");
  Reply no = handle(f.service, f.cfg, r);
  CHECK(no.status == 401);
  CHECK(no.body == "Unauthorized\n");
  r.headers["x-api-key"] = "wrong";
  CHECK(handle(f.service, f.cfg, r).status == 401);
  r.headers["x-api-key"] = "key";
  CHECK(handle(f.service, f.cfg, r).status == 200);
  r.headers.erase("x-api-key");
  r.headers["authorization"] = "Basic " + base64Encode("admin:pw");
  CHECK(handle(f.service, f.cfg, r).status == 401);  // dnsdist: the key only
  // The overview and the statistics take either (dnsdist's table of endpoints).
  for (const char* path : {"/api/v1/servers/localhost", "/jsonstat", "/metrics"}) {
    WebRequest o = get(path);
    o.getvars["command"] = "stats";
    CHECK(handle(f.service, f.cfg, o).status == 401);
    o.headers["authorization"] = "Basic " + base64Encode("admin:pw");
    CHECK(handle(f.service, f.cfg, o).status == 200);
    o.headers.erase("authorization");
    o.headers["x-api-key"] = "key";
    CHECK(handle(f.service, f.cfg, o).status == 200);
  }
}

TEST_CASE("the dashboard wants the password, not the key") {
  Fixture f;
  WebRequest r = get("/");
  r.headers["x-api-key"] = "key";
  Reply no = handle(f.service, f.cfg, r);
  CHECK(no.status == 401);
  CHECK(no.headers.size() == 1);
  r.headers["authorization"] = "Basic " + base64Encode("admin:pw");
  Reply yes = handle(f.service, f.cfg, r);
  CHECK(yes.status == 200);
  CHECK(yes.contentType.rfind("text/html", 0) == 0);
  CHECK(handle(f.service, f.cfg, get("/nothing-here")).status == 401);
}

TEST_CASE("authentication can be turned off per area") {
  Fixture f;
  f.cfg.statsRequireAuthentication = false;
  CHECK(handle(f.service, f.cfg, get("/metrics")).status == 200);
  CHECK(handle(f.service, f.cfg, get("/jsonstat?command=stats")).status == 401);
  f.cfg.apiRequiresAuthentication = false;
  WebRequest r = get("/jsonstat");
  r.getvars["command"] = "stats";
  Reply stats = handle(f.service, f.cfg, r);
  CHECK(stats.status == 200);
  auto doc = nlohmann::json::parse(stats.body);
  CHECK(doc["queries"] == 0);
}

TEST_CASE("allow-from is written only when the API is writable") {
  Fixture f;
  f.cfg.apiRequiresAuthentication = false;
  WebRequest r = get("/api/v1/servers/localhost/config/allow-from");
  r.method = "PUT";
  r.body = R"({"value": ["192.0.2.0/24"]})";
  CHECK(handle(f.service, f.cfg, r).status == 405);
  f.cfg.apiWritable = true;
  Reply ok = handle(f.service, f.cfg, r);
  CHECK(ok.status == 200);
  CHECK(nlohmann::json::parse(ok.body)["value"] == nlohmann::json::array({"192.0.2.0/24"}));
  r.body = R"({"value": ["not a netmask"]})";
  CHECK(handle(f.service, f.cfg, r).status == 400);
  r.body = "{";
  CHECK(handle(f.service, f.cfg, r).status == 400);
  CHECK(f.rt.config.load()->acl.toStrings() == std::vector<std::string>{"192.0.2.0/24"});
}

TEST_CASE("unknown pool is 404, missing name 400") {
  Fixture f;
  f.cfg.apiRequiresAuthentication = false;
  WebRequest r = get("/api/v1/servers/localhost/pool");
  CHECK(handle(f.service, f.cfg, r).status == 400);
  r.getvars["name"] = "nope";
  CHECK(handle(f.service, f.cfg, r).status == 404);
}

TEST_CASE("names that are not UTF-8 are answered, not thrown") {
  Fixture f;
  f.cfg.apiRequiresAuthentication = false;
  WebRequest r = get("/api/v1/servers/localhost/pool");
  r.getvars["name"] = "\x9f\xff";
  Reply reply = handle(f.service, f.cfg, r);
  CHECK(reply.status == 404);
  CHECK(nlohmann::json::parse(reply.body)["error"].get<std::string>().find("\xef\xbf\xbd") !=
        std::string::npos);
}
