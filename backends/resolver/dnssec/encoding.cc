// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/encoding.hh"

namespace ballast::backends::resolver::dnssec {

namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base32HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  if (c >= 'A' && c <= 'V') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::vector<uint8_t>> fromBase64(std::string_view text) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  for (char c : text) {
    if (isSpace(c)) continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    int v = base64Value(c);
    if (v < 0 || pad > 0) return std::nullopt;  // data after padding
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
    }
  }
  // Leftover bits must be zero padding of a whole quantum: 2 or 4 bits, or none.
  if (pad > 2 || (bits != 0 && bits != 2 && bits != 4)) return std::nullopt;
  // Two leftover bits: the quantum held 2 bytes (one '='); four: 1 byte (two '=').
  if (bits == 2 && pad != 1 && pad != 0) return std::nullopt;
  if (bits == 4 && pad != 2 && pad != 0) return std::nullopt;
  if (bits == 0 && pad != 0) return std::nullopt;
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<std::vector<uint8_t>> fromHex(std::string_view text) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : text) {
    if (isSpace(c)) continue;
    int v = hexValue(c);
    if (v < 0) return std::nullopt;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(uint8_t(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) return std::nullopt;
  return out;
}

std::optional<std::vector<uint8_t>> fromBase32Hex(std::string_view text) {
  std::vector<uint8_t> out;
  uint64_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = base32HexValue(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 5) | uint64_t(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string toBase32Hex(std::span<const uint8_t> data) {
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuv";
  std::string s;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += kDigits[(acc >> bits) & 31];
    }
  }
  if (bits > 0) s += kDigits[(acc << (5 - bits)) & 31];
  return s;
}

std::string toHex(std::span<const uint8_t> data) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : data) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

}  // namespace ballast::backends::resolver::dnssec
