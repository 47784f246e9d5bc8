// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The identities of rules: dnsdist gives every rule a UUID (random unless the `uuid`
/// option names one) beside its optional name, and rmRule accepts either.
#include <optional>
#include <string>
#include <string_view>

namespace ballast::core::rules {

/// A random version 4 UUID, in lower-case 8-4-4-4-12 form.
std::string randomUuid();
/// `text` in canonical lower-case form when it is a UUID (8-4-4-4-12 hexadecimal digits,
/// optionally in braces, as dnsdist's parser accepts); nullopt otherwise.
std::optional<std::string> canonicalUuid(std::string_view text);

}  // namespace ballast::core::rules
