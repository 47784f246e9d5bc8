// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for the resolver's cache file loader (setResolverCacheFile reads a file that
// may be corrupt). Each input is parsed twice: as a whole file (header, checksum, entries),
// and as the entries of a file whose header and checksum are made valid around it, so the
// fuzzer reaches the entry parser past the checksum. Whatever is accepted must go into a
// RecordCache and come out again as live entries with valid keys.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "backends/resolver/cache_file.hh"

using namespace ballast;
using namespace ballast::backends::resolver;

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

constexpr int64_t kSavedAt = 1700000000;

void accept(const std::vector<LoadedEntry>& entries) {
  RecordCache cache({});
  for (const auto& e : entries) {
    FUZZ_CHECK(e.ttl > 0);
    FUZZ_CHECK(e.key.size() >= 3);
    cache.restore(e.key, e.kind, e.rank, e.ttl, e.rdatas, e.soa, 0, e.sigs);
  }
  size_t seen = 0;
  cache.forEachLive(0, [&](const RecordCache::EntryView& v) {
    ++seen;
    FUZZ_CHECK(v.ttl > 0);
    FUZZ_CHECK(v.rank >= Rank::Glue && v.rank <= Rank::AuthAnswer);
    FUZZ_CHECK((v.kind == EntryKind::Positive) == !v.rdatas.empty());
  });
  FUZZ_CHECK(seen <= entries.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  std::vector<LoadedEntry> out;
  if (!parseCacheFile(in, kSavedAt, out)) accept(out);
  if (size < 1) return 0;
  // First byte: how many entries the made-up header announces; the rest: the entries.
  auto payload = in.subspan(1);
  std::vector<uint8_t> file = cacheFileHeader(data[0], payload, kSavedAt);
  file.insert(file.end(), payload.begin(), payload.end());
  out.clear();
  if (!parseCacheFile(file, kSavedAt, out)) accept(out);
  return 0;
}
