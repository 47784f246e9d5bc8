// SPDX-License-Identifier: GPL-2.0-only
#include "lua/api_list.hh"

#include <algorithm>
#include <iterator>
#include <utility>

namespace ballast::lua {

namespace {

using Entry = std::pair<std::string_view, std::string_view>;

/// Generated from lua/api.txt by lua/api_gen.py --table, sorted by name.
constexpr Entry kRefused[] = {
#include "api_refused.inc"
};

}  // namespace

std::optional<std::string_view> refusedFunctionReason(std::string_view name) {
  auto it = std::lower_bound(std::begin(kRefused), std::end(kRefused), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  if (it == std::end(kRefused) || it->first != name) return std::nullopt;
  return it->second;
}

}  // namespace ballast::lua
