// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/pipeline.hh"
#include "core/runtime.hh"
#include "dns/header.hh"
#include "dns/name.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
using namespace ballast::core;

namespace {

class FakeBackend : public Backend {
 public:
  explicit FakeBackend(std::string name, uint32_t outstanding = 0)
      : Backend(std::move(name), 1, 1), outstanding_(outstanding) {}
  std::string addressString() const override { return "192.0.2.1:53"; }
  void start() override {}
  void stop() override {}
  bool submit(Query&, const Completion& done) override {
    ++submitted;
    last = done;
    return true;
  }
  uint32_t outstanding() const override { return outstanding_; }
  int submitted = 0;
  Completion last;

 private:
  uint32_t outstanding_;
};

std::vector<uint8_t> makeQuery(const char* name, uint16_t id, uint16_t qtype = dns::qtype::A) {
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, id, dns::Name::fromString(name), qtype);
  w.header().setRd(true);
  buf.resize(512);
  return buf;
}

struct Fixture {
  Runtime rt;
  std::vector<uint8_t> buf;
  QueryContext q;
  UdpSender out;
  void load(std::vector<uint8_t> packet, size_t len, const char* client = "127.0.0.1:4000") {
    buf = std::move(packet);
    buf.resize(std::max<size_t>(buf.size(), 512));
    q = QueryContext{};
    q.packet = buf.data();
    q.length = len;
    q.capacity = buf.size();
    q.destination.client = Address::parse(client);
  }
  QueryAction run() { return processQuery(q, *rt.config.load(), rt.stats, out); }
};

size_t queryLength(const char* name) {
  std::vector<uint8_t> b;
  dns::MessageWriter w(b, 1, dns::Name::fromString(name), dns::qtype::A);
  return b.size();
}

}  // namespace

TEST_CASE("a query goes to the least outstanding backend of the default pool") {
  Fixture f;
  auto busy = std::make_shared<FakeBackend>("busy", 10);
  auto idle = std::make_shared<FakeBackend>("idle", 0);
  f.rt.addServer(busy);
  f.rt.addServer(idle);
  f.load(makeQuery("www.Example.com", 0x1234), queryLength("www.Example.com"));
  CHECK(f.run() == QueryAction::Forwarded);
  CHECK(idle->submitted == 1);
  CHECK(busy->submitted == 0);
  CHECK(f.rt.stats.queries.value() == 1);
  CHECK(f.rt.stats.rdQueries.value() == 1);
  CHECK_FALSE(idle->last.internal());
  CHECK_FALSE(idle->last.stream());
}

TEST_CASE("the ACL drops clients outside it") {
  Fixture f;
  f.rt.addServer(std::make_shared<FakeBackend>("b"));
  f.rt.update([](RuntimeConfig& c) {
    c.acl.clear();
    c.acl.add("127.0.0.1/32");
  });
  f.load(makeQuery("a.example", 1), queryLength("a.example"), "127.0.0.2:4000");
  CHECK(f.run() == QueryAction::Drop);
  CHECK(f.rt.stats.aclDrops.value() == 1);
}

TEST_CASE("malformed queries are counted and dropped") {
  Fixture f;
  f.rt.addServer(std::make_shared<FakeBackend>("b"));
  SUBCASE("short") {
    f.load(std::vector<uint8_t>(5, 0), 5);
    CHECK(f.run() == QueryAction::Drop);
  }
  SUBCASE("QR set") {
    auto q = makeQuery("a.example", 1);
    dns::HeaderRef(q.data()).setQr(true);
    f.load(q, queryLength("a.example"));
    CHECK(f.run() == QueryAction::Drop);
  }
  SUBCASE("compression loop in the qname") {
    std::vector<uint8_t> p = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    f.load(p, p.size());
    CHECK(f.run() == QueryAction::Drop);
  }
  CHECK(f.rt.stats.nonCompliantQueries.value() == 1);
}

TEST_CASE("empty queries are answered NOTIMP unless dropped") {
  Fixture f;
  std::vector<uint8_t> p = {0xab, 0xcd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  f.load(p, p.size());
  CHECK(f.run() == QueryAction::Answer);
  CHECK(f.q.length == 12);
  CHECK(dns::HeaderView(f.buf.data()).rcode() == dns::rcode::NotImp);
  CHECK(dns::HeaderView(f.buf.data()).qr());
  CHECK(f.rt.stats.emptyQueries.value() == 1);
  f.rt.update([](RuntimeConfig& c) { c.settings.dropEmptyQueries = true; });
  f.load(p, p.size());
  CHECK(f.run() == QueryAction::Drop);
}

TEST_CASE("no server: drop, or SERVFAIL when asked") {
  Fixture f;
  f.load(makeQuery("a.example", 7), queryLength("a.example"));
  CHECK(f.run() == QueryAction::Drop);
  f.rt.update([](RuntimeConfig& c) { c.settings.servFailWhenNoServer = true; });
  f.load(makeQuery("a.example", 7), queryLength("a.example"));
  CHECK(f.run() == QueryAction::Answer);
  CHECK(dns::HeaderView(f.buf.data()).rcode() == dns::rcode::ServFail);
  CHECK(f.rt.stats.noPolicy.value() == 2);
  CHECK(f.rt.stats.frontendServFail.value() == 1);
}
