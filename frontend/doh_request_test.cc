// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/doh_request.hh"

#include <doctest.h>

#include <string>
#include <vector>

#include "dns/test_packet.hh"

using namespace ballast;
using frontend::DohRequest;
using frontend::DohSettings;

namespace {

std::vector<uint8_t> query() {
  dns::testing::PacketBuilder p;
  p.header(0, 0x0100, 1, 0, 0, 0).name("example.com").u16(1).u16(1);
  return p.vec();
}

// RFC 8484 section 4.1.1's example: "www.example.com. A", ID 0, RD.
const char kRfcGet[] = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";

int check(const DohSettings& s, const DohRequest& r, std::vector<uint8_t>& out) {
  out.assign(65535, 0);
  size_t len = 0;
  int status = frontend::requestToQuery(s, r, out.data(), out.size(), len);
  out.resize(status == 200 ? len : 0);
  return status;
}

}  // namespace

TEST_CASE("base64url decoding without padding") {
  uint8_t out[64];
  size_t len = 0;
  REQUIRE(frontend::decodeBase64Url("AAABAAAB", out, sizeof(out), len));
  CHECK(len == 6);
  CHECK(out[2] == 1);
  CHECK(frontend::decodeBase64Url("-_8", out, sizeof(out), len));
  CHECK(len == 2);
  CHECK(out[0] == 0xfb);
  CHECK(out[1] == 0xff);
  CHECK(frontend::decodeBase64Url("QQ==", out, sizeof(out), len));  // padding tolerated
  CHECK(len == 1);
  CHECK_FALSE(frontend::decodeBase64Url("A+B/", out, sizeof(out), len));   // not url-safe
  CHECK_FALSE(frontend::decodeBase64Url("AAAAA", out, sizeof(out), len));  // 5 chars: 30 bits
  CHECK_FALSE(frontend::decodeBase64Url("AAAAAAAA", out, 5, len));         // over capacity
}

TEST_CASE("query string parameters") {
  CHECK(frontend::queryParameter("dns=abc", "dns") == "abc");
  CHECK(frontend::queryParameter("ct=x&dns=abc&z", "dns") == "abc");
  CHECK(frontend::queryParameter("dnsx=1&xdns=2", "dns") == std::nullopt);
  CHECK(frontend::queryParameter("dns", "dns") == "");
  CHECK(frontend::queryParameter("", "dns") == std::nullopt);
}

TEST_CASE("requests become queries or statuses") {
  DohSettings s;
  std::vector<uint8_t> out;
  std::string get = std::string("/dns-query?dns=") + kRfcGet;
  REQUIRE(check(s, {"GET", get, "", {}}, out) == 200);
  CHECK(out.size() == 33);
  auto q = query();
  CHECK(check(s, {"POST", "/dns-query", "application/dns-message", q}, out) == 200);
  CHECK(out == q);
  CHECK(check(s, {"POST", "/dns-query", "Application/DNS-Message; charset=x", q}, out) == 200);
  CHECK(check(s, {"GET", "/other?dns=AAAA", "", {}}, out) == 404);
  CHECK(check(s, {"GET", "/dns-query/x?dns=" + std::string(kRfcGet), "", {}}, out) == 404);
  CHECK(check(s, {"PUT", "/dns-query", "application/dns-message", q}, out) == 405);
  CHECK(check(s, {"GET", "/dns-query", "", {}}, out) == 400);
  CHECK(check(s, {"GET", "/dns-query?dns=%%%", "", {}}, out) == 400);
  CHECK(check(s, {"GET", "/dns-query?dns=AAAA", "", {}}, out) == 400);  // 3 bytes: no DNS
  CHECK(check(s, {"POST", "/dns-query", "text/plain", q}, out) == 415);
  CHECK(check(s, {"POST", "/dns-query", "application/dns-message", q, true}, out) == 413);
  std::string huge = "/dns-query?dns=" + std::string(90000, 'A');
  CHECK(check(s, {"GET", huge, "", {}}, out) == 413);
  auto response = dns::testing::exampleResponse();
  CHECK(check(s, {"POST", "/dns-query", "application/dns-message", response}, out) == 400);
  s.exactPathMatching = false;
  CHECK(check(s, {"GET", "/dns-query/x?dns=" + std::string(kRfcGet), "", {}}, out) == 200);
}

TEST_CASE("Cache-Control max-age is the smallest answer or authority TTL") {
  auto r = dns::testing::exampleResponse();  // CNAME 300, A 60, NS 3600, glue 3600
  CHECK(frontend::answerMaxAge(r) == 60u);
  CHECK(frontend::answerMaxAge(query()) == std::nullopt);
  r.resize(20);
  CHECK(frontend::answerMaxAge(r) == std::nullopt);
}

TEST_CASE("responses map entries are checked when made") {
  using frontend::DohResponseMapEntry;
  frontend::HttpHeaders ok{{"x-a", "1"}};
  DohResponseMapEntry e("^/static", 200, "content", ok);
  CHECK(e.regex.search("/STATIC/page"));  // dnsdist's regexes ignore case, unanchored
  CHECK_FALSE(e.regex.search("/other"));
  CHECK_THROWS_AS(DohResponseMapEntry("(", 200, "x", std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(DohResponseMapEntry("^/", 600, "x", std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(DohResponseMapEntry("^/", 302, "http://a\r\nset-cookie: x", std::nullopt),
                  std::invalid_argument);
  CHECK_NOTHROW(DohResponseMapEntry("^/", 404, "two\nlines are fine in a body", std::nullopt));
  frontend::HttpHeaders bad{{"x-a", std::string("v\0w", 3)}};
  CHECK_THROWS_AS(DohResponseMapEntry("^/", 200, "x", bad), std::invalid_argument);
  CHECK_THROWS_AS(DohResponseMapEntry("^/", 200, "x", frontend::HttpHeaders{{"", "v"}}),
                  std::invalid_argument);
}
