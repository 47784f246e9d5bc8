// SPDX-License-Identifier: GPL-2.0-only
#include "metrics/prometheus.hh"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ballast::metrics {

namespace {

void appendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", v);
    out += buf;
  } else {
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", v);
    out += buf;
  }
}

/// HELP text escapes backslash and newline; label values also escape the double quote.
void appendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string PrometheusWriter::metricName(std::string_view stat) {
  std::string name = "dnsdist_";
  for (char c : stat) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    name += ok ? c : '_';
  }
  return name;
}

void PrometheusWriter::family(std::string_view name, std::string_view help, std::string_view type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  appendEscaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusWriter::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      appendEscaped(out_, labels[i].second, true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  appendNumber(out_, value);
  out_ += '\n';
}

void PrometheusWriter::registry(const Registry& r, const std::vector<std::string>& skip) {
  for (const auto& e : r.entries()) {
    if (std::find(skip.begin(), skip.end(), e.name) != skip.end()) continue;
    std::string name = metricName(e.name);
    family(name, e.help, e.kind == StatKind::Counter ? "counter" : "gauge");
    sample(name, {}, e.read());
  }
}

void PrometheusWriter::latencyHistogram(std::string_view name, std::string_view help,
                                        const LatencyStats& l) {
  family(name, help, "histogram");
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyStats::kBuckets; ++i) {
    cumulative += l.bucket(i);
    std::string le = i + 1 < LatencyStats::kBuckets
                         ? std::to_string(LatencyStats::kBucketBoundsUsec[i] / 1000)
                         : "+Inf";
    sample(bucket, {{"le", le}}, double(cumulative));
  }
  sample(std::string(name) + "_sum", {}, double(l.sumUsec()) / 1000.0);
  // The buckets are read one by one while queries land, so the count is taken as their
  // total: a histogram whose +Inf bucket differs from _count is invalid.
  sample(std::string(name) + "_count", {}, double(cumulative));
}

}  // namespace ballast::metrics
