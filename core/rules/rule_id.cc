// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/rule_id.hh"

#include <cctype>
#include <random>

namespace ballast::core::rules {

std::string randomUuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local std::mt19937_64 gen{std::random_device{}()};
  uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = gen();
    for (int k = 0; k < 8; ++k) b[i + k] = uint8_t(r >> (8 * k));
  }
  b[6] = uint8_t((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = uint8_t((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xf];
  }
  return out;
}

std::optional<std::string> canonicalUuid(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  if (text.size() != 36) return std::nullopt;
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    auto c = static_cast<unsigned char>(out[i]);
    if (dash ? c != '-' : !std::isxdigit(c)) return std::nullopt;
    out[i] = char(std::tolower(c));
  }
  return out;
}

}  // namespace ballast::core::rules
