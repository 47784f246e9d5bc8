// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include "backends/health/health_state.hh"
#include "dns/header.hh"
#include "dns/message.hh"
#include "dns/types.hh"

using namespace ballast;
using backends::health::HealthState;
using backends::health::Transition;

namespace {
constexpr int64_t kSec = 1000000;

core::HealthCheckConfig config(int failures, int rise) {
  core::HealthCheckConfig c;
  c.maxCheckFailures = failures;
  c.rise = rise;
  c.intervalSec = 1;
  c.timeoutMs = 500;
  return c;
}

// One check at `now` answered with `ok`; returns the transition.
Transition check(HealthState& s, int64_t now, bool ok) {
  REQUIRE(s.due(now));
  return s.answered(s.sent(now), ok);
}

// Turns `q` into a response to itself with `rcode`.
std::vector<uint8_t> respond(std::vector<uint8_t> q, uint8_t rcode) {
  dns::HeaderRef h(q.data());
  h.setQr(true);
  h.setRcode(rcode);
  return q;
}
}  // namespace

TEST_CASE("health: starts up and checks at once, then once per interval") {
  HealthState s(config(1, 1));
  CHECK(s.up());
  CHECK(s.due(0));
  s.sent(0);
  CHECK_FALSE(s.due(2 * kSec));  // one check in flight at a time
  s.answered(1, true);
  CHECK_FALSE(s.due(kSec - 1));
  CHECK(s.due(kSec));
}

TEST_CASE("health: maxCheckFailures consecutive failures take it down") {
  HealthState s(config(3, 1));
  CHECK(check(s, 0, false) == Transition::None);
  CHECK(check(s, 1 * kSec, false) == Transition::None);
  CHECK(check(s, 2 * kSec, true) == Transition::None);  // a success resets the count
  CHECK(check(s, 3 * kSec, false) == Transition::None);
  CHECK(check(s, 4 * kSec, false) == Transition::None);
  CHECK(s.up());
  CHECK(check(s, 5 * kSec, false) == Transition::WentDown);
  CHECK_FALSE(s.up());
  CHECK(check(s, 6 * kSec, false) == Transition::None);  // stays down, no second transition
}

TEST_CASE("health: rise consecutive successes bring it back") {
  HealthState s(config(1, 2));
  CHECK(check(s, 0, false) == Transition::WentDown);
  CHECK(check(s, 1 * kSec, true) == Transition::None);
  CHECK(check(s, 2 * kSec, false) == Transition::None);  // a failure resets the rise
  CHECK(check(s, 3 * kSec, true) == Transition::None);
  CHECK_FALSE(s.up());
  CHECK(check(s, 4 * kSec, true) == Transition::WentUp);
  CHECK(s.up());
}

TEST_CASE("health: an unanswered check fails at checkTimeout; its late answer is ignored") {
  HealthState s(config(1, 1));
  uint32_t seq = s.sent(0);
  CHECK(s.tick(499999) == Transition::None);
  CHECK(s.inFlight());
  CHECK(s.tick(500000) == Transition::WentDown);
  CHECK_FALSE(s.inFlight());
  CHECK(s.answered(seq, true) == Transition::None);  // too late
  CHECK_FALSE(s.up());
  CHECK_FALSE(s.due(kSec - 1));
  uint32_t next = s.sent(kSec);
  CHECK(next != seq);
  CHECK(s.answered(seq, true) == Transition::None);  // the old check still does not count
  CHECK(s.answered(next, true) == Transition::WentUp);
}

TEST_CASE("health: the check query carries the configured question and flags") {
  core::HealthCheckConfig c;
  auto q = backends::health::buildCheckQuery(c, 0x1234);
  dns::MessageView m;
  REQUIRE((dns::MessageView::parse(q, m) == dns::ParseError::None));
  CHECK(m.header().id() == 0x1234);
  CHECK_FALSE(m.header().qr());
  CHECK(m.header().rd());
  CHECK_FALSE(m.header().cd());
  CHECK(m.question().name.equals(dns::Name::fromString("a.root-servers.net.")));
  CHECK(m.question().qtype == 1);
  CHECK(m.question().qclass == 1);

  c.checkName = dns::Name::fromString("health.example.");
  c.checkType = 6;  // SOA
  c.checkClass = 3;
  c.useRD = false;
  c.setCD = true;
  q = backends::health::buildCheckQuery(c, 7);
  REQUIRE((dns::MessageView::parse(q, m) == dns::ParseError::None));
  CHECK_FALSE(m.header().rd());
  CHECK(m.header().cd());
  CHECK(m.question().name.equals(dns::Name::fromString("HEALTH.example.")));
  CHECK(m.question().qtype == 6);
  CHECK(m.question().qclass == 3);
}

TEST_CASE("health: verdict on answers") {
  using backends::health::checkResponse;
  core::HealthCheckConfig c;
  auto q = backends::health::buildCheckQuery(c, 1);
  CHECK_FALSE(checkResponse(q, c));  // QR clear: not an answer
  CHECK(checkResponse(respond(q, dns::rcode::NoError), c));
  CHECK(checkResponse(respond(q, dns::rcode::NXDomain), c));
  CHECK(checkResponse(respond(q, dns::rcode::Refused), c));
  CHECK_FALSE(checkResponse(respond(q, dns::rcode::ServFail), c));
  CHECK_FALSE(checkResponse(std::vector<uint8_t>{0, 1, 0x80}, c));  // truncated header

  c.mustResolve = true;
  CHECK(checkResponse(respond(q, dns::rcode::NoError), c));
  CHECK_FALSE(checkResponse(respond(q, dns::rcode::NXDomain), c));
  CHECK_FALSE(checkResponse(respond(q, dns::rcode::Refused), c));

  core::HealthCheckConfig other = c;
  other.checkType = 28;
  CHECK_FALSE(checkResponse(respond(backends::health::buildCheckQuery(other, 1), 0), c));
  other = c;
  other.checkName = dns::Name::fromString("b.root-servers.net.");
  CHECK_FALSE(checkResponse(respond(backends::health::buildCheckQuery(other, 1), 0), c));
}

TEST_CASE("health: sync takes the backend's state and restarts the counts") {
  HealthState s(config(2, 2));
  CHECK(check(s, 0, false) == Transition::None);  // one failure of two
  s.sync(false);                                  // setAuto(false)
  CHECK_FALSE(s.up());
  CHECK(check(s, 1 * kSec, true) == Transition::None);
  CHECK(check(s, 2 * kSec, true) == Transition::WentUp);
  CHECK(check(s, 3 * kSec, false) == Transition::None);
  s.sync(true);  // unchanged: the failure still counts
  CHECK(check(s, 4 * kSec, false) == Transition::WentDown);
}
