// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/svc.hh"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace ballast::core::rules {

namespace {

void put16(std::string& out, uint16_t v) {
  out += char(v >> 8);
  out += char(v & 0xff);
}

void putParam(std::string& out, uint16_t key, const std::string& value) {
  if (value.size() > 65535)
    throw std::invalid_argument(fmt::format("SVC parameter key{} longer than 65535 bytes", key));
  put16(out, key);
  put16(out, uint16_t(value.size()));
  out += value;
}

}  // namespace

uint16_t svcKeyFromName(std::string_view name) {
  static constexpr std::pair<std::string_view, uint16_t> kNames[] = {
      {"mandatory", svckey::kMandatory},
      {"alpn", svckey::kAlpn},
      {"no-default-alpn", svckey::kNoDefaultAlpn},
      {"port", svckey::kPort},
      {"ipv4hint", svckey::kIpv4Hint},
      {"ech", svckey::kEch},
      {"ipv6hint", svckey::kIpv6Hint}};
  for (const auto& [n, k] : kNames)
    if (n == name) return k;
  if (name.size() > 3 && name.substr(0, 3) == "key") {
    unsigned v = 0;
    auto digits = name.substr(3);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && end == digits.data() + digits.size() && v < 65535) return uint16_t(v);
  }
  throw std::invalid_argument(fmt::format("unknown SVC parameter key '{}'", name));
}

std::string svcRdata(const SvcParams& p) {
  std::map<uint16_t, std::string> params = p.other;
  if (!p.mandatory.empty()) {
    auto keys = p.mandatory;
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::string v;
    for (uint16_t k : keys) put16(v, k);
    params[svckey::kMandatory] = v;
  }
  if (!p.alpn.empty()) {
    std::string v;
    for (const auto& a : p.alpn) {
      if (a.empty() || a.size() > 255)
        throw std::invalid_argument("an alpn value must be 1 to 255 bytes");
      v += char(a.size());
      v += a;
    }
    params[svckey::kAlpn] = v;
  }
  if (p.noDefaultAlpn) params[svckey::kNoDefaultAlpn] = "";
  if (p.port) {
    std::string v;
    put16(v, *p.port);
    params[svckey::kPort] = v;
  }
  auto hints = [&](uint16_t key, const std::vector<Address>& addrs) {
    if (addrs.empty()) return;
    std::string v;
    for (const auto& a : addrs) v.append(reinterpret_cast<const char*>(a.bytes()), a.byteLength());
    params[key] = v;
  };
  hints(svckey::kIpv4Hint, p.ipv4hint);
  hints(svckey::kIpv6Hint, p.ipv6hint);
  if (p.ech) params[svckey::kEch] = *p.ech;

  std::string out;
  put16(out, p.priority);
  auto wire = p.target.wire();
  out.append(reinterpret_cast<const char*>(wire.data()), wire.size());
  for (const auto& [k, v] : params) putParam(out, k, v);
  if (out.size() > 65535) throw std::invalid_argument("SVC record data longer than 65535 bytes");
  return out;
}

}  // namespace ballast::core::rules
