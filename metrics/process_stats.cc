// SPDX-License-Identifier: GPL-2.0-only
#include "metrics/process_stats.hh"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace ballast::metrics {

namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string slurp(const char* path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int64_t monotonicNowUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

double rusageMsec(bool system) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const timeval& t = system ? u.ru_stime : u.ru_utime;
  return double(t.tv_sec) * 1000.0 + double(t.tv_usec) / 1000.0;
}

double residentBytes() {
  std::string statm = slurp("/proc/self/statm");
  auto w = words(statm);
  if (w.size() < 2) return 0;
  return double(number(w[1]).value_or(0)) * double(sysconf(_SC_PAGESIZE));
}

double openDescriptors() {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return double(n);
}

/// A reader of one named value in a /proc file parsed by `parse`.
template <typename Parse>
std::function<double()> procValue(const char* path, std::string key, Parse parse) {
  return [path, key = std::move(key), parse] {
    auto values = parse(slurp(path));
    auto it = values.find(key);
    return it == values.end() ? 0.0 : double(it->second);
  };
}

}  // namespace

std::map<std::string, uint64_t> parseProcPairs(std::string_view text) {
  std::map<std::string, uint64_t> out;
  auto ls = lines(text);
  for (size_t i = 0; i + 1 < ls.size(); ++i) {
    auto names = words(ls[i]);
    auto values = words(ls[i + 1]);
    if (names.empty() || values.empty() || names[0] != values[0] || names.size() != values.size())
      continue;
    std::string_view prefix = names[0];
    if (prefix.empty() || prefix.back() != ':') continue;
    prefix.remove_suffix(1);
    for (size_t k = 1; k < names.size(); ++k)
      if (auto v = number(values[k])) out[std::string(prefix) + std::string(names[k])] = *v;
    ++i;
  }
  return out;
}

std::map<std::string, uint64_t> parseProcColumns(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (auto line : lines(text)) {
    auto w = words(line);
    if (w.size() == 2)
      if (auto v = number(w[1])) out[std::string(w[0])] = *v;
  }
  return out;
}

std::optional<uint64_t> procStatCpuField(std::string_view text, size_t index) {
  for (auto line : lines(text)) {
    auto w = words(line);
    if (w.empty() || w[0] != "cpu") continue;
    if (index + 1 >= w.size()) return std::nullopt;
    return number(w[index + 1]);
  }
  return std::nullopt;
}

void registerProcessStats(Registry& r, int64_t startUsec) {
  r.addGauge(
      "uptime", [startUsec] { return double((monotonicNowUsec() - startUsec) / 1'000'000); },
      "Uptime of the process, in seconds");
  r.addGauge("real-memory-usage", residentBytes, "Resident memory of the process, in bytes");
  r.addCounter("cpu-user-msec", [] { return rusageMsec(false); }, "Milliseconds spent in user mode");
  r.addCounter("cpu-sys-msec", [] { return rusageMsec(true); }, "Milliseconds spent in kernel mode");
  auto cpu = [](size_t field) {
    return [field] { return double(procStatCpuField(slurp("/proc/stat"), field).value_or(0)); };
  };
  r.addCounter("cpu-iowait", cpu(4), "Time the host's CPUs waited for I/O, in USER_HZ ticks");
  r.addCounter("cpu-steal", cpu(7), "Time stolen from the host's CPUs by a hypervisor, in ticks");
  r.addGauge("fd-usage", openDescriptors, "Number of open file descriptors");
  static constexpr std::pair<const char*, const char*> kUdp[] = {
      {"in-errors", "InErrors"},     {"noport-errors", "NoPorts"},
      {"recvbuf-errors", "RcvbufErrors"}, {"sndbuf-errors", "SndbufErrors"},
      {"in-csum-errors", "InCsumErrors"}};
  for (auto [name, field] : kUdp) {
    r.addCounter(std::string("udp-") + name,
                 procValue("/proc/net/snmp", std::string("Udp") + field, parseProcPairs),
                 std::string("The host's UDP ") + field + " (/proc/net/snmp)");
    r.addCounter(std::string("udp6-") + name,
                 procValue("/proc/net/snmp6", std::string("Udp6") + field, parseProcColumns),
                 std::string("The host's UDP over IPv6 ") + field + " (/proc/net/snmp6)");
  }
  r.addCounter("tcp-listen-overflows",
               procValue("/proc/net/netstat", "TcpExtListenOverflows", parseProcPairs),
               "Times a TCP listen queue overflowed on the host (/proc/net/netstat)");
}

}  // namespace ballast::metrics
