// SPDX-License-Identifier: GPL-2.0-only
#include "core/packet_cache.hh"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <random>

#include "dns/ecs.hh"
#include "dns/header.hh"
#include "dns/types.hh"

namespace ballast::core {

namespace {

constexpr uint16_t kCookieOption = 10;
constexpr size_t kMaxTtlFields = 255;

/// splitmix64's finaliser: spreads the FNV hash of the name over all 64 bits before the
/// shard and bucket are taken from it.
uint64_t mix(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

uint64_t hashBytes(uint64_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

uint32_t readU32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

void writeU32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

}  // namespace

/// One cached response and its bookkeeping, in a single allocation: the header below, the
/// response bytes, then the offsets of its TTL fields (so a hit rewrites TTLs without
/// parsing).
struct PacketCache::Entry {
  Entry* prev = nullptr;  ///< towards the most recently used
  Entry* next = nullptr;
  uint64_t hash = 0;
  uint32_t added = 0;
  uint32_t expiry = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  uint8_t flags = 0;
  bool negative = false;
  uint8_t ttlCount = 0;
  uint16_t length = 0;

  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  uint16_t ttlOffset(size_t i) const {
    const uint8_t* p = bytes() + length + 2 * i;
    return uint16_t(p[0] << 8 | p[1]);
  }

  static Entry* make(size_t length, size_t ttlCount) {
    void* mem = ::operator new(sizeof(Entry) + length + 2 * ttlCount);
    return new (mem) Entry();
  }
  static void destroy(Entry* e) {
    e->~Entry();
    ::operator delete(e);
  }
};

/// A doubly linked list of entries, most recently used at the head.
struct PacketCache::LruList {
  Entry* head = nullptr;
  Entry* tail = nullptr;
};

struct PacketCache::Shard {
  mutable std::mutex mutex;
  std::unordered_map<uint64_t, Entry*> map;
  /// Negative answers are evicted before positive ones, so a flood of random names that
  /// do not exist cannot push out answers that are still asked for.
  LruList lists[2];  // [0] positive, [1] negative

  LruList& listOf(const Entry* e) { return lists[e->negative ? 1 : 0]; }

  void unlink(Entry* e) {
    LruList& l = listOf(e);
    (e->prev ? e->prev->next : l.head) = e->next;
    (e->next ? e->next->prev : l.tail) = e->prev;
    e->prev = e->next = nullptr;
  }
  void pushFront(Entry* e) {
    LruList& l = listOf(e);
    e->prev = nullptr;
    e->next = l.head;
    (l.head ? l.head->prev : l.tail) = e;
    l.head = e;
  }
  void erase(Entry* e) {
    unlink(e);
    map.erase(e->hash);
    Entry::destroy(e);
  }
  /// The entry to drop when full: an expired one at either tail first, then the least
  /// recently used negative answer, then the least recently used positive one.
  Entry* victim(uint32_t now) {
    for (auto& l : lists)
      if (l.tail && l.tail->expiry <= now) return l.tail;
    return lists[1].tail ? lists[1].tail : lists[0].tail;
  }
  ~Shard() {
    for (auto& [hash, e] : map) Entry::destroy(e);
  }
};

PacketCache::PacketCache(PacketCacheOptions opts) : opts_(std::move(opts)) {
  if (opts_.shards == 0) opts_.shards = 1;
  if (opts_.maxEntries < opts_.shards) opts_.shards = std::max<size_t>(1, opts_.maxEntries);
  perShard_ = (opts_.maxEntries + opts_.shards - 1) / opts_.shards;
  shards_ = std::make_unique<Shard[]>(opts_.shards);
  for (size_t i = 0; i < opts_.shards; ++i) shards_[i].map.reserve(perShard_);
}

PacketCache::~PacketCache() = default;

PacketCache::Shard& PacketCache::shardFor(uint64_t hash) const {
  return shards_[(hash >> 32) % opts_.shards];
}

CacheKey PacketCache::makeKey(const dns::MessageView& query, bool tcp) const {
  CacheKey k;
  const auto& q = query.question();
  dns::HeaderView h(query.packet().data());
  k.qtype = q.qtype;
  k.qclass = q.qclass;
  k.flags = uint8_t((h.rd() ? CacheKey::kRd : 0) | (h.cd() ? CacheKey::kCd : 0) |
                    (tcp ? CacheKey::kTcp : 0));
  const auto& edns = query.edns();
  uint64_t hash = q.name.hash();
  if (edns.present) {
    k.flags |= CacheKey::kEdns | (edns.dnssecOk ? CacheKey::kDo : 0);
    dns::forEachEdnsOption(query.ednsOptions(), [&](uint16_t code, std::span<const uint8_t> d) {
      if (code == kCookieOption && !opts_.cookieHashing) return;
      if (std::find(opts_.skipOptions.begin(), opts_.skipOptions.end(), code) !=
          opts_.skipOptions.end())
        return;
      uint8_t c[2] = {uint8_t(code >> 8), uint8_t(code)};
      hash = hashBytes(hash, c, 2);
      dns::ClientSubnet s;
      if (code == dns::kEcsOptionCode && opts_.parseEcs && dns::parseClientSubnet(d, s)) {
        // The subnet, not the scope the client may have put there.
        s.scopePrefix = 0;
        hash = hashBytes(hash, reinterpret_cast<const uint8_t*>(&s), sizeof s);
        return;
      }
      hash = hashBytes(hash, d.data(), d.size());
    });
  }
  k.maxSize = tcp ? 65535 : edns.present ? std::max<uint16_t>(512, edns.udpPayloadSize) : 512;
  k.hash = mix(hash ^ (uint64_t(k.qtype) << 40 | uint64_t(k.qclass) << 24 | k.flags));
  return k;
}

PacketCache::Result PacketCache::lookup(const CacheKey& key, const dns::MessageView& query,
                                        uint32_t now, uint8_t* out, size_t capacity, size_t& len,
                                        Stale stale, uint32_t staleWindow) {
  // A query's name cannot be compressed (nothing precedes it), so it is the wire form.
  const uint8_t* p = query.packet().data();
  return lookup(key, dns::HeaderView(p).id(),
                {p + dns::kHeaderSize, query.question().name.inPacketLength()}, now, out, capacity,
                len, stale, staleWindow);
}

PacketCache::Result PacketCache::lookup(const CacheKey& key, uint16_t clientId,
                                        std::span<const uint8_t> qname, uint32_t now, uint8_t* out,
                                        size_t capacity, size_t& len, Stale stale,
                                        uint32_t staleWindow) {
  if (qname.size() > dns::kMaxNameLength) return Result::Miss;
  // `out` may be the query's own buffer: keep its name before the answer overwrites it.
  uint8_t name[dns::kMaxNameLength];
  std::memcpy(name, qname.data(), qname.size());
  Shard& s = shardFor(key.hash);
  std::unique_lock lock(s.mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    stats.deferredLookups.inc();
    lock.lock();
  }
  auto it = s.map.find(key.hash);
  if (it == s.map.end()) return Result::Miss;
  Entry* e = it->second;
  if (e->qtype != key.qtype || e->qclass != key.qclass || e->flags != key.flags ||
      e->length < dns::kHeaderSize + qname.size() ||
      !dns::NameRef({e->bytes(), e->length}, dns::kHeaderSize).equalsWire(qname)) {
    stats.lookupCollisions.inc();
    return Result::Miss;
  }
  bool fresh = now < e->expiry;
  if (!fresh && (stale == Stale::No || now - e->expiry >= staleWindow)) return Result::Miss;
  if (e->length > capacity || e->length > key.maxSize) return Result::Miss;

  std::memcpy(out, e->bytes(), e->length);
  uint32_t age = now - e->added;
  for (size_t i = 0; i < e->ttlCount; ++i) {
    uint8_t* field = out + e->ttlOffset(i);
    uint32_t ttl = readU32(field);
    if (!fresh) {
      ttl = opts_.staleTTL;
    } else if (!opts_.dontAge) {
      ttl = ttl > age ? ttl - age : 0;
    }
    writeU32(field, ttl);
  }
  s.unlink(e);
  s.pushFront(e);
  len = e->length;
  lock.unlock();

  // The client's ID and letter case; the cached answer's name is uncompressed right after
  // the header (checked at insertion) and as long as the client's (compared above).
  out[0] = uint8_t(clientId >> 8);
  out[1] = uint8_t(clientId);
  std::memcpy(out + dns::kHeaderSize, name, qname.size());
  if (fresh) {
    stats.hits.inc();
    return Result::Hit;
  }
  stats.staleHits.inc();
  return Result::StaleHit;
}

uint32_t PacketCache::ttlFor(const uint8_t* response, size_t, const dns::MessageView& m,
                             bool& negative) const {
  uint8_t rc = dns::HeaderView(response).rcode();
  negative = false;
  if (rc == dns::rcode::ServFail || rc == dns::rcode::Refused) return opts_.temporaryFailureTTL;
  if (rc != dns::rcode::NoError && rc != dns::rcode::NXDomain) return 0;
  bool hasAnswer = false;
  uint32_t minTtl = UINT32_MAX, soaTtl = UINT32_MAX;
  for (const auto& r : m) {
    if (r.section == dns::Section::Answer) hasAnswer = true;
    if (r.type == dns::qtype::OPT || r.section == dns::Section::Additional) continue;
    minTtl = std::min(minTtl, r.ttl);
    if (r.type == dns::qtype::SOA && r.section == dns::Section::Authority && r.rdataLength >= 20)
      soaTtl = std::min(r.ttl, readU32(response + r.rdataOffset + r.rdataLength - 4));
  }
  if (rc == dns::rcode::NXDomain || !hasAnswer) {
    // RFC 2308: negative answers live as long as the SOA's TTL and minimum allow; without
    // an SOA they are not cached at all.
    negative = true;
    if (soaTtl == UINT32_MAX) return 0;
    return std::min(soaTtl, opts_.maxNegativeTTL);
  }
  return std::min(minTtl, opts_.maxTTL);
}

uint32_t PacketCache::insert(const CacheKey& key, const uint8_t* response, size_t len, uint32_t now,
                             uint32_t tempFailureTTL) {
  dns::MessageView m;
  if (len > UINT16_MAX || dns::MessageView::parse({response, len}, m) != dns::ParseError::None)
    return 0;
  dns::HeaderView h(response);
  // Truncated answers would send every later client to TCP; they are never cached.
  if (h.tc() || h.qdcount() != 1) return 0;
  if (m.question().name.offset() != dns::kHeaderSize) return 0;
  bool negative = false;
  uint32_t ttl = ttlFor(response, len, m, negative);
  uint8_t rc = dns::HeaderView(response).rcode();
  if (tempFailureTTL != kDefaultTempFailureTTL &&
      (rc == dns::rcode::ServFail || rc == dns::rcode::Refused))
    ttl = tempFailureTTL;
  if (ttl == 0 || ttl < opts_.minTTL) {
    stats.ttlTooShorts.inc();
    return 0;
  }
  uint16_t offsets[kMaxTtlFields];
  size_t ttlCount = 0;
  for (const auto& r : m) {
    if (r.type == dns::qtype::OPT) continue;
    if (ttlCount == kMaxTtlFields) return 0;
    offsets[ttlCount++] = r.ttlOffset;
  }

  Shard& s = shardFor(key.hash);
  std::unique_lock lock(s.mutex, std::defer_lock);
  if (opts_.deferrableInsertLock ? !lock.try_lock() : (lock.lock(), false)) {
    stats.deferredInserts.inc();
    return 0;
  }
  auto it = s.map.find(key.hash);
  if (it != s.map.end()) {
    Entry* old = it->second;
    bool sameQuestion = old->qtype == key.qtype && old->qclass == key.qclass &&
                        old->flags == key.flags &&
                        m.question().name.equalsWire(
                            {old->bytes() + dns::kHeaderSize, old->length - dns::kHeaderSize});
    if (!sameQuestion) {
      stats.insertCollisions.inc();
      return 0;
    }
    s.erase(old);  // a fresh answer replaces the old (possibly stale) one
  } else if (s.map.size() >= perShard_) {
    s.erase(s.victim(now));
    stats.expunged.inc();
  }
  Entry* e = Entry::make(len, ttlCount);
  e->hash = key.hash;
  e->added = now;
  e->expiry = now + ttl;
  e->qtype = key.qtype;
  e->qclass = key.qclass;
  e->flags = key.flags;
  e->negative = negative;
  e->ttlCount = uint8_t(ttlCount);
  e->length = uint16_t(len);
  std::memcpy(e->bytes(), response, len);
  for (size_t i = 0; i < ttlCount; ++i) {
    e->bytes()[len + 2 * i] = uint8_t(offsets[i] >> 8);
    e->bytes()[len + 2 * i + 1] = uint8_t(offsets[i]);
    // No record served from here claims to live longer than the entry does (maxTTL, the
    // negative TTL of RFC 2308).
    uint8_t* field = e->bytes() + offsets[i];
    if (readU32(field) > ttl) writeU32(field, ttl);
  }
  s.map.emplace(key.hash, e);
  s.pushFront(e);
  stats.inserts.inc();
  return ttl;
}

size_t PacketCache::purgeExpired(uint32_t now, uint32_t staleWindow, size_t upTo) {
  if (opts_.keepStaleData && backendsDown_.load(std::memory_order_relaxed)) return 0;
  size_t removed = 0;
  size_t total = upTo ? entries() : 0;
  for (size_t i = 0; i < opts_.shards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mutex);
    for (auto it = s.map.begin(); it != s.map.end();) {
      if (upTo && total - removed <= upTo) break;
      Entry* e = it->second;
      ++it;  // erase() invalidates e's iterator only
      if (now >= e->expiry && now - e->expiry >= staleWindow) {
        s.erase(e);
        ++removed;
      }
    }
  }
  stats.expunged.inc(removed);
  return removed;
}

size_t PacketCache::expunge(size_t keep) {
  size_t total = entries(), removed = 0;
  for (size_t i = 0; i < opts_.shards && total - removed > keep; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mutex);
    while (total - removed > keep && !s.map.empty()) {
      s.erase(s.victim(0));
      ++removed;
    }
  }
  stats.expunged.inc(removed);
  return removed;
}

size_t PacketCache::expungeByName(const dns::Name& name, uint16_t qtype, bool suffixMatch) {
  size_t removed = 0;
  for (size_t i = 0; i < opts_.shards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mutex);
    for (auto it = s.map.begin(); it != s.map.end();) {
      Entry* e = it->second;
      ++it;
      if (qtype != dns::qtype::ANY && e->qtype != qtype) continue;
      dns::NameRef n({e->bytes(), e->length}, dns::kHeaderSize);
      dns::Name owner = n.toName();
      if (suffixMatch ? owner.isPartOf(name) : owner == name) {
        s.erase(e);
        ++removed;
      }
    }
  }
  stats.expunged.inc(removed);
  return removed;
}

size_t PacketCache::dump(std::string& out, uint32_t now) const {
  size_t count = 0;
  for (size_t i = 0; i < opts_.shards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mutex);
    for (const auto& [hash, e] : s.map) {
      dns::NameRef n({e->bytes(), e->length}, dns::kHeaderSize);
      long ttl = long(e->expiry) - long(now);
      out += fmt::format("{} {} {} {} rcode={} {} bytes{}\n", n.toString(), ttl,
                         dns::qclassToString(e->qclass), dns::qtypeToString(e->qtype),
                         dns::HeaderView(e->bytes()).rcode(), e->length,
                         e->negative ? " negative" : "");
      ++count;
    }
  }
  return count;
}

size_t PacketCache::entries() const {
  size_t n = 0;
  for (size_t i = 0; i < opts_.shards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    n += shards_[i].map.size();
  }
  return n;
}

}  // namespace ballast::core
