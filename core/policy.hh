// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Load-balancing policies: choose one backend of a pool for a query.
#include <memory>
#include <span>
#include <string>

#include "core/backend.hh"

namespace ballast::core {

class Policy {
 public:
  virtual ~Policy() = default;
  virtual const std::string& name() const = 0;
  /// Returns a backend that is up, or null when none is.
  virtual Backend* select(std::span<Backend* const> servers, const QueryContext& q) const = 0;
};

/// The policy of that dnsdist name ("leastOutstanding", "firstAvailable", "roundrobin"),
/// or null when there is none of that name.
std::shared_ptr<const Policy> makePolicy(const std::string& name);

}  // namespace ballast::core
