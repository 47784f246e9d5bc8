// SPDX-License-Identifier: GPL-2.0-only
#include "metrics/registry.hh"

namespace ballast::metrics {

void Registry::add(std::string name, const Counter& c, std::string help) {
  std::lock_guard lock(mutex_);
  entries_.push_back({std::move(name), std::move(help), StatKind::Counter,
                      [&c] { return double(c.value()); }});
}

void Registry::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [&](const StatEntry& e) { return e.name == name; });
}

void Registry::addGauge(std::string name, std::function<double()> read, std::string help) {
  std::lock_guard lock(mutex_);
  entries_.push_back({std::move(name), std::move(help), StatKind::Gauge, std::move(read)});
}

void Registry::addCounter(std::string name, std::function<double()> read, std::string help) {
  std::lock_guard lock(mutex_);
  entries_.push_back({std::move(name), std::move(help), StatKind::Counter, std::move(read)});
}

void Registry::addLatency(const LatencyStats& l) {
  static constexpr const char* kBucketHelp[] = {
      "Number of queries answered in less than 1 ms",
      "Number of queries answered in 1-10 ms",
      "Number of queries answered in 10-50 ms",
      "Number of queries answered in 50-100 ms",
      "Number of queries answered in 100-1000 ms",
      "Number of queries answered in more than 1 second"};
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < LatencyStats::kBuckets; ++i) {
    entries_.push_back({LatencyStats::kBucketNames[i], kBucketHelp[i], StatKind::Counter,
                        [&l, i] { return double(l.bucket(i)); }});
  }
  auto avg = [&](const char* name, double (LatencyStats::*fn)() const, const char* help) {
    entries_.push_back({name, help, StatKind::Gauge, [&l, fn] { return (l.*fn)(); }});
  };
  avg("latency-avg100", &LatencyStats::avg100, "Average latency over the last 100 queries, usec");
  avg("latency-avg1000", &LatencyStats::avg1000, "Average latency over the last 1000 queries, usec");
  avg("latency-avg10000", &LatencyStats::avg10000,
      "Average latency over the last 10000 queries, usec");
  avg("latency-avg1000000", &LatencyStats::avg1000000,
      "Average latency over the last 1000000 queries, usec");
  entries_.push_back({"latency-count", "Number of queries contributing to latency figures",
                      StatKind::Counter, [&l] { return double(l.count()); }});
  entries_.push_back({"latency-sum", "Total latency of those queries, msec", StatKind::Counter,
                      [&l] { return double(l.sumUsec() / 1000); }});
}

std::vector<std::pair<std::string, double>> Registry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, double>> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.emplace_back(e.name, e.read());
  return out;
}

std::vector<StatEntry> Registry::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

}  // namespace ballast::metrics
