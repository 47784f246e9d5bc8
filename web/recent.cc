// SPDX-License-Identifier: GPL-2.0-only
#include "web/recent.hh"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ballast::web {

using nlohmann::json;

namespace {

/// The `top` largest counts, largest first (ties by key), as [{keyName: key, "queries": n}].
json topList(const std::unordered_map<std::string, uint64_t>& counts, const char* keyName,
             size_t top) {
  std::vector<std::pair<std::string, uint64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  json out = json::array();
  for (size_t i = 0; i < v.size() && i < top; ++i)
    out.push_back({{keyName, v[i].first}, {"queries", v[i].second}});
  return out;
}

double percentileMs(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = size_t(p * double(sorted.size() - 1) + 0.5);
  return sorted[i] / 1000.0;
}

}  // namespace

json recentActivity(const core::Runtime& rt, int64_t nowUsec, int64_t windowUsec, size_t top) {
  auto cfg = rt.config.load();
  int64_t since = nowUsec - windowUsec;
  std::unordered_map<std::string, uint64_t> clients, names;
  uint64_t queries = 0;
  cfg->rings->forEachQuery([&](const core::RingEntry& e) {
    if (e.whenUsec < since) return;
    ++queries;
    ++clients[e.requestor.toString()];
    ++names[e.qname.toString()];
  });
  std::vector<uint32_t> latencies;
  cfg->rings->forEachResponse([&](const core::RingEntry& e) {
    if (e.whenUsec >= since) latencies.push_back(e.latencyUsec);
  });
  std::sort(latencies.begin(), latencies.end());
  json blocks = json::array();
  for (const auto& b : cfg->dynBlocks->all()) {
    if (b->untilUsec <= nowUsec) continue;
    blocks.push_back({{"network", b->network},
                      {"reason", b->reason},
                      {"action", core::dynBlockActionName(b->action)},
                      {"secondsLeft", (b->untilUsec - nowUsec + 999999) / 1000000},
                      {"blocks", b->blocks.value()},
                      {"warning", b->warning}});
  }
  return {{"windowSeconds", windowUsec / 1000000},
          {"queries", queries},
          {"topClients", topList(clients, "client", top)},
          {"topNames", topList(names, "name", top)},
          {"latency",
           {{"answers", latencies.size()},
            {"p50", percentileMs(latencies, 0.50)},
            {"p90", percentileMs(latencies, 0.90)},
            {"p99", percentileMs(latencies, 0.99)},
            {"max", latencies.empty() ? 0.0 : latencies.back() / 1000.0}}},
          {"dynamicBlocks", blocks}};
}

}  // namespace ballast::web
