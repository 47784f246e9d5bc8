// SPDX-License-Identifier: GPL-2.0-only
#include <doctest.h>

#include "metrics/prometheus.hh"

using namespace ballast::metrics;

TEST_CASE("prometheus names follow dnsdist's exporter") {
  CHECK(PrometheusWriter::metricName("queries") == "dnsdist_queries");
  CHECK(PrometheusWriter::metricName("latency0-1") == "dnsdist_latency0_1");
  CHECK(PrometheusWriter::metricName("cache-hits.x") == "dnsdist_cache_hits_x");
}

TEST_CASE("registry statistics become families with HELP and TYPE") {
  Registry r;
  Counter c;
  c.inc(42);
  r.add("queries", c, "Number of received queries");
  r.addGauge(
      "latency-avg100", [] { return 1.5; }, "Average\nlatency");
  r.add("skipped", c, "not exported");
  PrometheusWriter w;
  w.registry(r, {"skipped"});
  CHECK(w.text() ==
        "# HELP dnsdist_queries Number of received queries\n"
        "# TYPE dnsdist_queries counter\n"
        "dnsdist_queries 42\n"
        "# HELP dnsdist_latency_avg100 Average\\nlatency\n"
        "# TYPE dnsdist_latency_avg100 gauge\n"
        "dnsdist_latency_avg100 1.5\n");
}

TEST_CASE("label values are escaped") {
  PrometheusWriter w;
  w.sample("m", {{"server", "a\"b\\c"}, {"address", "127.0.0.1:53"}}, 3);
  CHECK(w.text() == "m{server=\"a\\\"b\\\\c\",address=\"127.0.0.1:53\"} 3\n");
}

TEST_CASE("latency histogram buckets are cumulative, in milliseconds") {
  LatencyStats l;
  l.record(500);
  l.record(5000);
  l.record(5000);
  l.record(3000000);
  PrometheusWriter w;
  w.latencyHistogram("dnsdist_latency", "Histogram of latencies", l);
  CHECK(w.text() ==
        "# HELP dnsdist_latency Histogram of latencies\n"
        "# TYPE dnsdist_latency histogram\n"
        "dnsdist_latency_bucket{le=\"1\"} 1\n"
        "dnsdist_latency_bucket{le=\"10\"} 3\n"
        "dnsdist_latency_bucket{le=\"50\"} 3\n"
        "dnsdist_latency_bucket{le=\"100\"} 3\n"
        "dnsdist_latency_bucket{le=\"1000\"} 3\n"
        "dnsdist_latency_bucket{le=\"+Inf\"} 4\n"
        "dnsdist_latency_sum 3010.5\n"
        "dnsdist_latency_count 4\n");
}
