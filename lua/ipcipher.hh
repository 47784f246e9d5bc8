// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// dnsdist's address encryption (ComboAddress:ipencrypt/ipdecrypt, makeIPCipherKey): IPv4
/// with ipcrypt (a 4-byte ARX permutation under a 16-byte key), IPv6 with one AES-128 block,
/// so pseudonymised addresses stay addresses of the same family.
#include <string>
#include <string_view>

#include "core/address.hh"

namespace ballast::lua {

/// The 16-byte key derived from a password (PBKDF2-HMAC-SHA1, as dnsdist derives it).
std::string makeIPCipherKey(std::string_view password);
/// Throw std::invalid_argument unless `key` has 16 bytes. The port is kept.
core::Address ipEncrypt(const core::Address& a, std::string_view key);
core::Address ipDecrypt(const core::Address& a, std::string_view key);

}  // namespace ballast::lua
