// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What lua/api.txt says of dnsdist functions ballast refuses, built into the binary so that
/// a configuration calling one is told why (explainLuaError).
#include <optional>
#include <string_view>

namespace ballast::lua {

/// The reason api.txt gives for refusing dnsdist function `name`; nothing when it is not
/// listed as refused (bound, or unknown to dnsdist 1.7 as well).
std::optional<std::string_view> refusedFunctionReason(std::string_view name);

}  // namespace ballast::lua
