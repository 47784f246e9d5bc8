// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/record_cache.hh"

#include <algorithm>
#include <cstring>

namespace ballast::backends::resolver {

RecordCache::RecordCache(const CacheLimits& limits)
    : limits_(limits), maxPerShard_(std::max<size_t>(1, limits.maxEntries / kShards)) {}

RecordCache::KeyBuf::KeyBuf(const dns::Name& name, uint16_t type) {
  dns::Name lower = name.toLower();
  auto w = lower.wire();
  std::memcpy(buf_, w.data(), w.size());
  buf_[w.size()] = char(type >> 8);
  buf_[w.size() + 1] = char(type);
  len_ = w.size() + 2;
}

void RecordCache::store(std::string_view key, Stored s, int64_t nowSec, bool notify) {
  Shard& shard = shardOf(key);
  std::lock_guard lock(shard.mutex);
  auto told = [&](const std::string& k, const Stored& e) {
    if (notify && storeHook_)
      storeHook_(EntryView{k, e.kind, e.rank, uint32_t(e.expires - nowSec), e.rdatas, e.soa.get(),
                           e.sigs.get()});
  };
  auto it = shard.map.find(key);
  if (it != shard.map.end()) {
    const Stored& old = it->second;
    // A live entry is only replaced by one at least as trustworthy: glue never overwrites
    // an authoritative answer, while an authoritative answer replaces glue.
    if (old.expires > nowSec && old.rank > s.rank) return;
    it->second = std::move(s);
    told(it->first, it->second);
    return;
  }
  if (shard.map.size() >= maxPerShard_) {
    // Full: make room with the expired first, else drop one arbitrary entry. Good enough to
    // bound memory; a real LRU is listed as future work in the README.
    for (auto e = shard.map.begin(); e != shard.map.end();)
      e = e->second.expires <= nowSec ? shard.map.erase(e) : std::next(e);
    if (shard.map.size() >= maxPerShard_) shard.map.erase(shard.map.begin());
  }
  auto [at, _] = shard.map.emplace(std::string(key), std::move(s));
  told(at->first, at->second);
}

void RecordCache::putRRset(const dns::Name& owner, uint16_t type, uint32_t ttl, Rank rank,
                           std::vector<std::vector<uint8_t>> rdatas, int64_t nowSec,
                           Signatures sigs) {
  if (ttl == 0 || rdatas.empty()) return;
  ttl = std::min(ttl, limits_.maxTtl);
  store(KeyBuf(owner, type).view(),
        {EntryKind::Positive, rank, nowSec + ttl, std::move(rdatas), nullptr,
         sigs.empty() ? nullptr : std::make_unique<Signatures>(std::move(sigs))},
        nowSec);
}

void RecordCache::putNegative(const dns::Name& owner, uint16_t type, EntryKind kind, uint32_t ttl,
                              std::optional<Record> soa, Rank rank, int64_t nowSec,
                              Signatures sigs) {
  ttl = std::min(ttl, limits_.maxNegativeTtl);
  if (ttl == 0) return;
  uint16_t t = kind == EntryKind::NxDomain ? kNxType : type;
  store(KeyBuf(owner, t).view(),
        {kind,
         rank,
         nowSec + ttl,
         {},
         soa ? std::make_unique<Record>(std::move(*soa)) : nullptr,
         sigs.empty() ? nullptr : std::make_unique<Signatures>(std::move(sigs))},
        nowSec);
}

void RecordCache::setVerdict(const dns::Name& owner, uint16_t type, const dnssec::Verdict& v,
                             uint32_t maxTtl, int64_t nowSec) {
  KeyBuf buf(owner, type);
  std::string_view key = buf.view();
  Shard& shard = shardOf(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.map.find(key);
  if (it == shard.map.end() || it->second.expires <= nowSec) return;
  it->second.validated = true;
  it->second.verdict = v;
  it->second.expires = std::min(it->second.expires, nowSec + int64_t(maxTtl));
}

std::optional<CacheEntry> RecordCache::get(const dns::Name& owner, uint16_t type,
                                           int64_t nowSec) const {
  KeyBuf buf(owner, type);
  std::string_view key = buf.view();
  Shard& shard = shardOf(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.map.find(key);
  if (it == shard.map.end() || it->second.expires <= nowSec) return std::nullopt;
  const Stored& s = it->second;
  CacheEntry e{s.kind,      s.rank,   uint32_t(s.expires - nowSec), s.rdatas, std::nullopt, {},
               s.validated, s.verdict};
  if (s.soa) e.soa = *s.soa;
  if (s.sigs) {
    e.sigs = *s.sigs;
    for (auto& r : e.sigs.proofs) r.ttl = std::min(r.ttl, e.ttl);
  }
  if (e.soa) e.soa->ttl = std::min(e.soa->ttl, e.ttl);
  return e;
}

size_t RecordCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.map.size();
  }
  return n;
}

size_t RecordCache::purgeExpired(int64_t nowSec) {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += std::erase_if(s.map, [&](const auto& e) { return e.second.expires <= nowSec; });
  }
  return n;
}

void RecordCache::forEachLive(int64_t nowSec,
                              const std::function<void(const EntryView&)>& fn) const {
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [key, e] : s.map) {
      if (e.expires <= nowSec) continue;
      fn(EntryView{key, e.kind, e.rank, uint32_t(e.expires - nowSec), e.rdatas, e.soa.get(),
                   e.sigs.get()});
    }
  }
}

void RecordCache::restore(std::string_view key, EntryKind kind, Rank rank, uint32_t ttl,
                          std::vector<std::vector<uint8_t>> rdatas, std::optional<Record> soa,
                          int64_t nowSec, Signatures sigs) {
  if (ttl == 0) return;
  ttl = std::min(ttl, kind == EntryKind::Positive ? limits_.maxTtl : limits_.maxNegativeTtl);
  store(key,
        {kind, rank, nowSec + ttl, std::move(rdatas),
         soa ? std::make_unique<Record>(std::move(*soa)) : nullptr,
         sigs.empty() ? nullptr : std::make_unique<Signatures>(std::move(sigs))},
        nowSec, false);
}

}  // namespace ballast::backends::resolver
