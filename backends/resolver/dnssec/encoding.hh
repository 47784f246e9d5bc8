// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Text encodings of DNSSEC presentation formats: base64 (keys, signatures), base16
/// (digests, salts) and base32hex without padding (NSEC3 hashed names, RFC 4648 7).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ballast::backends::resolver::dnssec {

/// Whitespace inside the text is skipped (presentation format splits long fields).
std::optional<std::vector<uint8_t>> fromBase64(std::string_view text);
std::optional<std::vector<uint8_t>> fromHex(std::string_view text);
/// Case-insensitive, no padding.
std::optional<std::vector<uint8_t>> fromBase32Hex(std::string_view text);
/// Lowercase, no padding.
std::string toBase32Hex(std::span<const uint8_t> data);
std::string toHex(std::span<const uint8_t> data);

}  // namespace ballast::backends::resolver::dnssec
