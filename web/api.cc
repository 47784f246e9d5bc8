// SPDX-License-Identifier: GPL-2.0-only
#include "web/api.hh"

#include <algorithm>
#include <map>
#include <set>

#include "core/log.hh"
#include "web/frontends.hh"

namespace ballast::web {

using nlohmann::json;

namespace {

/// dnsdist's state column: "up"/"down" when health-checked, "UP"/"DOWN" when forced.
std::string stateOf(const core::Backend& b) {
  switch (b.admin()) {
    case core::Backend::Admin::Up:
      return "UP";
    case core::Backend::Admin::Down:
      return "DOWN";
    case core::Backend::Admin::Auto:
      break;
  }
  return b.healthy() ? "up" : "down";
}

std::string joinedAcl(const core::RuntimeConfig& c) {
  std::string out;
  for (const auto& m : c.acl.toStrings()) out += (out.empty() ? "" : ", ") + m;
  return out;
}

/// Pool names in a stable order ("" first), so ids stay the same between requests.
std::vector<std::string> poolNames(const core::RuntimeConfig& c) {
  std::vector<std::string> names;
  for (const auto& [name, _] : c.pools) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

json poolJson(const core::RuntimeConfig& c, const std::string& name, size_t id) {
  const core::Pool* p = c.findPool(name);
  size_t up = 0, total = p ? p->servers.size() : 0;
  if (p)
    for (const auto* b : p->servers) up += b->isUp();
  const auto& policy = p && p->policy ? p->policy : c.policy;
  json j = {{"id", id},
            {"name", name},
            {"serversCount", total},
            {"upServersCount", up},
            {"serverPolicy", policy ? policy->name() : ""}};
  if (p && p->cache) {
    // dnsdist's field names, so existing dashboards read them.
    const core::PacketCache& pc = *p->cache;
    j["cacheSize"] = pc.maxEntries();
    j["cacheEntries"] = pc.entries();
    j["cacheHits"] = pc.stats.hits.value();
    j["cacheMisses"] = pc.stats.misses.value();
    j["cacheStaleHits"] = pc.stats.staleHits.value();
    j["cacheDeferredInserts"] = pc.stats.deferredInserts.value();
    j["cacheDeferredLookups"] = pc.stats.deferredLookups.value();
    j["cacheLookupCollisions"] = pc.stats.lookupCollisions.value();
    j["cacheInsertCollisions"] = pc.stats.insertCollisions.value();
    j["cacheTTLTooShorts"] = pc.stats.ttlTooShorts.value();
    j["cacheCleanupCount"] = pc.stats.expunged.value();
  }
  return j;
}

/// A rule chain as dnsdist's API lists it.
template <typename Chain>
json rulesJson(const Chain& chain) {
  json out = json::array();
  size_t id = 0;
  for (const auto& r : chain)
    out.push_back({{"id", id++},
                   {"uuid", r->uuid},
                   {"name", r->name},
                   {"matches", r->matches.value()},
                   {"rule", r->selector->describe()},
                   {"action", r->action->describe()}});
  return out;
}

}  // namespace

json serverJson(const core::Backend& b, size_t id) {
  json j = {{"id", id},
          {"name", b.name()},
          {"address", b.addressString()},
          {"state", stateOf(b)},
          {"qps", b.stats.qps.value()},
          {"qpsLimit", uint64_t(b.qpsLimit())},
          {"outstanding", b.outstanding()},
          {"reuseds", b.stats.reuseds.value()},
          {"weight", b.weight()},
          {"order", b.order()},
          {"pools", b.pools()},
          {"latency", b.stats.latencyUsec.value() / 1000.0},
          {"queries", b.stats.queries.value()},
          {"responses", b.stats.responses.value()},
          {"sendErrors", b.stats.sendErrors.value()},
          {"drops", b.stats.drops.value()},
          {"dropRate", b.stats.dropRate.value()},
          {"stateChanges", b.stats.stateChanges.value()}};
  // As dnsdist: a latency means nothing for a server that is down.
  if (!b.isUp()) j["latency"] = nullptr;
  addServerStreamFigures(j, b);
  return j;
}

json serverInfo(core::Runtime& rt, const std::string& version,
                const frontend::StreamConfig& stream) {
  auto cfg = rt.config.load();
  json servers = json::array();
  size_t id = 0;
  for (const auto& b : rt.servers()) servers.push_back(serverJson(*b, id++));
  json frontends = json::array();
  id = 0;
  for (const auto& row : frontendRows(stream)) frontends.push_back(frontendJson(row, id++));
  json pools = json::array();
  id = 0;
  for (const auto& name : poolNames(*cfg)) pools.push_back(poolJson(*cfg, name, id++));
  std::set<std::string> locals;
  for (const auto& l : stream.locals) locals.insert(l.address.toStringWithPort());
  std::string local;
  for (const auto& a : locals) local += (local.empty() ? "" : ", ") + a;
  return {{"daemon_type", "dnsdist"},
          {"type", "Server"},
          {"id", "localhost"},
          {"url", "/api/v1/servers/localhost"},
          {"version", version},
          {"acl", joinedAcl(*cfg)},
          {"local", local},
          {"statistics", jsonStats(rt)},
          {"server_policy", cfg->policy ? cfg->policy->name() : ""},
          {"servers", servers},
          {"frontends", frontends},
          {"pools", pools},
          {"rules", rulesJson(cfg->rules.query)},
          {"response-rules", rulesJson(cfg->rules.response)},
          {"cache-hit-response-rules", rulesJson(cfg->rules.cacheHit)},
          {"self-answered-response-rules", rulesJson(cfg->rules.selfAnswered)}};
}

json statistics(const core::Runtime& rt) {
  json out = json::array();
  for (const auto& [name, value] : rt.registry.snapshot())
    out.push_back({{"name", name}, {"type", "StatisticItem"}, {"value", value}});
  return out;
}

json jsonStats(const core::Runtime& rt) {
  json out = json::object();
  for (const auto& [name, value] : rt.registry.snapshot()) out[name] = value;
  return out;
}

json dynBlockList(const core::Runtime& rt, int64_t nowUsec) {
  json out = json::object();
  for (const auto& b : rt.config.load()->dynBlocks->all()) {
    if (b->untilUsec <= nowUsec) continue;
    out[b->network] = {{"reason", b->reason},
                       {"seconds", (b->untilUsec - nowUsec + 999'999) / 1'000'000},
                       {"blocks", b->blocks.value()},
                       {"action", core::dynBlockActionName(b->action)},
                       {"warning", b->warning}};
  }
  return out;
}

json configSettings(core::Runtime& rt, bool apiWritable) {
  auto cfg = rt.config.load();
  auto item = [](const char* name, json value) {
    return json{{"name", name}, {"type", "ConfigSetting"}, {"value", std::move(value)}};
  };
  return json::array({
      item("acl", joinedAcl(*cfg)),
      item("allow-empty-response", cfg->settings.allowEmptyResponse),
      item("api-read-write", apiWritable),
      item("drop-empty-queries", cfg->settings.dropEmptyQueries),
      item("fixup-case", cfg->settings.fixupCase),
      item("max-outstanding", rt.startup.maxUDPOutstanding),
      item("server-policy", cfg->policy ? cfg->policy->name() : ""),
      item("servfail-on-no-server", cfg->settings.servFailWhenNoServer),
      item("truncate-tc", cfg->settings.truncateTC),
      item("udp-timeout", cfg->settings.udpTimeoutMs / 1000.0),
      item("verbose", core::verboseLogging().load()),
  });
}

json allowFrom(core::Runtime& rt) {
  return {{"name", "allow-from"},
          {"type", "ConfigSetting"},
          {"value", rt.config.load()->acl.toStrings()}};
}

void setAllowFrom(core::Runtime& rt, const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("the body is not a JSON object");
  auto it = doc.find("value");
  if (it == doc.end() || !it->is_array())
    throw std::invalid_argument("\"value\" must be an array of netmasks");
  core::NetmaskGroup acl;
  for (const auto& v : *it) {
    if (!v.is_string()) throw std::invalid_argument("\"value\" must be an array of netmasks");
    acl.add(v.get<std::string>());  // throws std::invalid_argument with the reason
  }
  rt.update([&](core::RuntimeConfig& c) { c.acl = acl; });
}

json poolInfo(core::Runtime& rt, const std::string& name) {
  auto cfg = rt.config.load();
  const core::Pool* p = cfg->findPool(name);
  if (!p) return nullptr;
  auto names = poolNames(*cfg);
  size_t id = size_t(std::find(names.begin(), names.end(), name) - names.begin());
  // Server ids are positions in the full list, as in /api/v1/servers/localhost.
  auto all = rt.servers();
  json servers = json::array();
  for (const auto* b : p->servers) {
    auto it = std::find_if(all.begin(), all.end(), [b](const auto& s) { return s.get() == b; });
    servers.push_back(serverJson(*b, size_t(it - all.begin())));
  }
  return {{"stats", poolJson(*cfg, name, id)}, {"servers", servers}};
}

}  // namespace ballast::web
