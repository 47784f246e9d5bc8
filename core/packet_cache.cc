// SPDX-License-Identifier: GPL-2.0-only
#include "core/packet_cache.hh"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
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

/// One cached response and its bookkeeping, in a single allocation: this 16-byte header,
/// the response bytes, then the offsets of its TTL fields (so a hit rewrites TTLs without
/// parsing). The qtype and qclass are read from the response's question. Unless dontAge,
/// each stored TTL field holds the time its record expires (monotonic seconds), so a hit
/// needs no insertion time to age it.
struct PacketCache::Entry {
  uint64_t hash = 0;
  uint32_t expiry = 0;
  uint16_t length = 0;
  uint8_t flags = 0;  ///< the key's flags (CacheKey::k*), kNegative, kReferenced
  uint8_t ttlCount = 0;

  static constexpr uint8_t kNegative = 0x40;
  static constexpr uint8_t kReferenced = 0x80;  ///< hit since the clock hand last passed
  static constexpr uint8_t kKeyFlags = 0x3f;

  bool negative() const { return flags & kNegative; }
  uint8_t keyFlags() const { return flags & kKeyFlags; }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  uint16_t ttlOffset(size_t i) const {
    const uint8_t* p = bytes() + length + 2 * i;
    return uint16_t(p[0] << 8 | p[1]);
  }
  /// qtype and qclass, right after the question's name (uncompressed, checked at insertion).
  uint16_t qtypeAt(size_t nameLength) const {
    const uint8_t* p = bytes() + dns::kHeaderSize + nameLength;
    return uint16_t(p[0] << 8 | p[1]);
  }
  uint16_t qclassAt(size_t nameLength) const {
    const uint8_t* p = bytes() + dns::kHeaderSize + nameLength + 2;
    return uint16_t(p[0] << 8 | p[1]);
  }
  size_t nameLength() const {
    return dns::NameRef({bytes(), length}, dns::kHeaderSize).inPacketLength();
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
/// A shard: an open-addressing table (linear probing, deletion by backward shift) whose
/// slots hold an entry's address in the low 48 bits and the top 16 bits of its hash above,
/// so a probe compares tags without touching the entry. No node per entry, no list links:
/// eviction is a clock over the slots (see victim()).
// Own cache lines: threads locking different shards never share one.
struct alignas(64) PacketCache::Shard {
  mutable std::mutex mutex;
  uint64_t* slots = nullptr;  ///< calloc'd: untouched pages cost no memory
  size_t mask = 0;
  size_t count = 0;
  size_t hand = 0;  ///< the clock hand

  static constexpr uint64_t kPointerBits = 0x0000ffffffffffffull;
  static Entry* entryOf(uint64_t slot) { return reinterpret_cast<Entry*>(slot & kPointerBits); }
  static uint64_t slotOf(Entry* e) {
    return (e->hash & ~kPointerBits) | (reinterpret_cast<uint64_t>(e) & kPointerBits);
  }
  size_t home(uint64_t hash) const { return size_t(hash) & mask; }

  void init(size_t maxEntries) {
    size_t capacity = 8;
    while (capacity < maxEntries + maxEntries / 7 + 1) capacity *= 2;  // load <= 7/8
    slots = static_cast<uint64_t*>(std::calloc(capacity, sizeof(uint64_t)));
    if (!slots) throw std::bad_alloc();
    mask = capacity - 1;
  }
  ~Shard() {
    if (!slots) return;
    for (size_t i = 0; i <= mask; ++i)
      if (slots[i]) Entry::destroy(entryOf(slots[i]));
    std::free(slots);
  }

  /// The slot of the entry with this hash, or -1.
  ptrdiff_t find(uint64_t hash) const {
    uint64_t tag = hash & ~kPointerBits;
    for (size_t i = home(hash);; i = (i + 1) & mask) {
      uint64_t s = slots[i];
      if (!s) return -1;
      if ((s & ~kPointerBits) == tag && entryOf(s)->hash == hash) return ptrdiff_t(i);
    }
  }
  void add(Entry* e) {
    size_t i = home(e->hash);
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = slotOf(e);
    ++count;
  }
  /// Frees the entry in slot i and shifts the probe run after it back, so that no probe
  /// stops early at the hole.
  void eraseAt(size_t i) {
    Entry::destroy(entryOf(slots[i]));
    slots[i] = 0;
    --count;
    for (size_t j = (i + 1) & mask; slots[j]; j = (j + 1) & mask) {
      size_t k = home(entryOf(slots[j])->hash);
      // The entry at j may move to the hole at i unless its home lies in (i, j].
      bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      slots[i] = slots[j];
      slots[j] = 0;
      i = j;
    }
  }
  /// The slot to free when the shard is full: a clock over the slots. From the hand, a
  /// window of kWindow entries is looked at: an expired entry goes first, then a negative
  /// answer (one not hit since the hand last passed it before one that was), then a
  /// positive answer not hit since the hand last passed it. The hand then moves just past
  /// the victim, clearing the hit marks of the entries it passed, so an entry hit since the
  /// last turn stays for a whole turn more. A window of hit positive answers is passed
  /// over (their marks cleared) and the next window looked at.
  size_t victim(uint32_t now) {
    constexpr size_t kWindow = 16;
    size_t window = count < kWindow ? count : kWindow;
    for (;;) {
      ptrdiff_t pick = -1, negative = -1, negativeHit = -1, positive = -1;
      size_t i = hand;
      for (size_t seen = 0; seen < window; i = (i + 1) & mask) {
        if (!slots[i]) continue;
        ++seen;
        const Entry* e = entryOf(slots[i]);
        if (e->expiry <= now) {
          pick = ptrdiff_t(i);
          break;
        }
        bool referenced = e->flags & Entry::kReferenced;
        ptrdiff_t& candidate = e->negative() ? (referenced ? negativeHit : negative) : positive;
        if (candidate < 0 && (e->negative() || !referenced)) candidate = ptrdiff_t(i);
      }
      for (ptrdiff_t c : {negative, negativeHit, positive})
        if (pick < 0 && c >= 0) pick = c;
      size_t stop = pick >= 0 ? size_t(pick) : i;
      for (size_t j = hand; j != stop; j = (j + 1) & mask)
        if (slots[j]) entryOf(slots[j])->flags &= uint8_t(~Entry::kReferenced);
      hand = pick >= 0 ? (stop + 1) & mask : stop;
      if (pick >= 0) return size_t(pick);
    }
  }
};

PacketCache::PacketCache(PacketCacheOptions opts) : opts_(std::move(opts)) {
  if (opts_.shards == 0) opts_.shards = 1;
  if (opts_.maxEntries < opts_.shards) opts_.shards = std::max<size_t>(1, opts_.maxEntries);
  perShard_ = (opts_.maxEntries + opts_.shards - 1) / opts_.shards;
  static_assert(sizeof(Entry) == 16);
  shards_ = std::make_unique<Shard[]>(opts_.shards);
  for (size_t i = 0; i < opts_.shards; ++i) shards_[i].init(perShard_);
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
  ptrdiff_t slot = s.find(key.hash);
  if (slot < 0) return Result::Miss;
  Entry* e = Shard::entryOf(s.slots[slot]);
  if (e->keyFlags() != key.flags || e->length < dns::kHeaderSize + qname.size() + 4 ||
      !dns::NameRef({e->bytes(), e->length}, dns::kHeaderSize).equalsWire(qname) ||
      e->qtypeAt(qname.size()) != key.qtype || e->qclassAt(qname.size()) != key.qclass) {
    stats.lookupCollisions.inc();
    return Result::Miss;
  }
  bool fresh = now < e->expiry;
  if (!fresh && (stale == Stale::No || now - e->expiry >= staleWindow)) return Result::Miss;
  if (e->length > capacity || e->length > key.maxSize) return Result::Miss;

  std::memcpy(out, e->bytes(), e->length);
  for (size_t i = 0; i < e->ttlCount; ++i) {
    uint8_t* field = out + e->ttlOffset(i);
    uint32_t ttl = readU32(field);  // dontAge: the TTL; else when the record expires
    if (!fresh) {
      ttl = opts_.staleTTL;
    } else if (!opts_.dontAge) {
      ttl = ttl > now ? ttl - now : 0;
    }
    writeU32(field, ttl);
  }
  // Written only when it changes: a hot entry's line is not dirtied by every hit (threads
  // hitting it would pass the line back and forth).
  if (!(e->flags & Entry::kReferenced)) e->flags |= Entry::kReferenced;
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
  if (ptrdiff_t slot = s.find(key.hash); slot >= 0) {
    Entry* old = Shard::entryOf(s.slots[slot]);
    size_t nameLength = m.question().name.inPacketLength();
    bool sameQuestion = old->keyFlags() == key.flags &&
                        old->length >= dns::kHeaderSize + nameLength + 4 &&
                        m.question().name.equalsWire(
                            {old->bytes() + dns::kHeaderSize, old->length - dns::kHeaderSize}) &&
                        old->qtypeAt(nameLength) == key.qtype &&
                        old->qclassAt(nameLength) == key.qclass;
    if (!sameQuestion) {
      stats.insertCollisions.inc();
      return 0;
    }
    s.eraseAt(size_t(slot));  // a fresh answer replaces the old (possibly stale) one
  } else if (s.count >= perShard_) {
    s.eraseAt(s.victim(now));
    stats.expunged.inc();
  }
  Entry* e = Entry::make(len, ttlCount);
  e->hash = key.hash;
  e->expiry = now + ttl;
  e->flags = uint8_t(key.flags | (negative ? Entry::kNegative : 0));
  e->ttlCount = uint8_t(ttlCount);
  e->length = uint16_t(len);
  std::memcpy(e->bytes(), response, len);
  for (size_t i = 0; i < ttlCount; ++i) {
    e->bytes()[len + 2 * i] = uint8_t(offsets[i] >> 8);
    e->bytes()[len + 2 * i + 1] = uint8_t(offsets[i]);
    // No record served from here claims to live longer than the entry does (maxTTL, the
    // negative TTL of RFC 2308). Aged entries keep when each record expires instead.
    uint8_t* field = e->bytes() + offsets[i];
    uint32_t recordTtl = std::min(readU32(field), ttl);
    writeU32(field, opts_.dontAge ? recordTtl
                                  : uint32_t(std::min<uint64_t>(uint64_t(now) + recordTtl,
                                                                UINT32_MAX)));
  }
  s.add(e);
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
    for (size_t j = 0; j <= s.mask;) {
      if (upTo && total - removed <= upTo) break;
      uint64_t slot = s.slots[j];
      Entry* e = Shard::entryOf(slot);
      if (slot && now >= e->expiry && now - e->expiry >= staleWindow) {
        s.eraseAt(j);  // another entry may have moved into j: look at it again
        ++removed;
        continue;
      }
      ++j;
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
    while (total - removed > keep && s.count > 0) {
      s.eraseAt(s.victim(0));
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
    for (size_t j = 0; j <= s.mask;) {
      uint64_t slot = s.slots[j];
      Entry* e = Shard::entryOf(slot);
      bool match = false;
      if (slot && (qtype == dns::qtype::ANY || e->qtypeAt(e->nameLength()) == qtype)) {
        dns::Name owner = dns::NameRef({e->bytes(), e->length}, dns::kHeaderSize).toName();
        match = suffixMatch ? owner.isPartOf(name) : owner == name;
      }
      if (match) {
        s.eraseAt(j);
        ++removed;
        continue;
      }
      ++j;
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
    for (size_t j = 0; j <= s.mask; ++j) {
      if (!s.slots[j]) continue;
      const Entry* e = Shard::entryOf(s.slots[j]);
      dns::NameRef n({e->bytes(), e->length}, dns::kHeaderSize);
      size_t nameLength = n.inPacketLength();
      long ttl = long(e->expiry) - long(now);
      out += fmt::format("{} {} {} {} rcode={} {} bytes{}\n", n.toString(), ttl,
                         dns::qclassToString(e->qclassAt(nameLength)),
                         dns::qtypeToString(e->qtypeAt(nameLength)),
                         dns::HeaderView(e->bytes()).rcode(), e->length,
                         e->negative() ? " negative" : "");
      ++count;
    }
  }
  return count;
}

size_t PacketCache::entries() const {
  size_t n = 0;
  for (size_t i = 0; i < opts_.shards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    n += shards_[i].count;
  }
  return n;
}

}  // namespace ballast::core
