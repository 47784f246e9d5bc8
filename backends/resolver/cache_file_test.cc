// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/cache_file.hh"

#include <doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "core/clock.hh"
#include "dns/types.hh"

using namespace ballast::backends::resolver;
using ballast::dns::Name;
namespace qtype = ballast::dns::qtype;

namespace {

std::string tempPath(const char* tag) {
  return fmt::format("/tmp/ballast-cache-file-test-{}-{}", getpid(), tag);
}

std::vector<uint8_t> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void writeFile(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

int64_t nowSec() {
  return ballast::core::monotonicUsec() / 1000000;
}

void fill(RecordCache& c) {
  int64_t now = nowSec();
  c.putRRset(Name::fromString("www.Example.test."), qtype::A, 300, Rank::AuthAnswer,
             {{192, 0, 2, 1}, {192, 0, 2, 2}}, now);
  Record soa{Name::fromString("example.test."), qtype::SOA, 60, {1, 2, 3}};
  c.putNegative(Name::fromString("nx.example.test."), 0, EntryKind::NxDomain, 60, soa,
                Rank::AuthAnswer, now);
  c.putNegative(Name::fromString("www.example.test."), qtype::AAAA, EntryKind::NoData, 60,
                std::nullopt, Rank::AuthAnswer, now);
}

}  // namespace

TEST_CASE("a saved cache loads back whole, names, ranks, negative entries and SOA included") {
  std::string path = tempPath("roundtrip");
  RecordCache a({});
  fill(a);
  CHECK(saveCacheFile(a, path) == 3);
  RecordCache b({});
  LoadResult r = loadCacheFile(b, path);
  CHECK_FALSE(r.error);
  CHECK(r.entries == 3);
  int64_t now = nowSec();
  auto e = b.get(Name::fromString("WWW.example.test."), qtype::A, now);
  REQUIRE(e);
  CHECK(e->rank == Rank::AuthAnswer);
  CHECK(e->rdatas.size() == 2);
  CHECK(e->ttl <= 300);
  CHECK(e->ttl >= 298);
  auto nx = b.get(Name::fromString("nx.example.test."), RecordCache::kNxType, now);
  REQUIRE(nx);
  CHECK(nx->kind == EntryKind::NxDomain);
  REQUIRE(nx->soa);
  CHECK(nx->soa->rdata == std::vector<uint8_t>{1, 2, 3});
  auto nd = b.get(Name::fromString("www.example.test."), qtype::AAAA, now);
  REQUIRE(nd);
  CHECK(nd->kind == EntryKind::NoData);
  std::remove(path.c_str());
}

TEST_CASE("a missing file is an empty cache, not an error") {
  RecordCache c({});
  LoadResult r = loadCacheFile(c, tempPath("missing-never-written"));
  CHECK_FALSE(r.error);
  CHECK(r.entries == 0);
}

TEST_CASE("a truncated, flipped or foreign file is rejected and nothing of it is loaded") {
  std::string path = tempPath("corrupt");
  RecordCache a({});
  fill(a);
  saveCacheFile(a, path);
  const auto good = readFile(path);
  auto rejected = [&](std::vector<uint8_t> data, const char* reason) {
    writeFile(path, data);
    RecordCache c({});
    LoadResult r = loadCacheFile(c, path);
    REQUIRE(r.error);
    CHECK(r.error->find(reason) != std::string::npos);
    CHECK(c.size() == 0);
  };
  rejected({good.begin(), good.end() - 7}, "truncated");
  rejected({good.begin(), good.begin() + 20}, "truncated header");
  for (size_t at : {size_t(9), size_t(30), size_t(50), good.size() - 1}) {
    auto bad = good;
    bad[at] ^= 0x40;
    writeFile(path, bad);
    RecordCache c({});
    LoadResult r = loadCacheFile(c, path);
    CHECK(r.error);
    CHECK(c.size() == 0);
  }
  rejected(std::vector<uint8_t>(100, 'x'), "not a ballast cache file");
  std::remove(path.c_str());
}

TEST_CASE("entries that expired since the save are not loaded; the others are aged") {
  std::vector<LoadedEntry> out;
  std::string path = tempPath("aged");
  RecordCache a({});
  int64_t now = nowSec();
  a.putRRset(Name::fromString("short.test."), qtype::A, 5, Rank::AuthAnswer, {{1, 2, 3, 4}}, now);
  a.putRRset(Name::fromString("long.test."), qtype::A, 500, Rank::AuthAnswer, {{1, 2, 3, 4}}, now);
  saveCacheFile(a, path);
  auto data = readFile(path);
  REQUIRE_FALSE(parseCacheFile(data, int64_t(time(nullptr)) + 100, out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].ttl <= 400);
  CHECK(out[0].ttl >= 398);
  std::remove(path.c_str());
}

TEST_CASE("version 2 keeps RRSIGs and proofs, not verdicts; version 1 files still load") {
  std::string path = tempPath("signatures");
  int64_t now = nowSec();
  RecordCache a({});
  Signatures sigs;
  sigs.rrsigs.push_back({0, 1, 13, 3, 9, 9});
  sigs.proofs.push_back({Name::fromString("secure.test."), qtype::NSEC, 60, {0, 0, 6, 0x40}});
  Name www = Name::fromString("www.secure.test.");
  a.putRRset(www, qtype::A, 300, Rank::AuthAnswer, {{192, 0, 2, 1}}, now, sigs);
  a.setVerdict(www, qtype::A, ballast::backends::resolver::dnssec::secure(), 300, now);
  REQUIRE(saveCacheFile(a, path) == 1);
  RecordCache b({});
  REQUIRE_FALSE(loadCacheFile(b, path).error);
  auto e = b.get(www, qtype::A, now);
  REQUIRE(e);
  CHECK_FALSE(e->validated);  // validated again once loaded
  CHECK(e->sigs.rrsigs == sigs.rrsigs);
  REQUIRE(e->sigs.proofs.size() == 1);
  CHECK(e->sigs.proofs[0].owner == Name::fromString("secure.test."));
  CHECK(e->sigs.proofs[0].rdata == sigs.proofs[0].rdata);

  // A version 1 image: the same entry without the signature part.
  RecordCache plain({});
  plain.putRRset(www, qtype::A, 300, Rank::AuthAnswer, {{192, 0, 2, 1}}, now);
  REQUIRE(saveCacheFile(plain, path) == 1);
  auto v2 = readFile(path);
  std::vector<uint8_t> payload(v2.begin() + 48, v2.end() - 4);  // minus the two empty counts
  auto v1 = cacheFileHeader(1, payload, int64_t(time(nullptr)));
  v1[11] = 1;  // the version field (big endian, after the 8-byte magic)
  // The checksum (last 8 header bytes) continues FNV-1a from the payload over the header.
  uint64_t sum = 0xcbf29ce484222325ULL;
  for (uint8_t c : payload) sum = (sum ^ c) * 0x100000001b3ULL;
  for (size_t i = 0; i < 40; ++i) sum = (sum ^ v1[i]) * 0x100000001b3ULL;
  for (int i = 0; i < 8; ++i) v1[40 + size_t(i)] = uint8_t(sum >> (56 - 8 * i));
  v1.insert(v1.end(), payload.begin(), payload.end());
  std::vector<LoadedEntry> out;
  auto err = parseCacheFile(v1, int64_t(time(nullptr)), out);
  CHECK_FALSE(err);
  REQUIRE(out.size() == 1);
  CHECK(out[0].rdatas.size() == 1);
  CHECK(out[0].sigs.empty());
  std::remove(path.c_str());
}
