// SPDX-License-Identifier: GPL-2.0-only
#include "core/cache_tier.hh"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace ballast::core {

namespace {

constexpr uint8_t kMagic[4] = {'B', 'L', 'S', 'T'};
constexpr size_t kFixed = 4 + 1 + 8 + 4;  // magic, schema, insertion time, TTL
constexpr size_t kChecksum = 8;

uint64_t checksum(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

void put(uint8_t* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = uint8_t(v >> (8 * (bytes - 1 - i)));
}

uint64_t get(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace

std::unique_ptr<ParkedQuery> ParkedQuery::park(const QueryContext& q, bool poolDown) {
  auto p = std::make_unique<ParkedQuery>();
  // Room for the largest answer the client takes (a cached one is read back into it) and
  // for an answer made from the query; not the frontend's whole buffer (64 KB over TCP).
  size_t room = std::min(q.capacity, std::max<size_t>(q.cacheKey.maxSize, q.length + 512));
  p->buffer.resize(room);
  std::memcpy(p->buffer.data(), q.packet, q.length);
  p->q = q;
  p->q.packet = p->buffer.data();
  p->q.capacity = room;
  p->q.http = nullptr;  // valid only while processQuery runs
  p->poolDown = poolDown;
  // Parsed already once, so it parses again.
  (void)dns::MessageView::parse({p->q.packet, p->q.length}, p->q.message);
  return p;
}

std::vector<uint8_t> encodeTierValue(std::span<const uint8_t> answer, uint32_t ttl,
                                     uint64_t insertedUnix) {
  size_t body = kFixed + answer.size();
  std::vector<uint8_t> out(body + kChecksum);
  std::memcpy(out.data(), kMagic, 4);
  out[4] = kTierSchema;
  put(out.data() + 5, insertedUnix, 8);
  put(out.data() + 13, ttl, 4);
  if (!answer.empty()) std::memcpy(out.data() + kFixed, answer.data(), answer.size());
  put(out.data() + body, checksum(out.data(), body), 8);
  return out;
}

bool decodeTierValue(std::span<const uint8_t> b, TierValue& out) {
  if (b.size() < kFixed + kChecksum + 12 || std::memcmp(b.data(), kMagic, 4) != 0 ||
      b[4] != kTierSchema)
    return false;
  size_t body = b.size() - kChecksum;
  if (get(b.data() + body, 8) != checksum(b.data(), body)) return false;
  out.insertedUnix = get(b.data() + 5, 8);
  out.ttl = uint32_t(get(b.data() + 13, 4));
  out.answer = b.subspan(kFixed, body - kFixed);
  return true;
}

std::string tierKey(const CacheKey& k) {
  return fmt::format("ballast:pc{}:{:016x}:{}:{}:{}", kTierSchema, k.hash, k.qtype, k.qclass,
                     k.flags);
}

}  // namespace ballast::core
