// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Test-only fault injection (newResolver{testFaults={...}}), absent unless configured: a
/// question for a listed name makes the instance that takes it hang (a real blocking sleep
/// of its loop thread, not a cooperative wait) or throw out of its loop, so the supervisor
/// can be tested through the real binary.
#include <cstdint>
#include <vector>

#include "dns/name.hh"

namespace ballast::backends::resolver {

struct TestFaults {
  std::vector<dns::Name> hang;   ///< these names (exactly, any case) block the loop
  std::vector<dns::Name> raise;  ///< these throw std::runtime_error out of the loop
  int64_t hangMs = 3600 * 1000;  ///< how long a hang blocks

  enum class Action { None, Hang, Throw };
  Action actionFor(const dns::Name& qname) const;
};

}  // namespace ballast::backends::resolver
