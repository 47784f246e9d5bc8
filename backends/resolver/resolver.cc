// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/resolver.hh"

namespace ballast::backends::resolver {

std::vector<core::Address> builtinRootHints() {
  static const char* const kRoots[] = {
      "198.41.0.4",   "170.247.170.2", "192.33.4.12",   "199.7.91.13",   "192.203.230.10",
      "192.5.5.241",  "192.112.36.4",  "198.97.190.53", "192.36.148.17", "192.58.128.30",
      "193.0.14.129", "199.7.83.42",   "202.12.27.33",
  };
  std::vector<core::Address> out;
  for (const char* a : kRoots) out.push_back(core::Address::parse(a));
  return out;
}

const ForwardZone* Resolver::forwardZoneFor(const dns::Name& name) const {
  const ForwardZone* best = nullptr;
  for (const auto& z : config_.forwardZones) {
    if (name.isPartOf(z.zone) && (!best || z.zone.labelCount() > best->zone.labelCount()))
      best = &z;
  }
  return best;
}

}  // namespace ballast::backends::resolver
