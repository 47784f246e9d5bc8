// SPDX-License-Identifier: GPL-2.0-only
/// newResolver, showResolvers, setResolverTracing: embedded resolvers, each a set of
/// instances (name@1..N) added as servers, so pools, policies and showServers see them.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <set>

#include "backends/resolver/instance.hh"
#include "backends/resolver/supervisor.hh"  // restartInstance, instancesOf
#include "core/clock.hh"
#include "core/log.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/reload.hh"
#include "tier/redis_tier.hh"

namespace ballast::lua {

/// bind_cache.cc: the redis* options of newPacketCache; returns the URL ("" when none).
std::string readRedisOptions(Options& opts, tier::RedisSettings& redis, const char* function);

namespace {

namespace res = backends::resolver;

std::vector<core::Address> addresses(const std::vector<std::string>& texts, const char* what) {
  std::vector<core::Address> out;
  for (const auto& t : texts) {
    try {
      out.push_back(core::Address::parse(t));
    } catch (const std::exception& e) {
      throw ConfigError(fmt::format("newResolver: {}: {}", what, e.what()));
    }
  }
  return out;
}

/// forwardZones={["corp.example."]={"192.0.2.53", ...}, ...}; the table is on the stack top.
std::vector<res::ForwardZone> readForwardZones(lua_State* L) {
  std::vector<res::ForwardZone> out;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      throw ConfigError("newResolver: forwardZones keys must be zone names");
    }
    std::string zone = lua_tostring(L, -2);
    res::ForwardZone fz;
    try {
      fz.zone = dns::Name::fromString(zone);
      fz.servers =
          addresses(checkStrings(L, -1, "newResolver", "a forward zone's servers"), "forwardZones");
    } catch (const std::exception& e) {
      lua_pop(L, 2);
      throw ConfigError(fmt::format("newResolver: forward zone '{}': {}", zone, e.what()));
    }
    lua_pop(L, 1);
    if (fz.servers.empty()) {
      lua_pop(L, 1);
      throw ConfigError(fmt::format("newResolver: forward zone '{}' has no server", zone));
    }
    out.push_back(std::move(fz));
  }
  return out;
}

std::vector<std::shared_ptr<res::Resolver>> resolvers(Host& h) {
  std::vector<std::shared_ptr<res::Resolver>> out;
  std::set<res::Resolver*> seen;
  for (const auto& b : h.target().servers()) {
    auto* inst = dynamic_cast<res::ResolverInstance*>(b.get());
    if (inst && seen.insert(inst->resolver().get()).second) out.push_back(inst->resolver());
  }
  return out;
}

}  // namespace

void registerResolverStats(core::Runtime& rt, const std::shared_ptr<res::Resolver>& r) {
  const std::string p = "resolver-" + r->config().name + "-";
  auto& s = r->stats();
  rt.registry.add(p + "cache-hits", s.cacheHits, "client questions answered from the cache");
  rt.registry.add(p + "cache-misses", s.cacheMisses, "client questions needing queries");
  rt.registry.add(p + "outgoing-queries", s.outgoing, "queries sent to servers");
  rt.registry.add(p + "tcp-outgoing-queries", s.tcpOutgoing, "of which over TCP");
  rt.registry.add(p + "outgoing-timeouts", s.timeouts, "outgoing queries unanswered");
  rt.registry.add(p + "servfails", s.servfails, "client questions answered SERVFAIL");
  rt.registry.add(p + "over-capacity", s.overCapacity, "questions refused at maxConcurrent");
  rt.registry.add(p + "edns-fallbacks", s.ednsFallbacks, "queries repeated without EDNS");
  rt.registry.add(p + "shared-queries", s.sharedQueries, "queries that joined one in flight");
  rt.registry.add(p + "mismatched-answers", s.mismatched, "answers ignored: ID or question");
  rt.registry.add(p + "dnssec-secure", s.secure, "client answers validated secure");
  rt.registry.add(p + "dnssec-insecure", s.insecure, "client answers provably insecure");
  rt.registry.add(p + "dnssec-bogus", s.bogus, "client answers bogus (SERVFAIL unless CD)");
  rt.registry.add(p + "dnssec-indeterminate", s.indeterminate,
                  "client answers under no trust anchor");
  rt.registry.add(p + "redis-hits", s.redisHits, "shared tier lookups that filled the cache");
  rt.registry.add(p + "redis-misses", s.redisMisses, "shared tier lookups with nothing usable");
  rt.registry.add(p + "redis-errors", s.redisErrors, "shared tier lookups failed or over budget");
  rt.registry.add(p + "redis-corrupt", s.redisCorrupt, "shared tier values ignored as corrupt");
  rt.registry.add(p + "redis-skipped", s.redisSkipped,
                  "shared tier lookups not asked (breaker open, not connected)");
  // The process-wide redis-* figures (latency, breaker), registered once.
  if (r->sharedTier()) tier::RedisStats::get(&rt.registry);
  std::weak_ptr<res::Resolver> weak = r;
  rt.registry.addGauge(
      p + "cache-entries",
      [weak] {
        auto sp = weak.lock();
        return sp ? double(sp->cache().size()) : 0.0;
      },
      "entries in the record cache");
  rt.registry.addGauge(
      p + "concurrent",
      [weak] {
        auto sp = weak.lock();
        return sp ? double(sp->stats().concurrent.load()) : 0.0;
      },
      "resolutions in progress");
  // Summed over the instances serving now: a restarted instance's successor carries the
  // count on. servers() takes the runtime's lock, which is never held while the registry's
  // is wanted, so reading this under the registry's lock cannot deadlock.
  rt.registry.addGauge(
      p + "restarts",
      [&rt, weak] {
        auto sp = weak.lock();
        double n = 0;
        if (!sp) return n;
        for (const auto& b : rt.servers()) {
          auto* inst = dynamic_cast<res::ResolverInstance*>(b.get());
          if (inst && inst->resolver() == sp) n += double(inst->lifecycle().restarts.load());
        }
        return n;
      },
      "instance restarts (supervisor, restartResolver), all instances");
}

void unregisterResolverStats(core::Runtime& rt, const std::string& name) {
  // Every name registerResolverStats registers.
  static constexpr const char* kNames[] = {"cache-hits",
                                           "cache-misses",
                                           "outgoing-queries",
                                           "tcp-outgoing-queries",
                                           "outgoing-timeouts",
                                           "servfails",
                                           "over-capacity",
                                           "edns-fallbacks",
                                           "shared-queries",
                                           "mismatched-answers",
                                           "cache-entries",
                                           "concurrent",
                                           "restarts",
                                           "dnssec-secure",
                                           "dnssec-insecure",
                                           "dnssec-bogus",
                                           "dnssec-indeterminate",
                                           "redis-hits",
                                           "redis-misses",
                                           "redis-errors",
                                           "redis-corrupt",
                                           "redis-skipped"};
  for (const char* n : kNames) rt.registry.remove("resolver-" + name + "-" + n);
}

namespace {

/// testFaults={hang={"name.", ...}, throw={...}, hangMs=N}; the table is on the stack top.
std::shared_ptr<const res::TestFaults> readTestFaults(lua_State* L) {
  auto f = std::make_shared<res::TestFaults>();
  Options o(L, lua_gettop(L), "newResolver testFaults");
  auto names = [](const std::optional<std::vector<std::string>>& texts) {
    std::vector<dns::Name> out;
    for (const auto& t : texts.value_or(std::vector<std::string>{})) {
      try {
        out.push_back(dns::Name::fromString(t));
      } catch (const std::exception& e) {
        throw ConfigError(fmt::format("newResolver: testFaults: '{}': {}", t, e.what()));
      }
    }
    return out;
  };
  f->hang = names(o.strings("hang"));
  f->raise = names(o.strings("throw"));
  f->hangMs = o.integer("hangMs", 1, int64_t(86400) * 1000).value_or(f->hangMs);
  o.done();
  return f;
}

/// dnssec="off"|"process"|"validate" (default validate), trustAnchors="/path" (DS and DNSKEY
/// records in presentation format; replaces the built-in root anchors),
/// negativeTrustAnchors={"zone.", ...}.
void readDnssecOptions(Options& o, res::ResolverConfig& cfg) {
  if (auto mode = o.string("dnssec")) {
    if (*mode == "off")
      cfg.dnssec = res::DnssecMode::Off;
    else if (*mode == "process")
      cfg.dnssec = res::DnssecMode::Process;
    else if (*mode == "validate")
      cfg.dnssec = res::DnssecMode::Validate;
    else
      throw ConfigError(fmt::format(
          "newResolver: dnssec must be \"off\", \"process\" or \"validate\", not '{}'", *mode));
  }
  if (auto path = o.string("trustAnchors")) {
    auto anchors = std::make_shared<res::dnssec::TrustAnchors>();
    try {
      anchors->addFile(*path);
    } catch (const std::exception& e) {
      throw ConfigError(fmt::format("newResolver: trustAnchors: {}", e.what()));
    }
    cfg.trustAnchors = std::move(anchors);
  }
  if (auto zones = o.strings("negativeTrustAnchors")) {
    auto ntas = std::make_shared<res::dnssec::NegativeTrustAnchors>();
    for (const auto& z : *zones) {
      try {
        ntas->add(dns::Name::fromString(z));
      } catch (const std::exception& e) {
        throw ConfigError(fmt::format("newResolver: negativeTrustAnchors: '{}': {}", z, e.what()));
      }
    }
    cfg.negativeTrustAnchors = std::move(ntas);
  }
}

/// The supervision settings of the process's one resolver supervisor, which the daemon runs
/// once a resolver exists.
res::SupervisionSettings& supervision(Host& h) {
  if (!h.process.supervision) h.process.supervision.emplace();
  return *h.process.supervision;
}

int newResolver(lua_State* L, Host& h) {
  requireConfiguring(h, "newResolver");
  // Same name and options: a reload keeps the running instances and their record cache.
  std::string key = "resolver " + (lua_isnoneornil(L, 1) ? "{}" : optionsKey(L, 1, {}));
  res::ResolverConfig cfg;
  Options o(L, 1, "newResolver");
  cfg.name = o.string("name").value_or("resolver");
  if (cfg.name.empty() || cfg.name.find_first_of(" @") != std::string::npos)
    throw ConfigError(fmt::format("newResolver: invalid name '{}'", cfg.name));
  cfg.instances = int(o.integer("instances", 1, 256).value_or(1));
  // An embedded resolver asks authoritative servers itself and does not send them ECS
  // (privacy, and its record cache has no per-subnet entries): an option asking for it is
  // refused rather than silently doing nothing.
  if (o.boolean("useClientSubnet").value_or(false))
    throw ConfigError(
        "newResolver: useClientSubnet is not supported: the embedded resolver does not send "
        "EDNS Client Subnet to authoritative servers (use newServer{useClientSubnet=true})");
  if (auto pools = o.strings("pool")) cfg.pools = *pools;
  if (cfg.pools.size() == 1 && cfg.pools[0].empty()) cfg.pools.clear();
  if (auto hints = o.strings("rootHints")) {
    cfg.rootHints = addresses(*hints, "rootHints");
    if (cfg.rootHints.empty()) throw ConfigError("newResolver: rootHints is empty");
  }
  if (o.table("forwardZones")) {
    try {
      cfg.forwardZones = readForwardZones(L);
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
  }
  cfg.cache.maxEntries =
      size_t(o.integer("maxCacheEntries", 1, int64_t(1) << 40).value_or(1000000));
  cfg.cache.maxTtl = uint32_t(o.integer("maxCacheTTL", 1, 604800 * 4).value_or(86400));
  cfg.cache.maxNegativeTtl = uint32_t(o.integer("maxNegativeTTL", 0, 86400 * 7).value_or(3600));
  cfg.qnameMinimisation = o.boolean("qnameMinimisation").value_or(true);
  cfg.ednsBufferSize = uint16_t(o.integer("ednsBufferSize", 512, 4096).value_or(1232));
  cfg.maxConcurrent = uint32_t(o.integer("maxConcurrent", 1, 1000000).value_or(2048));
  cfg.maxQueriesPerResolution = int(o.integer("maxQueriesPerResolution", 1, 1000).value_or(50));
  cfg.outgoingTimeoutMs = o.integer("outgoingTimeout", 1, 60000).value_or(1500);
  cfg.nsid = o.string("nsid").value_or("");
  cfg.tracing = o.boolean("tracing").value_or(false);
  cfg.maxMemoryBytes = o.integer("maxMemory", 0, int64_t(1) << 40).value_or(cfg.maxMemoryBytes);
  if (o.table("testFaults")) {
    try {
      cfg.testFaults = readTestFaults(L);
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
  }
  readDnssecOptions(o, cfg);
  // cache={redis="redis://...", redisTimeout=5, ...}: the shared tier behind the record
  // cache, with newPacketCache's option names.
  tier::RedisSettings redis;
  std::string redisUrl;
  if (o.table("cache")) {
    try {
      Options c(L, lua_gettop(L), "newResolver cache");
      redisUrl = readRedisOptions(c, redis, "newResolver: cache");
      c.done();
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
  }
  o.done();
  for (const auto& b : h.target().servers())
    if (b->name() == cfg.name + "@1")
      throw ConfigError(fmt::format("newResolver: a resolver named '{}' exists", cfg.name));
  if (cfg.testFaults)
    core::warnLog(
        "resolver {}: TEST FAULT INJECTION IS ON (testFaults): listed names hang or "
        "crash its instances; never use this in production",
        cfg.name);
  supervision(h);
  auto r = std::make_shared<res::Resolver>(std::move(cfg));
  if (!redisUrl.empty()) {
    try {
      r->setSharedTier(std::make_shared<tier::RedisTier>(redis, h.runtime));
    } catch (const std::runtime_error& e) {
      throw ConfigError(fmt::format("newResolver: cache: redis: {}", e.what()));
    }
    // After the instances stopped (no lookup is waiting then): the tier's thread ends.
    h.process.afterStop.push_back([r] { r->stopSharedTier(); });
  }
  if (!h.reloading) registerResolverStats(h.runtime, r);  // a reload registers what it keeps
  // Made here rather than by res::createInstances, which adds them to the runtime itself:
  // they go where this configuration's changes go (a console command's or reload's staging).
  for (int i = 1; i <= r->config().instances; ++i) {
    auto inst = std::make_shared<res::ResolverInstance>(r, i, h.runtime);
    if (key != "resolver ") inst->reloadKey = key + " " + inst->name();
    h.target().addServer(inst);
  }
  return 0;
}

std::string instanceTable(Host& h);

int showResolvers(lua_State*, Host& h) {
  constexpr auto kRow = "{:<12} {:>4} {:>9} {:>10} {:>10} {:>10} {:>8} {:>9} {:>6} {:>8}\n";
  std::string out = fmt::format(kRow, "Name", "Inst", "Entries", "Hits", "Misses", "Outgoing",
                                "Timeouts", "ServFails", "Concur", "OverCap");
  constexpr auto kSecRow = "{:<12} {:<8} {:>10} {:>10} {:>10} {:>13}\n";
  std::string dnssec =
      fmt::format(kSecRow, "Name", "DNSSEC", "Secure", "Insecure", "Bogus", "Indeterminate");
  constexpr const char* kModes[] = {"off", "process", "validate"};
  for (const auto& r : resolvers(h)) {
    const auto& s = r->stats();
    out += fmt::format(kRow, r->config().name, r->config().instances, r->cache().size(),
                       s.cacheHits.value(), s.cacheMisses.value(), s.outgoing.value(),
                       s.timeouts.value(), s.servfails.value(), s.concurrent.load(),
                       s.overCapacity.value());
    dnssec +=
        fmt::format(kSecRow, r->config().name, kModes[int(r->config().dnssec)], s.secure.value(),
                    s.insecure.value(), s.bogus.value(), s.indeterminate.value());
  }
  out += dnssec;
  // The shared tier behind the record cache, where there is one.
  std::string shared;
  for (const auto& r : resolvers(h)) {
    const auto* t = r->sharedTier();
    if (!t) continue;
    const auto& s = r->stats();
    shared += fmt::format("{}: shared cache {}; hits {}, misses {}, errors {}, corrupt {}, skipped {}\n",
                          r->config().name, t->describe(), s.redisHits.value(),
                          s.redisMisses.value(), s.redisErrors.value(), s.redisCorrupt.value(),
                          s.redisSkipped.value());
  }
  h.out(out + shared + instanceTable(h));
  return 0;
}

/// setResolverTracing(on[, name]): one trace line per query in the log, for every
/// resolver or the one named.
int setResolverTracing(lua_State* L, Host& h) {
  bool on = checkBool(L, 1, "setResolverTracing");
  std::string name = lua_isnoneornil(L, 2) ? "" : checkString(L, 2, "setResolverTracing", "a name");
  bool found = false;
  for (const auto& r : resolvers(h)) {
    if (!name.empty() && r->config().name != name) continue;
    r->setTracing(on);
    found = true;
  }
  if (!name.empty() && !found)
    throw ConfigError(fmt::format("setResolverTracing: no resolver named '{}'", name));
  return 0;
}

/// setResolverSupervision{checkInterval=100, heartbeatTimeout=500, minBackoff=100,
/// maxBackoff=30000, stablePeriod=60000}: how the supervisor watches and restarts every
/// embedded instance (milliseconds).
int setResolverSupervision(lua_State* L, Host& h) {
  constexpr const char* kFn = "setResolverSupervision";
  requireConfiguring(h, kFn);
  Options o(L, 1, kFn);
  res::SupervisionSettings s = supervision(h);
  s.checkIntervalMs = o.integer("checkInterval", 10, 60000).value_or(s.checkIntervalMs);
  s.heartbeatTimeoutMs = o.integer("heartbeatTimeout", 50, 600000).value_or(s.heartbeatTimeoutMs);
  s.minBackoffMs = o.integer("minBackoff", 1, 3600000).value_or(s.minBackoffMs);
  s.maxBackoffMs = o.integer("maxBackoff", 1, 86400000).value_or(s.maxBackoffMs);
  s.stableMs = o.integer("stablePeriod", 1, 86400000).value_or(s.stableMs);
  o.done();
  if (s.maxBackoffMs < s.minBackoffMs)
    throw ConfigError(fmt::format("{}: maxBackoff ({}) is below minBackoff ({})", kFn,
                                  s.maxBackoffMs, s.minBackoffMs));
  supervision(h) = s;
  return 0;
}

/// The resolver an optional `resolver=` option names, else the only one there is.
std::shared_ptr<res::Resolver> pickResolver(Host& h, const std::string& name, const char* fn) {
  auto all = resolvers(h);
  if (name.empty()) {
    if (all.size() != 1)
      throw ConfigError(
          fmt::format("{}: {} resolvers exist, say which with resolver=", fn, all.size()));
    return all[0];
  }
  for (auto& r : all)
    if (r->config().name == name) return r;
  throw ConfigError(fmt::format("{}: no resolver named '{}'", fn, name));
}

/// setResolverCacheFile(path[, {resolver="name", interval=300}]): loads the record cache
/// from `path` now (a bad file is reported and ignored), saves it there every `interval`
/// seconds (0: only on shutdown) and on shutdown.
int setResolverCacheFile(lua_State* L, Host& h) {
  constexpr const char* kFn = "setResolverCacheFile";
  requireConfiguring(h, kFn);
  std::string path = checkString(L, 1, kFn, "a file name");
  if (path.empty()) throw ConfigError(fmt::format("{}: empty file name", kFn));
  std::string name;
  int64_t interval = 300;
  if (!lua_isnoneornil(L, 2)) {
    Options o(L, 2, kFn);
    name = o.string("resolver").value_or("");
    interval = o.integer("interval", 0, 86400 * 7).value_or(300);
    o.done();
  }
  auto r = pickResolver(h, name, kFn);
  if (r->cacheFile())
    throw ConfigError(fmt::format("{}: resolver '{}' already saves to {}", kFn, r->config().name,
                                  r->cacheFile()->path()));
  auto loaded = res::loadCacheFile(r->cache(), path);
  if (loaded.error)
    core::warnLog("resolver {}: cache file {} rejected, starting cold: {}", r->config().name, path,
                  *loaded.error);
  else
    core::warnLog("resolver {}: {} cache entries loaded from {}", r->config().name, loaded.entries,
                  path);
  r->setCacheFile(
      std::make_unique<res::CacheFileKeeper>(r->cache(), path, interval, r->config().name));
  h.process.afterStart.push_back([r] { r->cacheFile()->start(); });
  h.process.afterStop.push_back([r] { r->cacheFile()->stop(); });
  return 0;
}

/// How long a restart waits for an instance's queries in flight before stopping it anyway.
constexpr std::chrono::milliseconds kRestartDrainBound{5000};

void restartOne(Host& h, res::ResolverInstance& inst, const char* fn) {
  try {
    auto r = res::restartInstance(inst, fn, kRestartDrainBound);
    if (r.leftInFlight)
      h.out(fmt::format("{}: {} queries in flight were cut\n", inst.name(), r.leftInFlight));
  } catch (const std::runtime_error& e) {
    throw ConfigError(fmt::format("{}: {}", fn, e.what()));
  }
}

/// restartResolver("local@2"): drains and restarts one instance.
int restartResolver(lua_State* L, Host& h) {
  constexpr const char* kFn = "restartResolver";
  std::string name = checkString(L, 1, kFn, "an instance name (name@N)");
  if (h.configuring) throw ConfigError(fmt::format("{}: only once running", kFn));
  for (const auto& b : h.target().servers()) {
    auto* inst = dynamic_cast<res::ResolverInstance*>(b.get());
    if (inst && inst->name() == name) {
      restartOne(h, *inst, kFn);
      return 0;
    }
  }
  throw ConfigError(fmt::format("{}: no resolver instance named '{}'", kFn, name));
}

/// restartResolvers("local"): a rolling restart, one instance after the other, so the others
/// carry the load (with a single instance the pool has none while it restarts).
int restartResolvers(lua_State* L, Host& h) {
  constexpr const char* kFn = "restartResolvers";
  std::string name = checkString(L, 1, kFn, "a resolver name");
  if (h.configuring) throw ConfigError(fmt::format("{}: only once running", kFn));
  auto all = res::instancesOf(h.target().servers(), name);
  if (all.empty()) throw ConfigError(fmt::format("{}: no resolver named '{}'", kFn, name));
  for (auto& inst : all) restartOne(h, *inst, kFn);
  return 0;
}

/// The per-instance part of showResolvers(). Cache%: the share of its client questions this
/// instance answered from the shared record cache. Memory: coroutine frames and questions
/// taken, in KB, what maxMemory bounds.
std::string instanceTable(Host& h) {
  constexpr auto kRow = "{:<14} {:<5} {:>9} {:>8} {:>10} {:>8} {:>6} {:>8} {}\n";
  std::string out = fmt::format(kRow, "Instance", "State", "Uptime", "Restarts", "Queries",
                                "InFlight", "Cache%", "MemoryKB", "Last restart reason");
  int64_t now = core::monotonicUsec();
  for (const auto& b : h.target().servers()) {
    auto* inst = dynamic_cast<res::ResolverInstance*>(b.get());
    if (!inst) continue;
    const auto& life = inst->lifecycle();
    std::string reason;
    {
      std::lock_guard lock(life.mutex);
      reason = life.lastReason.empty() ? "-" : life.lastReason;
    }
    uint64_t hits = inst->cacheHits(), answered = hits + inst->cacheMisses();
    std::string share = answered ? fmt::format("{:.1f}", 100.0 * double(hits) / double(answered))
                                 : std::string("-");
    out += fmt::format(kRow, inst->name(), inst->isUp() ? "up" : "down",
                       (now - life.startedUsec.load()) / 1000000, life.restarts.load(),
                       inst->stats.queries.value(), inst->outstanding(), share,
                       inst->memoryBytes() / 1024, reason);
  }
  return out;
}

}  // namespace

void registerResolverBindings(lua_State* L) {
  static const Binding globals[] = {
      {"newResolver", wrap<newResolver>},
      {"showResolvers", wrap<showResolvers>},
      {"setResolverTracing", wrap<setResolverTracing>},
      {"setResolverCacheFile", wrap<setResolverCacheFile>},
      {"restartResolver", wrap<restartResolver>},
      {"restartResolvers", wrap<restartResolvers>},
      {"setResolverSupervision", wrap<setResolverSupervision>},
  };
  registerAll(L, std::begin(globals), std::end(globals));
}

}  // namespace ballast::lua
