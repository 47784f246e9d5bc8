// SPDX-License-Identifier: GPL-2.0-only
// The supervisor thread with real instances and the fault hook (no network: the questions
// are faults or refused without resolving); also run under ThreadSanitizer.
#include "backends/resolver/supervisor.hh"

#include <doctest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
using namespace ballast::backends::resolver;

namespace {

/// Collects the answers, by cookie: {rcode, times answered}.
class Answers final : public core::ResponseSink {
 public:
  void deliver(const core::Destination& d, std::span<const uint8_t> r) override {
    std::lock_guard lock(mutex_);
    auto& a = got_[d.cookie];
    a.first = dns::HeaderView(r.data()).rcode();
    ++a.second;
  }
  std::pair<int, int> of(uint64_t cookie) {
    std::lock_guard lock(mutex_);
    auto it = got_.find(cookie);
    return it == got_.end() ? std::pair{-1, 0} : it->second;
  }
  /// Waits up to 3 s for an answer to `cookie`; its rcode, or -1.
  int wait(uint64_t cookie) {
    for (int i = 0; i < 300 && of(cookie).second == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return of(cookie).first;
  }

 private:
  std::mutex mutex_;
  std::map<uint64_t, std::pair<int, int>> got_;
};

bool ask(ResolverInstance& inst, Answers& sink, const char* name, uint16_t qtype,
         uint64_t cookie) {
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, uint16_t(cookie), dns::Name::fromString(name), qtype);
  size_t len = buf.size();
  buf.resize(512);
  core::QueryContext q;
  q.packet = buf.data();
  q.length = len;
  q.capacity = buf.size();
  q.destination.sink = &sink;
  q.destination.stream = true;
  q.destination.cookie = cookie;
  q.destination.client = core::Address::parse("127.0.0.1:5300");
  bool parsed = dns::MessageView::parse({buf.data(), len}, q.message) == dns::ParseError::None;
  REQUIRE(parsed);
  core::UdpSender out;
  core::Query query{q.packet, q.length, &q.message, &out};
  return inst.submit(query, core::Completion(q));
}

template <typename P>
bool eventually(P p) {
  for (int i = 0; i < 300; ++i) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

struct World {
  core::Runtime rt;
  Answers sink;
  std::vector<std::shared_ptr<ResolverInstance>> inst;
  Supervisor sup{rt};
  World() {
    ResolverConfig cfg;
    cfg.name = "t";
    cfg.instances = 2;
    auto faults = std::make_shared<TestFaults>();
    faults->hang.push_back(dns::Name::fromString("hang.test."));
    faults->raise.push_back(dns::Name::fromString("throw.test."));
    faults->hangMs = 400;
    cfg.testFaults = faults;
    inst = createInstances(std::make_shared<Resolver>(std::move(cfg)), rt);
    sup.settings().checkIntervalMs = 10;
    sup.settings().heartbeatTimeoutMs = 100;
    sup.settings().minBackoffMs = 50;
    rt.startServers();
    sup.start();
  }
  ~World() {
    sup.stop();
    rt.stopServers();
  }
  std::shared_ptr<ResolverInstance> current(int index) {
    return instancesOf(rt.servers(), "t")[size_t(index - 1)];
  }
};

}  // namespace

TEST_CASE("an instance that throws is answered for, marked down and restarted in place") {
  World w;
  REQUIRE(ask(*w.inst[0], w.sink, "throw.test.", dns::qtype::A, 1));
  CHECK(w.sink.wait(1) == dns::rcode::ServFail);  // the question it threw on
  CHECK(eventually([&] { return w.inst[0]->lifecycle().restarts.load() == 1; }));
  CHECK(eventually([&] { return w.inst[0]->isUp(); }));
  CHECK(w.current(1) == w.inst[0]);  // the same object, its thread joined and started again
  {
    std::lock_guard lock(w.inst[0]->lifecycle().mutex);
    CHECK(w.inst[0]->lifecycle().lastReason == "threw: test fault on throw.test.");
  }
  REQUIRE(ask(*w.inst[0], w.sink, "x.test.", dns::qtype::AXFR, 2));
  CHECK(w.sink.wait(2) == dns::rcode::Refused);
  CHECK(w.sink.of(1).second == 1);
}

TEST_CASE("a hung instance is replaced; the question behind the hang goes to the sibling once") {
  World w;
  REQUIRE(ask(*w.inst[0], w.sink, "hang.test.", dns::qtype::A, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(ask(*w.inst[0], w.sink, "behind.test.", dns::qtype::AXFR, 2));
  CHECK(w.sink.wait(1) == dns::rcode::ServFail);
  CHECK(w.sink.wait(2) == dns::rcode::Refused);
  CHECK(w.inst[0]->failed());
  CHECK(w.inst[0]->abandoned());
  CHECK(eventually([&] { return w.current(1) != w.inst[0] && w.current(1)->isUp(); }));
  CHECK(w.current(1)->name() == "t@1");
  CHECK(w.current(1)->lifecycle().restarts.load() == 1);
  CHECK(w.inst[1]->stats.queries.value() == 1);  // the handed-over question
  // The old thread wakes up from its 400 ms hang: nothing is answered twice.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(w.sink.of(1).second == 1);
  CHECK(w.sink.of(2).second == 1);
  REQUIRE(ask(*w.current(1), w.sink, "y.test.", dns::qtype::AXFR, 3));
  CHECK(w.sink.wait(3) == dns::rcode::Refused);
}
