// SPDX-License-Identifier: GPL-2.0-only
#include "web/exports.hh"

#include <algorithm>

#include "metrics/carbon.hh"
#include "metrics/prometheus.hh"
#include "web/frontends.hh"

namespace ballast::web {

namespace {

/// A per-server figure: its dnsdist name (dnsdist_server_<name>, servers.<n>.<name>).
struct ServerFigure {
  const char* name;
  const char* help;
  const char* type;
  double (*read)(const core::Backend&);
};

constexpr ServerFigure kServerFigures[] = {
    {"queries", "Amount of queries relayed to server", "counter",
     [](const core::Backend& b) { return double(b.stats.queries.value()); }},
    {"responses", "Amount of responses received from this server", "counter",
     [](const core::Backend& b) { return double(b.stats.responses.value()); }},
    {"drops", "Amount of queries not answered by server", "counter",
     [](const core::Backend& b) { return double(b.stats.drops.value()); }},
    {"senderrors", "Total number of OS send errors while relaying queries", "counter",
     [](const core::Backend& b) { return double(b.stats.sendErrors.value()); }},
    {"latency", "Server's latency when answering questions in milliseconds", "gauge",
     [](const core::Backend& b) { return b.stats.latencyUsec.value() / 1000.0; }},
    {"outstanding", "Current number of queries that are waiting for a backend response", "gauge",
     [](const core::Backend& b) { return double(b.outstanding()); }},
    {"qps", "Queries per second sent to this server over the last second", "gauge",
     [](const core::Backend& b) { return b.stats.qps.value(); }},
    {"order", "The order in which this server is picked", "gauge",
     [](const core::Backend& b) { return double(b.order()); }},
    {"weight", "The weight within the order in which this server is picked", "gauge",
     [](const core::Backend& b) { return double(b.weight()); }},
    {"status", "Whether this backend is up (1) or down (0)", "gauge",
     [](const core::Backend& b) { return b.isUp() ? 1.0 : 0.0; }},
};

std::vector<std::string> sortedPoolNames(const core::RuntimeConfig& c) {
  std::vector<std::string> names;
  for (const auto& [name, _] : c.pools) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

size_t upServers(const core::Pool& p) {
  size_t up = 0;
  for (const auto* b : p.servers) up += b->isUp();
  return up;
}

}  // namespace

std::string prometheusText(core::Runtime& rt, const frontend::StreamConfig& stream) {
  metrics::PrometheusWriter w;
  // latency-sum and latency-count are the _sum and _count of the dnsdist_latency histogram.
  w.registry(rt.registry, {"latency-sum", "latency-count"});
  w.latencyHistogram("dnsdist_latency", "Histogram of responses by latency (in milliseconds)",
                     rt.stats.latency);
  auto servers = rt.servers();
  for (const auto& f : kServerFigures) {
    std::string name = std::string("dnsdist_server_") + f.name;
    w.family(name, f.help, f.type);
    for (const auto& b : servers)
      w.sample(name, {{"server", b->name()}, {"address", b->addressString()}}, f.read(*b));
  }
  writeServerStreamMetrics(w, servers);
  writeFrontendMetrics(w, stream);
  auto cfg = rt.config.load();
  auto names = sortedPoolNames(*cfg);
  w.family("dnsdist_pool_servers", "Number of servers in that pool", "gauge");
  for (const auto& n : names)
    w.sample("dnsdist_pool_servers", {{"pool", n}}, double(cfg->findPool(n)->servers.size()));
  w.family("dnsdist_pool_active_servers", "Number of available servers in that pool", "gauge");
  for (const auto& n : names)
    w.sample("dnsdist_pool_active_servers", {{"pool", n}}, double(upServers(*cfg->findPool(n))));
  return w.text();
}

std::vector<std::pair<std::string, double>> carbonStats(core::Runtime& rt) {
  auto out = rt.registry.snapshot();
  for (const auto& b : rt.servers()) {
    std::string prefix = "servers." + metrics::carbonComponent(b->name()) + ".";
    for (const auto& f : kServerFigures) out.emplace_back(prefix + f.name, f.read(*b));
  }
  auto cfg = rt.config.load();
  for (const auto& n : sortedPoolNames(*cfg)) {
    std::string prefix =
        "pools." + (n.empty() ? std::string("_default_") : metrics::carbonComponent(n)) + ".";
    const core::Pool* p = cfg->findPool(n);
    out.emplace_back(prefix + "servers", double(p->servers.size()));
    out.emplace_back(prefix + "active-servers", double(upServers(*p)));
    if (p->cache) {
      const auto& st = p->cache->stats;
      out.emplace_back(prefix + "cache-size", double(p->cache->maxEntries()));
      out.emplace_back(prefix + "cache-entries", double(p->cache->entries()));
      out.emplace_back(prefix + "cache-hits", double(st.hits.value()));
      out.emplace_back(prefix + "cache-misses", double(st.misses.value()));
      out.emplace_back(prefix + "cache-deferred-inserts", double(st.deferredInserts.value()));
      out.emplace_back(prefix + "cache-deferred-lookups", double(st.deferredLookups.value()));
      out.emplace_back(prefix + "cache-lookup-collisions", double(st.lookupCollisions.value()));
      out.emplace_back(prefix + "cache-insert-collisions", double(st.insertCollisions.value()));
      out.emplace_back(prefix + "cache-ttl-too-shorts", double(st.ttlTooShorts.value()));
    }
  }
  return out;
}

}  // namespace ballast::web
