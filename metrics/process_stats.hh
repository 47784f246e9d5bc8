// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The process and host figures dnsdist reports beside its query counters: uptime, memory,
/// CPU time, open descriptors, the kernel's UDP and listen-queue error counters. Read from
/// getrusage and /proc when a statistic is read (dumpStats, /metrics, the API, carbon),
/// never on the query path.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/registry.hh"

namespace ballast::metrics {

/// Registers uptime, real-memory-usage, cpu-user-msec, cpu-sys-msec, cpu-iowait, cpu-steal,
/// fd-usage, udp-*-errors, udp6-*-errors and tcp-listen-overflows. `startUsec` is the
/// process's start on the monotonic clock.
void registerProcessStats(Registry& r, int64_t startUsec);

/// The "Name: field field ..." / "Name: value value ..." line pairs of /proc/net/snmp and
/// /proc/net/netstat as {"Name" + "field": value}, e.g. {"UdpInErrors", 3}.
std::map<std::string, uint64_t> parseProcPairs(std::string_view text);
/// The "name value" lines of /proc/net/snmp6 as {name: value}.
std::map<std::string, uint64_t> parseProcColumns(std::string_view text);
/// Field `index` (0: user) of the "cpu " line of /proc/stat, in USER_HZ ticks.
std::optional<uint64_t> procStatCpuField(std::string_view text, size_t index);

}  // namespace ballast::metrics
