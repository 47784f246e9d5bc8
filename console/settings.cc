// SPDX-License-Identifier: GPL-2.0-only
#include "console/settings.hh"

#include "console/crypto.hh"

namespace ballast::console {

void Settings::adoptRuntimeFields(const Settings& fresh) {
  std::scoped_lock lock(mutex, fresh.mutex);
  key = fresh.key;
  acl = fresh.acl;
  logConnections = fresh.logConnections;
  maxConnections = fresh.maxConnections;
  outputMaxSize = fresh.outputMaxSize;
}

bool isValidKey(const std::string& base64) {
  return parseKey(base64).has_value();
}

std::string newKey() {
  return makeKey();
}

}  // namespace ballast::console
