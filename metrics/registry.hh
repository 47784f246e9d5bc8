// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The named statistics of the process, in registration order (the order dumpStats and
/// getStatisticsCounters use). Names are dnsdist's so dashboards and alerts carry over.
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "metrics/counter.hh"
#include "metrics/latency.hh"

namespace ballast::metrics {

enum class StatKind { Counter, Gauge };

struct StatEntry {
  std::string name;
  std::string help;
  StatKind kind;
  std::function<double()> read;
};

class Registry {
 public:
  void add(std::string name, const Counter& c, std::string help);
  void addGauge(std::string name, std::function<double()> read, std::string help);
  /// A counter whose value is computed when read (CPU time, a kernel counter).
  void addCounter(std::string name, std::function<double()> read, std::string help);
  /// Registers latency0-1 ... latency-slow, latency-avgN, latency-count and latency-sum.
  void addLatency(const LatencyStats& l);
  /// Drops every statistic of that name (a configuration reload removed what it reads).
  void remove(const std::string& name);
  /// Name and current value of every statistic.
  std::vector<std::pair<std::string, double>> snapshot() const;
  std::vector<StatEntry> entries() const;

 private:
  mutable std::mutex mutex_;  // registration happens at start-up; reads are rare
  std::vector<StatEntry> entries_;
};

}  // namespace ballast::metrics
