// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <vector>

#include "core/pipeline.hh"
#include "core/rules/actions.hh"
#include "core/rules/apply.hh"
#include "core/rules/http.hh"
#include "core/rules/selectors.hh"
#include "core/runtime.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
using namespace ballast::core;
namespace r = ballast::core::rules;

namespace {

class CountingBackend : public Backend {
 public:
  explicit CountingBackend(std::string name, std::vector<std::string> pools = {})
      : Backend(std::move(name), 1, 1) {
    setPools(std::move(pools));
  }
  std::string addressString() const override { return "192.0.2.1:53"; }
  void start() override {}
  void stop() override {}
  bool submit(Query&, const Completion&) override {
    ++submitted;
    return true;
  }
  uint32_t outstanding() const override { return 0; }
  int submitted = 0;
};

struct Fixture {
  Runtime rt;
  std::vector<uint8_t> buf;
  QueryContext q;
  UdpSender out;
  std::shared_ptr<CountingBackend> main = std::make_shared<CountingBackend>("main");
  std::shared_ptr<CountingBackend> other =
      std::make_shared<CountingBackend>("other", std::vector<std::string>{"other"});
  Fixture() {
    rt.addServer(main);
    rt.addServer(other);
  }
  void add(r::SelectorPtr s, r::ActionPtr a) {
    auto rule = std::make_shared<r::QueryRule>();
    rule->selector = std::move(s);
    rule->action = std::move(a);
    rule->id = r::nextRuleId();
    rt.update([&](RuntimeConfig& c) { c.rules.query.push_back(rule); });
  }
  QueryAction ask(const char* name, uint16_t qtype = dns::qtype::A,
                  const char* client = "127.0.0.1:4000", HttpRequest* http = nullptr) {
    buf.clear();
    dns::MessageWriter w(buf, 7, dns::Name::fromString(name), qtype);
    w.header().setRd(true);
    size_t len = buf.size();
    buf.resize(512);
    q = QueryContext{};
    q.packet = buf.data();
    q.length = len;
    q.capacity = buf.size();
    q.destination.client = Address::parse(client);
    q.destination.local = Address::parse("127.0.0.1:53");
    q.http = http;
    return processQuery(q, *rt.config.load(), rt.stats, out);
  }
  uint8_t rcode() const { return dns::HeaderView(buf.data()).rcode(); }
};

}  // namespace

TEST_CASE("no rule: forwarded to the default pool") {
  Fixture f;
  CHECK(f.ask("a.example") == QueryAction::Forwarded);
  CHECK(f.main->submitted == 1);
}

TEST_CASE("selectors and actions in order; the first deciding action wins") {
  Fixture f;
  f.add(r::qtypeRule(dns::qtype::AAAA), r::rcodeAction(dns::rcode::Refused));
  f.add(r::makeRule({"drop.example"}), r::dropAction());
  f.add(r::makeRule({"pool.example"}), r::poolAction("other", true));
  f.add(r::makeRule({"pool.example"}), r::dropAction());  // never reached
  f.add(r::makeRule({"10.0.0.0/8"}), r::rcodeAction(dns::rcode::NXDomain));
  CHECK(f.ask("x.example", dns::qtype::AAAA) == QueryAction::Answer);
  CHECK(f.rcode() == dns::rcode::Refused);
  CHECK(f.rt.stats.ruleRefused.value() == 1);
  CHECK(f.ask("www.drop.example") == QueryAction::Drop);
  CHECK(f.rt.stats.ruleDrop.value() == 1);
  CHECK(f.ask("www.pool.example") == QueryAction::Forwarded);
  CHECK(f.other->submitted == 1);
  CHECK(f.ask("a.example", dns::qtype::A, "10.1.2.3:5000") == QueryAction::Answer);
  CHECK(f.rcode() == dns::rcode::NXDomain);
  CHECK(f.ask("a.example") == QueryAction::Forwarded);
  CHECK(f.main->submitted == 1);
  auto cfg = f.rt.config.load();
  CHECK(cfg->rules.query[0]->matches.value() == 1);
  CHECK(cfg->rules.query[2]->matches.value() == 1);
  CHECK(cfg->rules.query[3]->matches.value() == 0);
}

TEST_CASE("a pool chosen by one query does not stick to the next") {
  Fixture f;
  f.add(r::makeRule({"pool.example"}), r::poolAction("other", true));
  CHECK(f.ask("pool.example") == QueryAction::Forwarded);
  CHECK(f.ask("else.example") == QueryAction::Forwarded);
  CHECK(f.other->submitted == 1);
  CHECK(f.main->submitted == 1);
}

TEST_CASE("tags, And/Or/Not, labels count") {
  Fixture f;
  f.add(r::allRule(), r::continueAction(r::setTagAction("k", "v")));
  f.add(r::andRule({r::tagRule("k", "v", false), r::notRule(r::rdRule())}), r::dropAction());
  f.add(r::orRule({r::qnameRule(dns::Name::fromString("a.example")), r::labelsCountRule(1, 2)}),
        r::rcodeAction(dns::rcode::Refused));
  CHECK(f.ask("a.example") == QueryAction::Answer);    // qname
  CHECK(f.ask("b.c.example") == QueryAction::Answer);  // 3 labels: outside [1, 2]
  CHECK(f.ask("b.example") == QueryAction::Forwarded);
  CHECK(f.q.tags.size() == 1);
}

TEST_CASE("MaxQPSIPRule counts per client network on the time given") {
  auto s = r::maxQpsIpRule(2, 24, 64, 2);
  r::DQ dq;
  Address a = Address::parse("192.0.2.1"), b = Address::parse("192.0.2.200"),
          c = Address::parse("198.51.100.1");
  dq.nowUsec = 1000000;
  dq.remote = &a;
  CHECK_FALSE(s->matches(dq));
  dq.remote = &b;  // same /24
  CHECK_FALSE(s->matches(dq));
  CHECK(s->matches(dq));
  dq.remote = &c;
  CHECK_FALSE(s->matches(dq));
  dq.nowUsec += 500000;  // one more token for the /24
  dq.remote = &a;
  CHECK_FALSE(s->matches(dq));
  CHECK(s->matches(dq));
}

TEST_CASE("factories reject bad arguments") {
  CHECK_THROWS_AS(r::regexRule("("), std::invalid_argument);
  CHECK_THROWS_AS(r::probaRule(2), std::invalid_argument);
  CHECK_THROWS_AS(r::labelsCountRule(3, 2), std::invalid_argument);
  CHECK_THROWS_AS(r::rcodeAction(16), std::invalid_argument);
  CHECK_THROWS_AS(r::spoofAction({}), std::invalid_argument);
  CHECK_THROWS_AS(r::makeRule({"10.0.0.0/8", "example.com"}), std::invalid_argument);
}

TEST_CASE("HTTP selectors match DoH queries only, on path, path regex and kept headers") {
  Fixture f;
  f.add(r::httpPathRule("/exact"), r::rcodeAction(dns::rcode::NXDomain));
  f.add(r::httpPathRegexRule("^/re[0-9]+$"), r::rcodeAction(dns::rcode::Refused));
  f.add(r::httpHeaderRule("X-Block", "^y"), r::dropAction());
  CHECK(f.ask("a.example") == QueryAction::Forwarded);  // not DoH: nothing HTTP matches
  HttpRequest h;
  h.path = "/exact";
  CHECK(f.ask("a.example", dns::qtype::A, "127.0.0.1:4000", &h) == QueryAction::Answer);
  CHECK(f.rcode() == dns::rcode::NXDomain);
  h.path = "/exact/more";  // HTTPPathRule is exact
  CHECK(f.ask("a.example", dns::qtype::A, "127.0.0.1:4000", &h) == QueryAction::Forwarded);
  h.path = "/RE42";  // dnsdist's regexes ignore case
  CHECK(f.ask("a.example", dns::qtype::A, "127.0.0.1:4000", &h) == QueryAction::Answer);
  CHECK(f.rcode() == dns::rcode::Refused);
  h.path = "/re42x";
  std::vector<std::pair<std::string, std::string>> headers{{"x-other", "yes"}};
  h.headers = headers;
  CHECK(f.ask("a.example", dns::qtype::A, "127.0.0.1:4000", &h) == QueryAction::Forwarded);
  headers.emplace_back("x-block", "yes");
  h.headers = headers;
  CHECK(f.ask("a.example", dns::qtype::A, "127.0.0.1:4000", &h) == QueryAction::Drop);
}

TEST_CASE("HTTPStatusAction answers DoH with a status and lets other queries go on") {
  Fixture f;
  f.add(r::allRule(), r::httpStatusAction(307, "https://example.net/", "", {}));
  f.add(r::qtypeRule(dns::qtype::AAAA), r::rcodeAction(dns::rcode::Refused));
  CHECK(f.ask("a.example") == QueryAction::Forwarded);  // not DoH: the next rules decide
  CHECK(f.ask("a.example", dns::qtype::AAAA) == QueryAction::Answer);
  CHECK(f.rcode() == dns::rcode::Refused);
  HttpRequest h;
  h.path = "/dns-query";
  CHECK(f.ask("a.example", dns::qtype::AAAA, "127.0.0.1:4000", &h) == QueryAction::Answer);
  CHECK(h.status == 307);
  CHECK(h.body == "https://example.net/");
  CHECK(dns::HeaderView(f.buf.data()).qr());
  CHECK(f.main->submitted == 1);  // the A query that was not DoH
  CHECK_THROWS_AS(r::httpStatusAction(99, "", "", {}), std::invalid_argument);
  CHECK_THROWS_AS(r::httpStatusAction(302, "http://a\r\nx: y", "", {}), std::invalid_argument);
  CHECK_THROWS_AS(r::httpPathRegexRule("("), std::invalid_argument);
  CHECK_THROWS_AS(r::httpHeaderRule("", "x"), std::invalid_argument);
}

TEST_CASE("DelayAction sets the UDP answer's delay and goes on; never over a stream") {
  Fixture f;
  f.add(r::makeRule({"slow.example"}), r::delayAction(250));
  f.add(r::makeRule({"slow.example"}), r::rcodeAction(dns::rcode::Refused));
  CHECK(f.ask("a.slow.example") == QueryAction::Answer);  // the next rule still ran
  CHECK(f.rcode() == dns::rcode::Refused);
  CHECK(f.q.destination.delayMsec == 250);
  CHECK(f.ask("other.example") == QueryAction::Forwarded);
  CHECK(f.q.destination.delayMsec == 0);

  // The same query over a stream frontend: no delay.
  struct NullSink : ResponseSink {
    void deliver(const Destination&, std::span<const uint8_t>) override {}
  } sink;
  std::vector<uint8_t> b;
  dns::MessageWriter w(b, 9, dns::Name::fromString("a.slow.example"), dns::qtype::A);
  size_t len = b.size();
  b.resize(512);
  QueryContext q;
  q.packet = b.data();
  q.length = len;
  q.capacity = b.size();
  q.destination.sink = &sink;
  q.destination.client = Address::parse("127.0.0.1:4000");
  CHECK(processQuery(q, *f.rt.config.load(), f.rt.stats, f.out) == QueryAction::Answer);
  CHECK(q.destination.delayMsec == 0);
}

TEST_CASE("DelayResponseAction sets the delay of a UDP response and not of a stream one") {
  Fixture f;
  auto rule = std::make_shared<r::ResponseRule>();
  rule->selector = r::allRule();
  rule->action = r::delayResponseAction(40);
  f.rt.update([&](RuntimeConfig& c) { c.rules.response.push_back(rule); });
  REQUIRE(f.ask("a.example") == QueryAction::Forwarded);
  // The query as its answer.
  dns::HeaderRef(f.buf.data()).setQr(true);
  size_t len = f.q.length;
  Destination d;
  d.client = Address::parse("127.0.0.1:4000");
  CHECK(r::processResponseChain(f.rt.config.load()->rules.response, f.buf.data(), len,
                                f.buf.size(), d, *f.rt.config.load(), 0));
  CHECK(d.delayMsec == 40);
  struct NullSink : ResponseSink {
    void deliver(const Destination&, std::span<const uint8_t>) override {}
  } sink;
  Destination s;
  s.sink = &sink;
  CHECK(r::processResponseChain(f.rt.config.load()->rules.response, f.buf.data(), len,
                                f.buf.size(), s, *f.rt.config.load(), 0));
  CHECK(s.delayMsec == 0);
}
