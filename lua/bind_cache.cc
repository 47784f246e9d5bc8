// SPDX-License-Identifier: GPL-2.0-only
/// The packet cache: newPacketCache and its methods, a pool's setCache/getCache/unsetCache,
/// and the global stale and cleaning settings.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "core/clock.hh"
#include "core/cache_tier.hh"
#include "core/packet_cache.hh"
#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/userdata.hh"
#include "tier/redis_tier.hh"

namespace ballast::lua {

namespace {

const char kCacheMeta[] = "ballast.PacketCache";
const char kPoolMeta[] = "ballast.Pool";  // created by registerPoolBindings

using CacheRef = std::shared_ptr<core::PacketCache>;

core::PacketCache& checkCache(lua_State* L, int idx) {
  return *checkUserdata<CacheRef>(L, idx, kCacheMeta);
}

uint32_t nowSeconds() {
  return uint32_t(core::monotonicUsec() / 1000000);
}

}  // namespace

std::string readRedisOptions(Options& opts, tier::RedisSettings& redis, const char* function) {
  std::string url;
  if (auto v = opts.string("redis")) {
    try {
      tier::parseRedisUrl(*v, redis);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(fmt::format("{}: redis: {}", function, e.what()));
    }
    url = *v;
  }
  if (auto v = opts.integer("redisTimeout", 1, 10000)) redis.budgetUsec = *v * 1000;
  if (auto v = opts.integer("redisMaxPendingWrites", 1, 10000000))
    redis.maxPendingWrites = size_t(*v);
  // TLS (rediss://): the names of redis-cli's --cacert, --cert, --key and --sni.
  if (auto v = opts.string("redisTLSCA")) redis.tls.caFile = *v;
  if (auto v = opts.string("redisTLSCert")) redis.tls.certFile = *v;
  if (auto v = opts.string("redisTLSKey")) redis.tls.keyFile = *v;
  if (auto v = opts.string("redisTLSServerName")) redis.tls.serverName = *v;
  if (auto v = opts.boolean("redisTLSVerify")) redis.tls.verify = *v;
  return url;
}

namespace {

/// ballast's own options of newPacketCache: the shared tier on Redis.
void tierOptions(Options& opts, core::PacketCacheOptions& o, tier::RedisSettings& redis) {
  o.tier = readRedisOptions(opts, redis, "newPacketCache");
  if (o.tier.empty()) return;
  // The key of a reload: a kept cache keeps its tier as it was.
  o.tier += fmt::format(" {} {} {} {} {} {} {}", redis.budgetUsec, redis.maxPendingWrites,
                        redis.tls.caFile, redis.tls.certFile, redis.tls.keyFile,
                        redis.tls.serverName, redis.tls.verify);
}

/// newPacketCache(maxEntries, {options}): dnsdist's options and defaults.
int newPacketCache(lua_State* L, Host& h) {
  double max = checkNumber(L, 1, "newPacketCache", "the maximum number of entries");
  if (max < 1 || max > 1e9 || max != double(uint64_t(max)))
    throw ConfigError("newPacketCache: the maximum number of entries must be from 1 to 1000000000");
  core::PacketCacheOptions o;
  o.maxEntries = size_t(max);
  tier::RedisSettings redis;
  if (!lua_isnoneornil(L, 2)) {
    Options opts(L, 2, "newPacketCache");
    constexpr int64_t kDay = 86400 * 7;
    if (auto v = opts.integer("maxTTL", 1, kDay)) o.maxTTL = uint32_t(*v);
    if (auto v = opts.integer("minTTL", 0, kDay)) o.minTTL = uint32_t(*v);
    if (auto v = opts.integer("temporaryFailureTTL", 0, kDay)) o.temporaryFailureTTL = uint32_t(*v);
    if (auto v = opts.integer("staleTTL", 0, kDay)) o.staleTTL = uint32_t(*v);
    if (auto v = opts.integer("maxNegativeTTL", 0, kDay)) o.maxNegativeTTL = uint32_t(*v);
    if (auto v = opts.boolean("dontAge")) o.dontAge = *v;
    if (auto v = opts.integer("numberOfShards", 1, 65536)) o.shards = size_t(*v);
    if (auto v = opts.boolean("keepStaleData")) o.keepStaleData = *v;
    if (auto v = opts.boolean("cookieHashing")) o.cookieHashing = *v;
    if (auto v = opts.boolean("deferrableInsertLock")) o.deferrableInsertLock = *v;
    // Every EDNS option not skipped, ECS included, is part of the key either way: answers
    // for different client subnets never mix. parseECS keys on the subnet the option names.
    if (auto v = opts.boolean("parseECS")) o.parseEcs = *v;
    if (auto v = opts.integers("skipOptions", 0, 65535))
      for (int64_t code : *v) o.skipOptions.push_back(uint16_t(code));
    tierOptions(opts, o, redis);
    opts.done();
    if (o.minTTL > o.maxTTL) throw ConfigError("newPacketCache: minTTL is larger than maxTTL");
  }
  auto cache = std::make_shared<core::PacketCache>(std::move(o));
  if (!cache->options().tier.empty()) {
    try {
      cache->setTier(std::make_shared<tier::RedisTier>(redis, h.runtime));
    } catch (const std::runtime_error& e) {
      throw ConfigError(fmt::format("newPacketCache: redis: {}", e.what()));
    }
  }
  h.target().keepCache(cache);
  pushUserdata(L, kCacheMeta, std::move(cache));
  return 1;
}

std::string describe(const core::PacketCache& c) {
  return fmt::format("{}/{}", c.entries(), c.maxEntries());
}

int cacheToString(lua_State* L, Host&) {
  lua_pushstring(L, describe(checkCache(L, 1)).c_str());
  return 1;
}

/// The figures of printStats and getStats, in dnsdist's order and names.
struct StatField {
  const char* key;
  const char* label;
  metrics::Counter core::PacketCacheStats::*counter;
};
constexpr StatField kStatFields[] = {
    {"hits", "Hits", &core::PacketCacheStats::hits},
    {"misses", "Misses", &core::PacketCacheStats::misses},
    {"staleHits", "Stale hits", &core::PacketCacheStats::staleHits},
    {"deferredInserts", "Deferred inserts", &core::PacketCacheStats::deferredInserts},
    {"deferredLookups", "Deferred lookups", &core::PacketCacheStats::deferredLookups},
    {"lookupCollisions", "Lookup Collisions", &core::PacketCacheStats::lookupCollisions},
    {"insertCollisions", "Insert Collisions", &core::PacketCacheStats::insertCollisions},
    {"ttlTooShorts", "TTL Too Shorts", &core::PacketCacheStats::ttlTooShorts},
    {"expunged", "Expunged", &core::PacketCacheStats::expunged},
};

int printStats(lua_State* L, Host& h) {
  auto& c = checkCache(L, 1);
  std::string out = fmt::format("Entries: {}\n", describe(c));
  for (const auto& f : kStatFields)
    out += fmt::format("{}: {}\n", f.label, (c.stats.*f.counter).value());
  if (c.tier()) {
    const auto& r = tier::RedisStats::get();
    out += fmt::format("Shared tier: {}\n", c.tier()->describe());
    out += fmt::format("Redis hits: {}\nRedis misses: {}\nRedis errors: {}\n", r.hits.value(),
                       r.misses.value(), r.errors.value());
  }
  h.out(out);
  return 0;
}

int getStats(lua_State* L, Host&) {
  auto& c = checkCache(L, 1);
  lua_newtable(L);
  lua_pushnumber(L, double(c.entries()));
  lua_setfield(L, -2, "entries");
  lua_pushnumber(L, double(c.maxEntries()));
  lua_setfield(L, -2, "maxEntries");
  for (const auto& f : kStatFields) {
    lua_pushnumber(L, double((c.stats.*f.counter).value()));
    lua_setfield(L, -2, f.key);
  }
  return 1;
}

int expunge(lua_State* L, Host&) {
  auto& c = checkCache(L, 1);
  double keep = lua_isnoneornil(L, 2) ? 0 : checkNumber(L, 2, "expunge", "the entries to keep");
  if (keep < 0) throw ConfigError("expunge: the number of entries to keep cannot be negative");
  lua_pushnumber(L, double(c.expunge(size_t(keep))));
  return 1;
}

/// purgeExpired(n): removes expired entries (whatever the stale window) until at most n
/// entries remain (0: every expired one); returns how many went.
int purgeExpired(lua_State* L, Host&) {
  auto& c = checkCache(L, 1);
  double upTo =
      lua_isnoneornil(L, 2) ? 0 : checkNumber(L, 2, "purgeExpired", "the entries to keep");
  if (upTo < 0) throw ConfigError("purgeExpired: the number of entries to keep cannot be negative");
  lua_pushnumber(
      L, double(c.purgeExpired(uint32_t(core::monotonicUsec() / 1000000), 0, size_t(upTo))));
  return 1;
}

/// expungeByName(name[, qtype[, suffixMatch]]): qtype as a number or DNSQType name.
int expungeByName(lua_State* L, Host&) {
  auto& c = checkCache(L, 1);
  std::string text = checkString(L, 2, "expungeByName", "a name");
  dns::Name name;
  try {
    name = dns::Name::fromString(text);
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("expungeByName: '{}' is not a valid name: {}", text, e.what()));
  }
  uint16_t qtype = dns::qtype::ANY;
  if (lua_type(L, 3) == LUA_TNUMBER) {
    qtype = uint16_t(lua_tointeger(L, 3));
  } else if (lua_type(L, 3) == LUA_TSTRING) {
    auto t = dns::qtypeFromString(lua_tostring(L, 3));
    if (!t) throw ConfigError(fmt::format("expungeByName: unknown type '{}'", lua_tostring(L, 3)));
    qtype = *t;
  }
  bool suffix = lua_isnoneornil(L, 4) ? false : checkBool(L, 4, "expungeByName");
  lua_pushnumber(L, double(c.expungeByName(name, qtype, suffix)));
  return 1;
}

int dump(lua_State* L, Host& h) {
  auto& c = checkCache(L, 1);
  std::string path = checkString(L, 2, "dump", "a file name");
  std::string text;
  size_t n = c.dump(text, nowSeconds());
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw ConfigError(fmt::format("dump: cannot write '{}'", path));
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) throw ConfigError(fmt::format("dump: error writing '{}'", path));
  h.out(fmt::format("{} entries dumped\n", n));
  return 0;
}

int isFull(lua_State* L, Host&) {
  lua_pushboolean(L, checkCache(L, 1).isFull());
  return 1;
}

const std::string& checkPool(lua_State* L) {
  return checkUserdata<std::string>(L, 1, kPoolMeta);
}

void setPoolCache(Host& h, const std::string& pool, core::PacketCache* cache) {
  h.target().update([&](core::RuntimeConfig& c) {
    auto& slot = c.pools[pool];
    auto copy = slot ? std::make_shared<core::Pool>(*slot) : std::make_shared<core::Pool>();
    copy->cache = cache;
    slot = std::move(copy);
  });
}

int poolSetCache(lua_State* L, Host& h) {
  const std::string& pool = checkPool(L);
  setPoolCache(h, pool, &checkCache(L, 2));
  return 0;
}

int poolUnsetCache(lua_State* L, Host& h) {
  setPoolCache(h, checkPool(L), nullptr);
  return 0;
}

int poolGetCache(lua_State* L, Host& h) {
  const std::string& name = checkPool(L);
  auto cfg = h.target().current();
  const core::Pool* pool = cfg->findPool(name);
  if (pool && pool->cache)
    for (auto& c : h.runtime.caches())
      if (c.get() == pool->cache) {
        pushUserdata(L, kCacheMeta, c);
        return 1;
      }
  lua_pushnil(L);
  return 1;
}

int setStaleCacheEntriesTTL(lua_State* L, Host& h) {
  double s = checkNumber(L, 1, "setStaleCacheEntriesTTL", "seconds");
  if (s < 0 || s > 86400 * 7)
    throw ConfigError("setStaleCacheEntriesTTL: expects 0 to 604800 seconds");
  h.target().update([&](core::RuntimeConfig& c) { c.settings.staleCacheEntriesTTL = uint32_t(s); });
  return 0;
}

int setCacheCleaningPercentage(lua_State* L, Host& h) {
  double p = checkNumber(L, 1, "setCacheCleaningPercentage", "the percentage");
  if (p < 0 || p > 100) throw ConfigError("setCacheCleaningPercentage: expects 0 to 100");
  h.runtime.update(
      [&](core::RuntimeConfig& c) { c.settings.cacheCleaningPercentage = uint32_t(p); });
  return 0;
}

int setCacheCleaningDelay(lua_State* L, Host& h) {
  double s = checkNumber(L, 1, "setCacheCleaningDelay", "seconds");
  if (s < 1 || s > 86400) throw ConfigError("setCacheCleaningDelay: expects 1 to 86400 seconds");
  h.target().update([&](core::RuntimeConfig& c) { c.settings.cacheCleaningDelaySec = uint32_t(s); });
  return 0;
}

int setServeStaleOnBackendFailure(lua_State* L, Host& h) {
  bool on = checkBool(L, 1, "setServeStaleOnBackendFailure");
  h.target().update([&](core::RuntimeConfig& c) { c.settings.staleOnBackendFailure = on; });
  return 0;
}

/// Adds methods to a metatable made elsewhere (the pool's, by registerPoolBindings).
void addMethods(lua_State* L, const char* meta, std::initializer_list<Binding> methods) {
  luaL_getmetatable(L, meta);
  lua_getfield(L, -1, "__index");
  for (const auto& m : methods) {
    lua_pushcfunction(L, m.fn);
    lua_setfield(L, -2, m.name);
  }
  lua_pop(L, 2);
}

}  // namespace

std::string poolCacheDescription(const core::PacketCache* c) {
  return c ? describe(*c) : "";
}

void registerCacheBindings(lua_State* L) {
  static const Binding globals[] = {
      {"newPacketCache", wrap<newPacketCache>},
      {"setStaleCacheEntriesTTL", wrap<setStaleCacheEntriesTTL>},
      {"setCacheCleaningDelay", wrap<setCacheCleaningDelay>},
      {"setCacheCleaningPercentage", wrap<setCacheCleaningPercentage>},
      {"setServeStaleOnBackendFailure", wrap<setServeStaleOnBackendFailure>},
  };
  registerAll(L, std::begin(globals), std::end(globals));
  registerUserdataType<CacheRef>(L, kCacheMeta,
                                 {{"printStats", wrap<printStats>},
                                  {"getStats", wrap<getStats>},
                                  {"expunge", wrap<expunge>},
                                  {"purgeExpired", wrap<purgeExpired>},
                                  {"expungeByName", wrap<expungeByName>},
                                  {"dump", wrap<dump>},
                                  {"isFull", wrap<isFull>},
                                  {"toString", wrap<cacheToString>}},
                                 wrap<cacheToString>);
  addMethods(L, kPoolMeta,
             {{"setCache", wrap<poolSetCache>},
              {"getCache", wrap<poolGetCache>},
              {"unsetCache", wrap<poolUnsetCache>}});
}

}  // namespace ballast::lua
