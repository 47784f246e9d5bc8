// SPDX-License-Identifier: GPL-2.0-only
/// The iterator's answers from the cache alone: with no query left in the budget, anything
/// the cache cannot answer ends at once as a SERVFAIL not from the cache.
#include "backends/resolver/iterator.hh"

#include <doctest.h>

#include <optional>

#include "core/clock.hh"
#include "dns/types.hh"

using namespace ballast::backends::resolver;
using ballast::dns::Name;
namespace dns = ballast::dns;
namespace qtype = ballast::dns::qtype;

namespace {

Name n(const char* s) {
  return Name::fromString(s);
}

std::vector<uint8_t> wireOf(const char* s) {
  Name name = n(s);
  auto w = name.wire();
  return {w.begin(), w.end()};
}

Detached start(Iterator* it, Name name, uint16_t type, Budget* b, std::optional<Answer>* out) {
  *out = co_await it->resolve(name, type, *b, 0);
}

struct Fixture {
  std::shared_ptr<Resolver> r;
  EventLoop loop;
  Iterator it;
  explicit Fixture(ResolverConfig cfg = {})
      : r(std::make_shared<Resolver>(withHints(std::move(cfg)))), it(*r, loop) {}
  static ResolverConfig withHints(ResolverConfig cfg) {
    cfg.rootHints = {ballast::core::Address::parse("127.0.0.1:9")};
    return cfg;
  }
  /// The answer if the cache alone gives it, else nullopt.
  std::optional<Answer> fromCache(const char* name, uint16_t type) {
    std::optional<Answer> out;
    Budget b{0, nullptr};  // no query may be sent
    start(&it, n(name), type, &b, &out);
    REQUIRE(out);
    if (!out->fromCache) return std::nullopt;
    return out;
  }
  int64_t now() const { return ballast::core::monotonicUsec() / 1000000; }
};

}  // namespace

TEST_CASE("a cached DNAME answers with itself and the synthesised CNAME, also below it") {
  Fixture f;
  auto& c = f.r->cache();
  c.putRRset(n("old.test."), qtype::DNAME, 300, Rank::AuthAnswer, {wireOf("new.test.")}, f.now());
  c.putRRset(n("www.new.test."), qtype::A, 300, Rank::AuthAnswer, {{192, 0, 2, 1}}, f.now());
  auto a = f.fromCache("www.old.test.", qtype::A);
  REQUIRE(a);
  CHECK(a->rcode == dns::rcode::NoError);
  REQUIRE(a->answer.size() == 3);
  CHECK(a->answer[0].type == qtype::DNAME);
  CHECK(a->answer[0].owner == n("old.test."));
  CHECK(a->answer[1].type == qtype::CNAME);
  CHECK(a->answer[1].owner == n("www.old.test."));
  CHECK(a->answer[1].rdata == wireOf("www.new.test."));
  CHECK(a->answer[2].type == qtype::A);
  CHECK(a->fromCache);
  // Deeper names are rewritten the same way; the DNAME's owner itself is not.
  c.putRRset(n("a.b.new.test."), qtype::A, 300, Rank::AuthAnswer, {{192, 0, 2, 2}}, f.now());
  a = f.fromCache("a.b.old.test.", qtype::A);
  REQUIRE(a);
  CHECK(a->answer.size() == 3);
  CHECK_FALSE(f.fromCache("old.test.", qtype::A));
  // Glue-rank data never answers.
  c.putRRset(n("glue.test."), qtype::DNAME, 300, Rank::Glue, {wireOf("new.test.")}, f.now());
  CHECK_FALSE(f.fromCache("www.glue.test.", qtype::A));
}

TEST_CASE("a cached NXDOMAIN covers the names below it (RFC 8020)") {
  Fixture f;
  Record soa{n("test."), qtype::SOA, 60, wireOf("ns.test.")};
  f.r->cache().putNegative(n("gone.test."), 0, EntryKind::NxDomain, 60, soa, Rank::AuthAnswer,
                           f.now());
  auto a = f.fromCache("a.b.gone.test.", qtype::AAAA);
  REQUIRE(a);
  CHECK(a->rcode == dns::rcode::NXDomain);
  REQUIRE(a->authority.size() == 1);
  CHECK(a->authority[0].owner == n("test."));
  CHECK_FALSE(f.fromCache("gone2.test.", qtype::A));  // siblings are not covered
}
