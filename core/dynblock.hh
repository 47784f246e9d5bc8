// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Dynamic blocks: client networks, or query names and everything below them, stopped for
/// a while (dnsdist's addDynBlocks and DynBlockRulesGroup). The table is immutable and lives in the
/// runtime snapshot; adding or expiring blocks publishes a new one. The query path does one hash
/// lookup per distinct prefix length in the table, and nothing at all when it is empty.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/address.hh"
#include "dns/name.hh"
#include "metrics/counter.hh"

namespace ballast::core {

/// What a block does to a query (dnsdist's DNSAction values accepted by dynamic blocks).
enum class DynBlockAction : uint8_t { Drop, Refused, NXDomain, Truncate, NoOp };

const char* dynBlockActionName(DynBlockAction a);

struct DynBlock {
  std::string network;  ///< "192.0.2.0/24", or the name of a name block, as shown
  std::string reason;
  int64_t untilUsec = 0;  ///< monotonic
  DynBlockAction action = DynBlockAction::Drop;
  bool warning = false;  ///< over the warning rate only: counted, not acted on
  mutable metrics::Counter blocks;
};

class DynBlockTable {
 public:
  /// The block covering `a` that is still active at `nowUsec`, most specific first; null if
  /// none.
  const DynBlock* find(const Address& a, int64_t nowUsec) const;
  /// The block of `qname` or of its closest blocked parent still active at `nowUsec`.
  const DynBlock* findName(const dns::Name& qname, int64_t nowUsec) const;
  bool empty() const { return byPrefix_.empty() && byName_.empty(); }
  bool hasNames() const { return !byName_.empty(); }
  /// A copy with `a`/`bits` blocked (replacing a block of the same network that ends
  /// sooner) and the blocks expired at `nowUsec` left out.
  std::shared_ptr<const DynBlockTable> with(const std::vector<std::pair<Address, int>>& nets,
                                            const std::string& reason, int64_t untilUsec,
                                            DynBlockAction action, bool warning,
                                            int64_t nowUsec) const;
  /// A copy with each name of `names` blocked (a name's own reason, or `reason` when it is
  /// empty), a block that ends later left as it is, and the blocks expired at `nowUsec` left
  /// out.
  std::shared_ptr<const DynBlockTable> withNames(
      const std::vector<std::pair<dns::Name, std::string>>& names, const std::string& reason,
      int64_t untilUsec, DynBlockAction action, int64_t nowUsec) const;
  /// A copy without the blocks expired at `nowUsec`, or null when none has expired.
  std::shared_ptr<const DynBlockTable> withoutExpired(int64_t nowUsec) const;
  /// How many networks are blocked (expired ones included until the next clean-up).
  size_t size() const;
  /// How many names are blocked (likewise).
  size_t nameCount() const { return byName_.size(); }
  /// Every block, for showDynBlocks: networks, then names.
  std::vector<std::shared_ptr<const DynBlock>> all() const;

  /// The network of `a` with `bits` kept (the rest zeroed), and a family tag.
  struct Key {
    std::array<uint8_t, 17> b{};
    bool operator==(const Key&) const = default;
  };
  static Key makeKey(const Address& a, int bits);

 private:
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  using Map = std::unordered_map<Key, std::shared_ptr<const DynBlock>, KeyHash>;
  /// prefix length (+ 256 for IPv6) -> blocks of that length, longest first
  std::vector<std::pair<int, Map>> byPrefix_;
  /// lowercase name -> its block
  std::unordered_map<dns::Name, std::shared_ptr<const DynBlock>, dns::NameHash> byName_;
  Map& mapFor(int tag);
  /// A copy with only the blocks still active at `nowUsec`.
  std::shared_ptr<DynBlockTable> active(int64_t nowUsec) const;
};

}  // namespace ballast::core
