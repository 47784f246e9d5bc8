// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for the packet cache's handling of backend responses: whatever a backend
// sends, inserting it and reading it back must not read or write out of bounds (the TTL
// offsets kept per entry), and a hit must be the stored response again, still parseable,
// with the asking client's ID.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "test/fuzz/fuzz_check.hh"

#include "core/packet_cache.hh"
#include "dns/header.hh"
#include "dns/message.hh"

using namespace ballast;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A cache per input: a hit can only be this input's own entry.
  core::PacketCache cache([] {
    core::PacketCacheOptions o;
    o.maxEntries = 64;
    o.shards = 4;
    return o;
  }());
  dns::MessageView m;
  if (dns::MessageView::parse({data, size}, m) != dns::ParseError::None ||
      dns::HeaderView(data).qdcount() == 0)
    return 0;
  // The response stands in for its own query: same question, flags and EDNS.
  core::CacheKey key = cache.makeKey(m, true);
  cache.insert(key, data, size, 1000);
  std::vector<uint8_t> out(65535);
  size_t len = 0;
  auto r = cache.lookup(key, 0xbeef, {data + dns::kHeaderSize, m.question().name.inPacketLength()},
                        1001, out.data(), out.size(), len, core::PacketCache::Stale::Allowed, 60);
  if (r != core::PacketCache::Result::Miss) {
    FUZZ_CHECK(len == size);
    FUZZ_CHECK(dns::HeaderView(out.data()).id() == 0xbeef);
    dns::MessageView again;
    FUZZ_CHECK(dns::MessageView::parse({out.data(), len}, again) == dns::ParseError::None);
  }
  return 0;
}
