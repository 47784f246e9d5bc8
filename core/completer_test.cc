// SPDX-License-Identifier: GPL-2.0-only
#include "core/completer.hh"

#include <doctest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/pipeline.hh"
#include "core/rules/actions.hh"
#include "core/rules/selectors.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast::core;
namespace dns = ballast::dns;

namespace {

/// Keeps the handle of the last query it was given, as a real backend does.
class HoldingBackend : public Backend {
 public:
  HoldingBackend() : Backend("held", 1, 1) {}
  std::string addressString() const override { return "192.0.2.1:53"; }
  void start() override {}
  void stop() override {}
  bool submit(Query&, const Completion& done) override {
    last = done;
    return true;
  }
  uint32_t outstanding() const override { return 0; }
  Completion last;
};

/// A stream frontend: keeps what it is given.
struct Sink : ResponseSink {
  void deliver(const Destination&, std::span<const uint8_t> r) override {
    answers.emplace_back(r.begin(), r.end());
  }
  void deliverPart(const Destination& d, std::span<const uint8_t> r, AnswerPart part) override {
    parts.push_back(part);
    if (part != AnswerPart::Abort) deliver(d, r);
  }
  std::vector<std::vector<uint8_t>> answers;
  std::vector<AnswerPart> parts;
};

std::vector<uint8_t> makeQuery(const char* name, uint16_t id, bool edns = false,
                               uint16_t qtype = dns::qtype::A) {
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, id, dns::Name::fromString(name), qtype);
  w.header().setRd(true);
  if (edns) w.addOpt(1232, false);
  return buf;
}

std::vector<uint8_t> makeAnswer(const char* name, uint16_t id, uint8_t rcode = 0,
                                uint16_t qtype = dns::qtype::A) {
  std::vector<uint8_t> r;
  dns::MessageWriter w(r, id, dns::Name::fromString(name), qtype);
  w.header().setQr(true);
  w.header().setRcode(rcode);
  if (rcode == dns::rcode::NoError) {
    w.startRecord(dns::Name::fromString(name), dns::qtype::A, 1, 60, dns::Section::Answer);
    w.putU32(0xc0000201);
    w.commit();
  }
  return r;
}

struct World {
  Runtime rt;
  std::shared_ptr<HoldingBackend> backend = std::make_shared<HoldingBackend>();
  std::shared_ptr<PacketCache> cache;
  Sink sink;
  UdpSender out;
  std::vector<uint8_t> buf;

  World() { rt.addServer(backend); }
  void withCache() {
    PacketCacheOptions o;
    o.maxEntries = 100;
    o.shards = 1;
    cache = std::make_shared<PacketCache>(o);
    rt.keepCache(cache);
    rt.update([&](RuntimeConfig& c) {
      auto p = std::make_shared<Pool>(*c.pools.at(""));
      p->cache = cache.get();
      c.pools[""] = p;
    });
  }
  /// A stream client's query through processQuery; the backend holds its handle.
  /// `transfer`: as DNS over TCP marks an AXFR or IXFR query (Destination::transferClosed).
  QueryAction ask(const char* name, uint16_t id, bool edns = false, uint16_t qtype = dns::qtype::A,
                  std::shared_ptr<std::atomic<bool>> transfer = nullptr) {
    buf = makeQuery(name, id, edns, qtype);
    size_t len = buf.size();
    buf.resize(4096);
    QueryContext q;
    q.packet = buf.data();
    q.length = len;
    q.capacity = buf.size();
    q.destination.client = Address::parse("127.0.0.1:4000");
    q.destination.sink = &sink;
    q.destination.stream = true;
    q.destination.transferClosed = std::move(transfer);
    return processQuery(q, *rt.config.load(), rt.stats, out);
  }
  Completer::Result answer(Completer& c, std::vector<uint8_t> r) {
    size_t len = r.size();
    r.resize(4096);
    return c.complete(*backend, backend->last, r.data(), len, r.size());
  }
};

}  // namespace

TEST_CASE("an answer is checked against the question, restored for the client and counted") {
  World w;
  w.rt.update([](RuntimeConfig& c) { c.settings.fixupCase = true; });
  Completer c(w.rt);
  REQUIRE(w.ask("WwW.Example.COM", 0x4242) == QueryAction::Forwarded);
  CHECK(c.complete(*w.backend, w.backend->last, nullptr, 0, 0) == Completer::Result::Mismatch);
  CHECK(w.answer(c, makeAnswer("www.example.com", 9, 0, dns::qtype::AAAA)) ==
        Completer::Result::Mismatch);
  CHECK(w.answer(c, makeAnswer("www.example.org", 9)) == Completer::Result::Mismatch);
  CHECK(w.rt.stats.nonCompliantResponses.value() == 3);
  CHECK(w.sink.answers.empty());

  CHECK(w.answer(c, makeAnswer("www.example.com", 9)) == Completer::Result::Done);
  REQUIRE(w.sink.answers.size() == 1);
  const auto& a = w.sink.answers[0];
  CHECK(dns::HeaderView(a.data()).id() == 0x4242);
  const char* wire =
      "\x03WwW\x07"
      "Example\x03"
      "COM";
  CHECK(std::memcmp(a.data() + 12, wire, 17) == 0);
  CHECK(w.rt.stats.responses.value() == 1);
  CHECK(w.rt.stats.frontendNoError.value() == 1);
  CHECK(w.backend->stats.responses.value() == 1);
  CHECK(w.rt.stats.latency.count() == 1);
}

TEST_CASE("answers without a question: errors relayed, NOERROR/NXDOMAIN only on request") {
  World w;
  Completer c(w.rt);
  REQUIRE(w.ask("a.example", 0x0102) == QueryAction::Forwarded);
  auto empty = [](uint8_t rcode) {
    std::vector<uint8_t> r = {0, 9, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    dns::HeaderRef(r.data()).setRcode(rcode);
    return r;
  };
  for (uint8_t rc : {dns::rcode::FormErr, dns::rcode::ServFail, dns::rcode::Refused})
    CHECK(w.answer(c, empty(rc)) == Completer::Result::Done);
  REQUIRE(w.sink.answers.size() == 3);
  CHECK(dns::HeaderView(w.sink.answers[0].data()).id() == 0x0102);
  CHECK(w.answer(c, empty(dns::rcode::NoError)) == Completer::Result::Mismatch);
  w.rt.update([](RuntimeConfig& cfg) { cfg.settings.allowEmptyResponse = true; });
  CHECK(w.answer(c, empty(dns::rcode::NoError)) == Completer::Result::Done);
}

TEST_CASE("the answer goes into the pool's cache after the response rules, not when dropped") {
  World w;
  w.withCache();
  Completer c(w.rt);
  REQUIRE(w.ask("kept.example", 1) == QueryAction::Forwarded);
  w.answer(c, makeAnswer("kept.example", 1));
  CHECK(w.ask("kept.example", 2) == QueryAction::Answer);  // a hit now

  auto rule = std::make_shared<rules::ResponseRule>();
  rule->selector = rules::allRule();
  rule->action = rules::dropResponseAction();
  w.rt.update([&](RuntimeConfig& cfg) { cfg.rules.response.push_back(rule); });
  REQUIRE(w.ask("dropped.example", 3) == QueryAction::Forwarded);
  CHECK(w.answer(c, makeAnswer("dropped.example", 3)) == Completer::Result::Done);
  CHECK(w.sink.answers.size() == 1);                             // only the first
  CHECK(w.ask("dropped.example", 4) == QueryAction::Forwarded);  // not cached
}

TEST_CASE("a SERVFAIL or a timeout is answered from the cache when there is an entry") {
  World w;
  w.withCache();
  w.rt.update([](RuntimeConfig& cfg) { cfg.settings.staleCacheEntriesTTL = 60; });
  Completer c(w.rt);
  // Four queries for one name in flight at once, all cache misses.
  std::vector<Completion> held;
  for (uint16_t id = 1; id <= 4; ++id) {
    REQUIRE(w.ask("s.example", id) == QueryAction::Forwarded);
    held.push_back(w.backend->last);
  }
  auto answer = [&](size_t i, uint8_t rcode) {
    auto r = makeAnswer("s.example", 99, rcode);
    size_t len = r.size();
    r.resize(4096);
    return c.complete(*w.backend, held[i], r.data(), len, r.size());
  };
  CHECK(answer(0, dns::rcode::NoError) == Completer::Result::Done);  // cached
  // The entry answers the others, fresh as it is: it arrived since they missed.
  c.fail(*w.backend, held[1], Completer::Failure::Timeout);
  REQUIRE(w.sink.answers.size() == 2);
  CHECK(dns::HeaderView(w.sink.answers[1].data()).id() == 2);
  CHECK(dns::HeaderView(w.sink.answers[1].data()).rcode() == dns::rcode::NoError);
  CHECK(w.rt.stats.downstreamTimeouts.value() == 1);
  CHECK(w.backend->stats.drops.value() == 1);

  CHECK(answer(2, dns::rcode::ServFail) == Completer::Result::Done);
  REQUIRE(w.sink.answers.size() == 3);
  CHECK(dns::HeaderView(w.sink.answers[2].data()).id() == 3);
  CHECK(dns::HeaderView(w.sink.answers[2].data()).rcode() == dns::rcode::NoError);
  CHECK(w.rt.stats.servfailResponses.value() == 1);

  // Off: the SERVFAIL goes through as it is.
  w.rt.update([](RuntimeConfig& cfg) { cfg.settings.staleOnBackendFailure = false; });
  CHECK(answer(3, dns::rcode::ServFail) == Completer::Result::Done);
  REQUIRE(w.sink.answers.size() == 4);
  CHECK(dns::HeaderView(w.sink.answers[3].data()).rcode() == dns::rcode::ServFail);
}

TEST_CASE("a timeout with nothing cached is silent; a failed backend's query gets SERVFAIL") {
  World w;
  Completer c(w.rt);
  REQUIRE(w.ask("t.example", 7, true) == QueryAction::Forwarded);
  c.fail(*w.backend, w.backend->last, Completer::Failure::Timeout);
  CHECK(w.sink.answers.empty());
  c.fail(*w.backend, w.backend->last, Completer::Failure::ServFail);
  REQUIRE(w.sink.answers.size() == 1);
  const auto& a = w.sink.answers[0];
  dns::MessageView m;
  REQUIRE((dns::MessageView::parse({a.data(), a.size()}, m) == dns::ParseError::None));
  dns::HeaderView h(a.data());
  CHECK(h.id() == 7);
  CHECK(h.qr());
  CHECK(h.rd());
  CHECK_FALSE(h.tc());
  CHECK(h.rcode() == dns::rcode::ServFail);
  CHECK(m.question().name.toName().toString() == "t.example.");
  CHECK(m.edns().present);
  CHECK(w.rt.stats.frontendServFail.value() == 1);
}

TEST_CASE("a health check's answer goes to its checker untouched, and counts nowhere") {
  World w;
  struct Checker : CheckSink {
    void checked(uint64_t cookie, std::span<const uint8_t> r) override {
      got = cookie;
      size = r.size();
    }
    uint64_t got = 0;
    size_t size = 0;
  } checker;
  Completer c(w.rt);
  auto done = Completion::healthCheck(checker, 77, 0);
  CHECK(done.internal());
  auto r = makeAnswer("a.root-servers.net", 5);
  CHECK(c.complete(*w.backend, done, r.data(), r.size(), r.size()) == Completer::Result::Done);
  CHECK(checker.got == 77);
  CHECK(checker.size == r.size());
  c.fail(*w.backend, done, Completer::Failure::Timeout);
  CHECK(w.rt.stats.responses.value() == 0);
  CHECK(w.rt.stats.downstreamTimeouts.value() == 0);
  CHECK(w.backend->stats.responses.value() == 0);
}

TEST_CASE("a zone transfer's messages are relayed one by one, restored, never cached") {
  World w;
  w.withCache();
  auto rule = std::make_shared<rules::ResponseRule>();  // as dnsdist: not for transfers
  rule->selector = rules::allRule();
  rule->action = rules::dropResponseAction();
  w.rt.update([&](RuntimeConfig& cfg) { cfg.rules.response.push_back(rule); });
  Completer c(w.rt);
  auto closed = std::make_shared<std::atomic<bool>>(false);
  REQUIRE(w.ask("zone.example", 0x4242, false, dns::qtype::AXFR, closed) == QueryAction::Forwarded);
  const Completion& done = w.backend->last;
  CHECK(done.relaysTransfer());
  CHECK(done.qtype() == dns::qtype::AXFR);
  CHECK_FALSE(done.transferClosed());

  // The first message must answer the question.
  auto wrong = makeAnswer("other.example", 9, 0, dns::qtype::AXFR);
  CHECK(c.relay(*w.backend, done, wrong.data(), wrong.size(), true, true) ==
        Completer::Result::Mismatch);
  auto first = makeAnswer("zone.example", 9, 0, dns::qtype::AXFR);
  CHECK(c.relay(*w.backend, done, first.data(), first.size(), true, true) ==
        Completer::Result::Done);
  // Later ones may come without a question.
  std::vector<uint8_t> later(dns::kHeaderSize, 0);
  dns::HeaderRef(later.data()).setId(9);
  dns::HeaderRef(later.data()).setQr(true);
  CHECK(c.relay(*w.backend, done, later.data(), later.size(), false, false) ==
        Completer::Result::Done);
  REQUIRE(w.sink.answers.size() == 2);
  CHECK(w.sink.parts == std::vector<AnswerPart>{AnswerPart::More, AnswerPart::Whole});
  for (auto& a : w.sink.answers) {
    CHECK(dns::HeaderView(a.data()).id() == 0x4242);
    CHECK(dns::HeaderView(a.data()).rd());
  }
  CHECK(w.cache->entries() == 0);
  CHECK(w.rt.stats.responses.value() == 1);  // the transfer counts once
  CHECK(w.backend->stats.responses.value() == 1);

  c.abortTransfer(done);
  CHECK(w.sink.parts.back() == AnswerPart::Abort);
  closed->store(true);
  CHECK(done.transferClosed());
  // Nor is a transfer looked up in the cache: asked again, it is forwarded again.
  CHECK(w.ask("zone.example", 0x4243, false, dns::qtype::AXFR, closed) == QueryAction::Forwarded);
}
