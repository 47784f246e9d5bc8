// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The dashboard's files, compiled into the binary by web/ui/embed.py (nothing to install).
#include <string_view>

namespace ballast::web::ui {

struct Asset {
  std::string_view path;  ///< "/index.html"
  std::string_view contentType;
  std::string_view data;
};

/// The asset served at `path`, or null.
const Asset* findAsset(std::string_view path);

}  // namespace ballast::web::ui
