// SPDX-License-Identifier: GPL-2.0-only
// The shared tier's keys and value codec (shared_tier.hh), and the record cache's store hook
// that feeds the tier's writer.
#include "backends/resolver/shared_tier.hh"

#include <doctest.h>

#include "dns/types.hh"

using namespace ballast::backends::resolver;
using ballast::dns::Name;
namespace qtype = ballast::dns::qtype;

namespace {

/// Captures the entries a RecordCache stores, encoded as the tier's writer does.
struct Captured {
  std::string key;
  std::vector<uint8_t> value;
  Rank rank = Rank::Glue;
};

std::vector<uint8_t> encodeOne(RecordCache& c, const std::function<void()>& put,
                               uint64_t insertedUnix, std::string* key = nullptr) {
  std::vector<uint8_t> out;
  c.setStoreHook([&](const RecordCache::EntryView& e) {
    out = encodeSharedValue(e, insertedUnix);
    if (key) *key = std::string(e.key);
  });
  put();
  c.setStoreHook(nullptr);
  return out;
}

const std::vector<uint8_t> kA = {192, 0, 2, 1};

}  // namespace

TEST_CASE("shared tier keys name the schema, the DNSSEC data flag, name, type and class") {
  std::string k = cacheKeyOf(Name::fromString("WWW.Example.COM."), qtype::A);
  CHECK(sharedKey(k, true) == "ballast:rc1:s:www.example.com.:1:1");
  CHECK(sharedKey(k, false) == "ballast:rc1:p:www.example.com.:1:1");
  CHECK(sharedKey(cacheKeyOf(Name::fromString("gone.example."), RecordCache::kNxType), true) ==
        "ballast:rc1:s:gone.example.:0:1");
  CHECK(sharedKey(cacheKeyOf(Name(), qtype::NS), true) == "ballast:rc1:s:.:2:1");
}

TEST_CASE("a positive entry goes through the value codec whole, aged from its insertion") {
  RecordCache c(CacheLimits{});
  Name owner = Name::fromString("www.example.");
  Signatures sigs;
  sigs.rrsigs.push_back({1, 2, 3, 4});
  std::string key;
  auto v = encodeOne(
      c,
      [&] {
        c.putRRset(owner, qtype::A, 300, Rank::AuthAnswer, {kA, {192, 0, 2, 2}}, 1000, sigs);
      },
      1'700'000'000, &key);
  REQUIRE(!v.empty());
  CHECK(key == cacheKeyOf(owner, qtype::A));
  LoadedEntry e;
  REQUIRE(decodeSharedValue(v, key, 1'700'000'100, e) == SharedRead::Ok);
  CHECK(e.kind == EntryKind::Positive);
  CHECK(e.rank == Rank::AuthAnswer);
  CHECK(e.ttl == 200);  // 300 given, 100 s since it was inserted
  REQUIRE(e.rdatas.size() == 2);
  CHECK(e.rdatas[0] == kA);
  REQUIRE(e.sigs.rrsigs.size() == 1);
  CHECK(e.sigs.rrsigs[0] == std::vector<uint8_t>{1, 2, 3, 4});
  // A writer whose clock is ahead: no age, never more than the TTL given.
  REQUIRE(decodeSharedValue(v, key, 1'699'999'000, e) == SharedRead::Ok);
  CHECK(e.ttl == 300);
  CHECK(decodeSharedValue(v, key, 1'700'000'300, e) == SharedRead::Expired);
  CHECK(decodeSharedValue(v, key, 1'800'000'000, e) == SharedRead::Expired);
}

TEST_CASE("a negative entry keeps its SOA and kind") {
  RecordCache c(CacheLimits{});
  Name owner = Name::fromString("nx.example.");
  Record soa{Name::fromString("example."), qtype::SOA, 60, {1, 2, 3}};
  std::string key;
  auto v = encodeOne(
      c,
      [&] {
        c.putNegative(owner, qtype::A, EntryKind::NxDomain, 60, soa, Rank::AuthAnswer, 5);
      },
      100, &key);
  CHECK(key == cacheKeyOf(owner, RecordCache::kNxType));
  LoadedEntry e;
  REQUIRE(decodeSharedValue(v, key, 110, e) == SharedRead::Ok);
  CHECK(e.kind == EntryKind::NxDomain);
  CHECK(e.ttl == 50);
  REQUIRE(e.soa);
  CHECK(e.soa->rdata == std::vector<uint8_t>{1, 2, 3});
}

TEST_CASE("corrupt, truncated, foreign and misplaced values are refused") {
  RecordCache c(CacheLimits{});
  Name owner = Name::fromString("www.example.");
  std::string key;
  auto v = encodeOne(
      c, [&] { c.putRRset(owner, qtype::A, 300, Rank::AuthAnswer, {kA}, 1); }, 100, &key);
  LoadedEntry e;
  REQUIRE(decodeSharedValue(v, key, 100, e) == SharedRead::Ok);
  // Every single bit flipped anywhere is caught (the checksum, or the magic and schema).
  for (size_t i = 0; i < v.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = v;
      bad[i] ^= uint8_t(1 << bit);
      CHECK(decodeSharedValue(bad, key, 100, e) == SharedRead::Corrupt);
    }
  }
  for (size_t n = 0; n < v.size(); ++n)
    CHECK(decodeSharedValue(std::span(v).first(n), key, 100, e) == SharedRead::Corrupt);
  auto longer = v;
  longer.push_back(0);
  CHECK(decodeSharedValue(longer, key, 100, e) == SharedRead::Corrupt);
  // Another schema, even with a checksum that matches it.
  auto other = v;
  other[4] = kSharedSchema + 1;
  CHECK(decodeSharedValue(other, key, 100, e) == SharedRead::Corrupt);
  // A packet cache value, or anything else.
  std::string text = "BLST\x01 not ours";
  CHECK(decodeSharedValue({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, key, 100,
                          e) == SharedRead::Corrupt);
  // A good value under another entry's key (copied there, or a hash clash): not served.
  CHECK(decodeSharedValue(v, cacheKeyOf(owner, qtype::AAAA), 100, e) == SharedRead::Corrupt);
  CHECK(decodeSharedValue(v, cacheKeyOf(Name::fromString("evil.example."), qtype::A), 100, e) ==
        SharedRead::Corrupt);
}

TEST_CASE("the store hook sees what resolutions store, not what is restored") {
  RecordCache c(CacheLimits{});
  std::vector<std::string> seen;
  c.setStoreHook([&](const RecordCache::EntryView& e) { seen.emplace_back(e.key); });
  Name owner = Name::fromString("a.example.");
  c.putRRset(owner, qtype::A, 60, Rank::Glue, {kA}, 1);
  c.putRRset(owner, qtype::A, 60, Rank::AuthAnswer, {kA}, 1);
  c.putRRset(owner, qtype::A, 60, Rank::Glue, {kA}, 1);  // refused: a better live entry
  CHECK(seen.size() == 2);
  c.restore(cacheKeyOf(owner, qtype::AAAA), EntryKind::Positive, Rank::AuthAnswer, 60,
            {std::vector<uint8_t>(16)}, std::nullopt, 1);
  CHECK(seen.size() == 2);
  c.putNegative(owner, qtype::MX, EntryKind::NoData, 30, std::nullopt, Rank::AuthAnswer, 1);
  CHECK(seen.size() == 3);
}
