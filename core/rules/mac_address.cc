// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/mac_address.hh"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace ballast::core::rules {

std::string macFromArpTable(std::string_view table, const Address& a) {
  if (!a.isV4()) return {};
  std::string ip = a.toString();
  size_t pos = 0;
  while (pos < table.size()) {
    size_t end = table.find('\n', pos);
    if (end == std::string_view::npos) end = table.size();
    std::string line(table.substr(pos, end - pos));
    pos = end + 1;
    std::istringstream fields(line);
    std::vector<std::string> f{std::istream_iterator<std::string>(fields),
                               std::istream_iterator<std::string>()};
    if (f.size() < 4 || f[0] != ip) continue;
    unsigned b[6];
    char extra;
    if (f[3].size() != 17 || std::sscanf(f[3].c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1],
                                         &b[2], &b[3], &b[4], &b[5], &extra) != 6)
      return {};
    std::string mac;
    for (unsigned x : b) mac.push_back(char(x));
    return mac;
  }
  return {};
}

std::string neighbourMac(const Address& a) {
  if (!a.isV4()) return {};
  std::ifstream in("/proc/net/arp");
  if (!in) return {};
  std::string table{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return macFromArpTable(table, a);
}

}  // namespace ballast::core::rules
