// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/faults.hh"

#include <algorithm>

namespace ballast::backends::resolver {

TestFaults::Action TestFaults::actionFor(const dns::Name& qname) const {
  if (std::find(hang.begin(), hang.end(), qname) != hang.end()) return Action::Hang;
  if (std::find(raise.begin(), raise.end(), qname) != raise.end()) return Action::Throw;
  return Action::None;
}

}  // namespace ballast::backends::resolver
