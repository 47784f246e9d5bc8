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

std::string testCrypto(const std::string& base64Key, const std::string& message) {
  auto key = parseKey(base64Key);
  if (!key) return "Crypto failed: no console key is set (setKey)\n";
  try {
    initSodium();
    Nonce a = randomNonce(), b = randomNonce();
    Channel writer(*key, a, b), reader(*key, b, a);
    for (int round = 0; round < 2; ++round) {
      std::string sealed = writer.seal(message), opened;  // a 4-byte length, then the box
      if (!reader.open({reinterpret_cast<const uint8_t*>(sealed.data()) + 4, sealed.size() - 4},
                       opened))
        return "Crypto failed: the message did not decrypt\n";
      if (opened != message)
        return "Crypto failed.. (the decoded value does not match the cleartext one)\n";
    }
  } catch (const std::exception& e) {
    return std::string("Crypto failed: ") + e.what() + "\n";
  }
  return "Everything is ok!\n";
}

}  // namespace ballast::console
