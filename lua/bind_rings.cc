// SPDX-License-Identifier: GPL-2.0-only
/// The ring buffers: setRingBuffersSize, setRingBuffersLockRetries, topQueries, topClients,
/// topResponses, topSlow, topBandwidth, grepq, statNodeRespRing.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "core/clock.hh"
#include "core/netmask.hh"
#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/rule_types.hh"
#include "lua/stat_node.hh"

namespace ballast::lua {

namespace {

/// The last `labels` labels of `n` (all of them when labels is 0 or more than it has).
std::string lastLabels(const dns::Name& n, size_t labels) {
  size_t count = n.labelCount();
  if (labels == 0 || labels >= count) return n.toString();
  auto w = n.wire();
  size_t o = 0;
  for (size_t skip = count - labels; skip > 0; --skip) o += size_t(w[o]) + 1;
  return dns::Name::fromWire(w.subspan(o)).toString();
}

/// Prints the `n` largest of `counts` as dnsdist does: rank, key, count, share; then "Rest".
void printTop(Host& h, const std::unordered_map<std::string, uint64_t>& counts, size_t n) {
  std::vector<std::pair<std::string, uint64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  uint64_t total = 0;
  for (const auto& e : v) total += e.second;
  std::string out;
  uint64_t shown = 0;
  for (size_t i = 0; i < v.size() && i < n; ++i) {
    out += fmt::format("{:>2}  {:<40} {:>8} {:>5.1f}%\n", i + 1, v[i].first, v[i].second,
                       100.0 * double(v[i].second) / double(total));
    shown += v[i].second;
  }
  if (total > shown)
    out += fmt::format("{:>2}  {:<40} {:>8} {:>5.1f}%\n", v.size() > n ? n + 1 : v.size(), "Rest",
                       total - shown, 100.0 * double(total - shown) / double(total));
  h.out(out);
}

size_t optCount(lua_State* L, int idx, const char* fn, size_t def) {
  return lua_isnoneornil(L, idx) ? def : size_t(checkInteger(L, idx, fn, "the count", 0, 1 << 30));
}

int setRingBuffersSize(lua_State* L, Host& h) {
  size_t n = size_t(checkInteger(L, 1, "setRingBuffersSize", "the size", 1, 100000000));
  size_t shards = optCount(L, 2, "setRingBuffersSize", 10);
  if (shards == 0) throw ConfigError("setRingBuffersSize: the number of shards must be at least 1");
  auto rings = std::make_shared<core::Rings>(n, shards, h.target().current()->rings->lockRetries());
  h.target().update([&](core::RuntimeConfig& c) { c.rings = rings; });
  return 0;
}

/// Kept by the rings a later setRingBuffersSize makes, as in dnsdist.
int setRingBuffersLockRetries(lua_State* L, Host& h) {
  auto n = size_t(checkInteger(L, 1, "setRingBuffersLockRetries", "the number", 0, 1 << 20));
  h.target().update([&](core::RuntimeConfig& c) { c.rings = c.rings->withLockRetries(n); });
  return 0;
}

int topQueries(lua_State* L, Host& h) {
  size_t n = optCount(L, 1, "topQueries", 10), labels = optCount(L, 2, "topQueries", 0);
  std::unordered_map<std::string, uint64_t> counts;
  h.runtime.config.load()->rings->forEachQuery(
      [&](const core::RingEntry& e) { ++counts[lastLabels(e.qname, labels)]; });
  printTop(h, counts, n);
  return 0;
}

int topClients(lua_State* L, Host& h) {
  size_t n = optCount(L, 1, "topClients", 10);
  std::unordered_map<std::string, uint64_t> counts;
  h.runtime.config.load()->rings->forEachQuery(
      [&](const core::RingEntry& e) { ++counts[e.requestor.toString()]; });
  printTop(h, counts, n);
  return 0;
}

int topResponses(lua_State* L, Host& h) {
  size_t n = optCount(L, 1, "topResponses", 10);
  int64_t rcode =
      lua_isnoneornil(L, 2) ? 0 : checkInteger(L, 2, "topResponses", "the rcode", 0, 15);
  size_t labels = optCount(L, 3, "topResponses", 0);
  std::unordered_map<std::string, uint64_t> counts;
  h.runtime.config.load()->rings->forEachResponse([&](const core::RingEntry& e) {
    if (e.rcode == rcode) ++counts[lastLabels(e.qname, labels)];
  });
  printTop(h, counts, n);
  return 0;
}

int topSlow(lua_State* L, Host& h) {
  size_t n = optCount(L, 1, "topSlow", 10);
  double limitMs = lua_isnoneornil(L, 2) ? 2000 : checkNumber(L, 2, "topSlow", "the limit");
  size_t labels = optCount(L, 3, "topSlow", 0);
  std::unordered_map<std::string, uint64_t> counts;
  h.runtime.config.load()->rings->forEachResponse([&](const core::RingEntry& e) {
    if (double(e.latencyUsec) / 1000.0 > limitMs) ++counts[lastLabels(e.qname, labels)];
  });
  printTop(h, counts, n);
  return 0;
}

/// topBandwidth([n]): the clients with the most bytes of queries and responses in the rings.
int topBandwidth(lua_State* L, Host& h) {
  size_t n = optCount(L, 1, "topBandwidth", 10);
  std::unordered_map<std::string, uint64_t> bytes;
  auto rings = h.runtime.config.load()->rings;
  auto add = [&](const core::RingEntry& e) { bytes[e.requestor.toString()] += e.size; };
  rings->forEachQuery(add);
  rings->forEachResponse(add);
  printTop(h, bytes, n);
  return 0;
}

/// grepq(filter [, n]): the last n queries and responses whose client is in a netmask,
/// whose name is at or below a name, or (responses) slower than "Nms"; a list of filters
/// must all match.
int grepq(lua_State* L, Host& h) {
  std::vector<std::string> filters = checkStrings(L, 1, "grepq", "the filter");
  size_t n = optCount(L, 2, "grepq", 10);
  core::NetmaskGroup nets;
  std::vector<dns::Name> names;
  double slowerMs = -1;
  for (const auto& f : filters) {
    if (f.size() > 2 && f.compare(f.size() - 2, 2, "ms") == 0 &&
        f.find_first_not_of("0123456789.") == f.size() - 2) {
      slowerMs = std::stod(f.substr(0, f.size() - 2));
      continue;
    }
    try {
      nets.add(f);
    } catch (const std::invalid_argument&) {
      names.push_back(dns::Name::fromString(f));
    }
  }
  struct Line {
    int64_t when;
    std::string text;
  };
  std::vector<Line> lines;
  auto keep = [&](const core::RingEntry& e, bool response) {
    if (!nets.empty() && !nets.match(e.requestor)) return;
    for (const auto& z : names)
      if (!e.qname.isPartOf(z)) return;
    if (slowerMs >= 0 && (!response || double(e.latencyUsec) / 1000.0 <= slowerMs)) return;
    lines.push_back(
        {e.whenUsec, fmt::format("{:<8.1f} {:<40} {:<5} {:<30} {:<6} {:>9} {}", 0.0,
                                 e.requestor.toStringWithPort(), e.id, e.qname.toString(),
                                 dns::qtypeToString(e.qtype),
                                 response ? fmt::format("{:.1f}", e.latencyUsec / 1000.0) : "",
                                 response ? dns::rcodeToString(e.rcode) : "Question")});
  };
  auto rings = h.runtime.config.load()->rings;
  rings->forEachQuery([&](const core::RingEntry& e) { keep(e, false); });
  rings->forEachResponse([&](const core::RingEntry& e) { keep(e, true); });
  std::sort(lines.begin(), lines.end(),
            [](const Line& a, const Line& b) { return a.when > b.when; });
  if (lines.size() > n) lines.resize(n);
  int64_t now = lines.empty() ? 0 : core::monotonicUsec();
  std::string out = fmt::format("{:<8} {:<40} {:<5} {:<30} {:<6} {:>9} {}\n", "Time", "Client",
                                "ID", "Name", "Type", "Lat.", "Rcode");
  for (auto& l : lines) {
    // The age, in seconds, replaces the placeholder at the start of the line.
    std::string age = fmt::format("{:<8.1f}", -double(now - l.when) / 1e6);
    out += age + l.text.substr(8) + "\n";
  }
  h.out(out);
  return 0;
}

/// statNodeRespRing(visitor [, seconds]): the responses of the rings (those of the last
/// `seconds` when not 0) as a tree of names; visitor(node, self, all) for every node.
int statNodeRespRing(lua_State* L, Host& h) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  int64_t seconds = lua_isnoneornil(L, 2)
                        ? 0
                        : checkInteger(L, 2, "statNodeRespRing", "the seconds", 0, 1LL << 31);
  int64_t now = core::monotonicUsec(), cutoff = now - seconds * 1000000;
  core::StatNode root;
  h.runtime.config.load()->rings->forEachResponse([&](const core::RingEntry& e) {
    if (e.whenUsec > now || (seconds && e.whenUsec < cutoff)) return;
    root.submit(e.qname, e.rcode, e.size);
  });
  visitStatNodes(L, 1, root, 0, [](const core::StatNode&) {});
  return 0;
}

}  // namespace

void registerRingBindings(lua_State* L) {
  static const Binding b[] = {
      {"setRingBuffersSize", wrap<setRingBuffersSize>},
      {"setRingBuffersLockRetries", wrap<setRingBuffersLockRetries>},
      {"topQueries", wrap<topQueries>},
      {"topClients", wrap<topClients>},
      {"topResponses", wrap<topResponses>},
      {"topSlow", wrap<topSlow>},
      {"topBandwidth", wrap<topBandwidth>},
      {"grepq", wrap<grepq>},
      {"statNodeRespRing", wrap<statNodeRespRing>},
  };
  registerAll(L, std::begin(b), std::end(b));
  registerStatNodeType(L);
}

}  // namespace ballast::lua
