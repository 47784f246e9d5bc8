// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Key-value stores (dnsdist's KeyValueStore: CDB files, LMDB databases), the keys a query
/// is looked up by (KeyValueLookupKey*), and the selectors and actions using them.
/// Lookups are thread-safe and never throw; a store that cannot be read answers "not found".
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/rules/actions.hh"
#include "core/rules/selectors.hh"
#include "dns/name.hh"

namespace ballast::core::rules {

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  virtual bool getValue(const std::string& key, std::string& value) const = 0;
  virtual bool keyExists(const std::string& key) const = 0;
  /// The range whose last element (the key) is the first at or after `key`, of the same
  /// length, and whose first element (the value's first key.size() bytes) is not after it.
  virtual bool getRangeValue(const std::string& key, std::string& value) const = 0;
  /// Reopens the file now; false when it cannot (and the store keeps what it had).
  virtual bool reload() = 0;
};
using KeyValueStorePtr = std::shared_ptr<KeyValueStore>;

/// A CDB file (tinycdb), reopened when its modification time changes, checked at most every
/// `refreshDelay` seconds (0: never). Throws std::runtime_error when it cannot be opened.
KeyValueStorePtr cdbStore(const std::string& file, uint32_t refreshDelay);
/// The database `dbName` of the LMDB file `file`, read-only. Throws std::runtime_error.
KeyValueStorePtr lmdbStore(const std::string& file, const std::string& dbName, bool noLock);

/// The keys to try, in order (the first one found wins).
class LookupKey {
 public:
  virtual ~LookupKey() = default;
  virtual void keys(const DQ& dq, std::vector<std::string>& out) const = 0;
  virtual std::string describe() const = 0;
};
using LookupKeyPtr = std::shared_ptr<const LookupKey>;

/// The key builders, pure. The name in lower case: its wire form, or its text without the
/// final dot ("." for the root).
std::string qnameKey(const dns::Name& n, bool wireFormat);
/// The name, then each parent down to `minLabels` labels (0: to the TLD); none for the root.
std::vector<std::string> suffixKeys(const dns::Name& n, unsigned minLabels, bool wireFormat);
/// The address's bytes with the mask applied (4 or 16), then the port (network order).
std::string sourceIpKey(const Address& a, uint8_t v4Mask, uint8_t v6Mask, bool includePort);

LookupKeyPtr qnameLookupKey(bool wireFormat);
LookupKeyPtr sourceIpLookupKey(uint8_t v4Mask, uint8_t v6Mask, bool includePort);
LookupKeyPtr suffixLookupKey(unsigned minLabels, bool wireFormat);
LookupKeyPtr tagLookupKey(std::string tag);

SelectorPtr kvsLookupRule(KeyValueStorePtr kvs, LookupKeyPtr key);
SelectorPtr kvsRangeLookupRule(KeyValueStorePtr kvs, LookupKeyPtr key);
/// Sets tag `tag` to the value found (empty when none) and goes on, as dnsdist.
ActionPtr kvsLookupAction(KeyValueStorePtr kvs, LookupKeyPtr key, std::string tag);
ActionPtr kvsRangeLookupAction(KeyValueStorePtr kvs, LookupKeyPtr key, std::string tag);

}  // namespace ballast::core::rules
