// SPDX-License-Identifier: GPL-2.0-only
#include "metrics/process_stats.hh"

#include <doctest/doctest.h>

using namespace ballast::metrics;

TEST_CASE("/proc/net/snmp line pairs") {
  auto v = parseProcPairs(
      "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
      "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors\n"
      "Udp: 10 2 3 9 4 5 6\n"
      "UdpLite: InDatagrams\nUdpLite: 0\n");
  CHECK(v.at("UdpNoPorts") == 2);
  CHECK(v.at("UdpInErrors") == 3);
  CHECK(v.at("UdpRcvbufErrors") == 4);
  CHECK(v.at("UdpInCsumErrors") == 6);
  CHECK(v.at("IpDefaultTTL") == 64);
  CHECK(v.at("UdpLiteInDatagrams") == 0);
  // A header without its value line, or lines that do not pair up, give nothing.
  CHECK(parseProcPairs("Udp: InErrors\nTcp: 1\n").empty());
  CHECK(parseProcPairs("Udp: InErrors NoPorts\nUdp: 1\n").empty());
  CHECK(parseProcPairs("").empty());
}

TEST_CASE("/proc/net/snmp6 columns") {
  auto v = parseProcColumns("Udp6InDatagrams                 \t12\nUdp6InErrors 7\nbad\nX y\n");
  CHECK(v.at("Udp6InErrors") == 7);
  CHECK(v.at("Udp6InDatagrams") == 12);
  CHECK(v.count("X") == 0);
}

TEST_CASE("/proc/stat cpu fields") {
  const char* stat = "cpu  100 2 30 4000 55 0 1 9 0 0\ncpu0 50 1 15 2000 20 0 0 4 0 0\n";
  CHECK(procStatCpuField(stat, 0) == 100u);
  CHECK(procStatCpuField(stat, 4) == 55u);
  CHECK(procStatCpuField(stat, 7) == 9u);
  CHECK_FALSE(procStatCpuField(stat, 20));
  CHECK_FALSE(procStatCpuField("intr 1 2\n", 0));
}

TEST_CASE("the registered figures read this process") {
  Registry r;
  registerProcessStats(r, 0);
  std::map<std::string, double> got;
  for (auto& [name, value] : r.snapshot()) got[name] = value;
  CHECK(got.at("real-memory-usage") > 0);
  CHECK(got.at("fd-usage") >= 3);  // stdin, stdout, stderr at least
  CHECK(got.count("udp-noport-errors") == 1);
  CHECK(got.count("udp6-sndbuf-errors") == 1);
  CHECK(got.count("tcp-listen-overflows") == 1);
  CHECK(got.at("cpu-user-msec") >= 0);
}
