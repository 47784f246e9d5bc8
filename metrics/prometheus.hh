// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The Prometheus text exposition format (version 0.0.4): HELP and TYPE once per family,
/// then its samples. Names follow dnsdist's exporter: "dnsdist_" + the stat name with every
/// character outside [a-zA-Z0-9_] turned into '_', so existing dashboards keep working.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/latency.hh"
#include "metrics/registry.hh"

namespace ballast::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusWriter {
 public:
  /// "dnsdist_" + name with characters Prometheus does not allow replaced by '_'.
  static std::string metricName(std::string_view stat);

  /// Starts a family; samples for it follow with sample(). Each family once per output.
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, const Labels& labels, double value);
  /// Every statistic of the registry as its own family, except the names in `skip`.
  void registry(const Registry& r, const std::vector<std::string>& skip = {});
  /// A cumulative histogram from dnsdist's latency buckets, bounds in milliseconds as
  /// dnsdist's dnsdist_latency, with _sum (ms) and _count.
  void latencyHistogram(std::string_view name, std::string_view help, const LatencyStats& l);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

}  // namespace ballast::metrics
