// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/doh_config.hh"

#include <fmt/format.h>

#include <stdexcept>

namespace ballast::frontend {

bool isHeaderSafe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

DohResponseMapEntry::DohResponseMapEntry(const std::string& re, int st, std::string c,
                                         std::optional<HttpHeaders> h)
    : regex(re), status(st), content(std::move(c)), headers(std::move(h)) {
  if (status < 200 || status > 599)
    throw std::invalid_argument(
        fmt::format("status {} is not a final HTTP status (200-599)", status));
  if (status >= 300 && status < 400 && !isHeaderSafe(content))
    throw std::invalid_argument("the redirect URL contains a control character");
  if (headers) {
    if (headers->size() > 10) throw std::invalid_argument("at most 10 headers");
    for (const auto& [k, v] : *headers)
      if (k.empty() || !isHeaderSafe(k) || !isHeaderSafe(v))
        throw std::invalid_argument("header '" + k + "' has an empty name or a control character");
  }
}

}  // namespace ballast::frontend
