// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <memory>
#include <string>

#include "backends/health/health_state.hh"
#include "dns/header.hh"
#include "dns/message.hh"

namespace ballast {
namespace {

using backends::health::buildCheckQuery;
using backends::health::CheckQuestion;
using backends::health::checkResponse;

/// A checkFunction written in C++: asks `name`/AAAA with CD set, or fails.
class FakeBuilder final : public core::CheckQueryBuilder {
 public:
  bool fail = false;
  int calls = 0;
  bool build(dns::Name& qname, uint16_t& qtype, uint16_t& qclass, uint8_t* header,
             std::string& error) override {
    ++calls;
    CHECK(dns::HeaderRef(header).rd());  // the configured flags come in
    if (fail) {
      error = "boom";
      return false;
    }
    qname = dns::Name::fromString("fn.example.");
    qtype = 28;
    qclass = 1;
    dns::HeaderRef(header).setCd(true);
    dns::HeaderRef(header).setId(0xffff);  // ignored: the checker's ID is kept
    return true;
  }
};

std::vector<uint8_t> respond(std::vector<uint8_t> q) {
  dns::HeaderRef(q.data()).setQr(true);
  return q;
}

TEST_CASE("health: checkFunction rewrites the question and the header") {
  core::HealthCheckConfig c;
  auto fn = std::make_shared<FakeBuilder>();
  c.checkFunction = fn;
  CheckQuestion asked;
  std::string error;
  auto q = buildCheckQuery(c, 0x4242, asked, error);
  REQUIRE_FALSE(q.empty());
  CHECK(fn->calls == 1);
  dns::MessageView m;
  REQUIRE((dns::MessageView::parse(q, m) == dns::ParseError::None));
  CHECK(m.header().id() == 0x4242);
  CHECK(m.header().cd());
  CHECK(m.header().rd());
  CHECK(m.question().name.equals(dns::Name::fromString("fn.example.")));
  CHECK(m.question().qtype == 28);
  CHECK(asked.name == dns::Name::fromString("fn.example."));
  CHECK(asked.type == 28);

  // The answer is judged against the question asked, not the configured one.
  CHECK(checkResponse(respond(q), c, asked));
  CHECK_FALSE(checkResponse(respond(q), c));
}

TEST_CASE("health: a failing checkFunction gives no query and says why") {
  core::HealthCheckConfig c;
  auto fn = std::make_shared<FakeBuilder>();
  fn->fail = true;
  c.checkFunction = fn;
  CheckQuestion asked;
  std::string error;
  CHECK(buildCheckQuery(c, 1, asked, error).empty());
  CHECK(error == "boom");
}

TEST_CASE("health: without checkFunction the question asked is the configured one") {
  core::HealthCheckConfig c;
  c.checkName = dns::Name::fromString("plain.example.");
  CheckQuestion asked;
  std::string error;
  auto q = buildCheckQuery(c, 9, asked, error);
  CHECK(q == buildCheckQuery(c, 9));
  CHECK(asked.name == c.checkName);
  CHECK(checkResponse(respond(q), c, asked));
}

}  // namespace
}  // namespace ballast
