// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for the values the resolver reads from the shared tier (Redis: anyone who can
// write to it can put any bytes there). Each input is decoded twice: as a whole value, and
// as the entry of a value whose magic, schema, times and checksum are made valid around it,
// so the fuzzer reaches the entry parser past the checksum. A sealed value must decode
// exactly when its entry does, and what is accepted must go into a RecordCache.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backends/resolver/shared_tier.hh"

using namespace ballast::backends::resolver;

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

constexpr uint64_t kNow = 1700000000;

std::vector<uint8_t> seal(std::span<const uint8_t> entry) {
  std::vector<uint8_t> v = {'B', 'L', 'R', 'C', kSharedSchema};
  for (int i = 7; i >= 0; --i) v.push_back(uint8_t(kNow >> (8 * i)));
  for (int i = 3; i >= 0; --i) v.push_back(uint8_t(uint32_t(300) >> (8 * i)));
  v.insert(v.end(), entry.begin(), entry.end());
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint8_t b : v) h = (h ^ b) * 0x100000001b3ULL;
  for (int i = 7; i >= 0; --i) v.push_back(uint8_t(h >> (8 * i)));
  return v;
}

void accept(const LoadedEntry& e) {
  FUZZ_CHECK(e.ttl > 0 && e.ttl <= 300);
  RecordCache cache({});
  cache.restore(e.key, e.kind, e.rank, e.ttl, e.rdatas, e.soa, 1, e.sigs);
  FUZZ_CHECK(cache.size() == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  std::string fixedKey = cacheKeyOf(ballast::dns::Name::fromString("www.example."), 1);
  LoadedEntry out;
  if (decodeSharedValue(in, fixedKey, kNow, out) == SharedRead::Ok) accept(out);
  std::string key = fixedKey;
  bool entryOk = true;
  try {
    key = readCacheEntry(in).key;
  } catch (const std::exception&) {
    entryOk = false;
  }
  auto sealed = seal(in);
  SharedRead r = decodeSharedValue(sealed, key, kNow, out);
  FUZZ_CHECK((r != SharedRead::Corrupt) == entryOk);
  if (r == SharedRead::Ok) accept(out);
  return 0;
}
