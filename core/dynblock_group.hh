// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// dnsdist's DynBlockRulesGroup: thresholds over the ring buffers (query rate, rcode rate
/// and ratio, qtype rate, response bytes) that block the client networks exceeding them.
/// apply() is called from the configuration's maintenance() with the time passed in, so
/// tests drive it with their own clock.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/dynblock.hh"
#include "core/netmask.hh"
#include "core/rings.hh"
#include "core/stat_node.hh"

namespace ballast::core {

struct DynBlockRate {
  double rate = 0;  ///< per second, averaged over `seconds`; for ratios, the ratio (0-1)
  int seconds = 10;
  std::string reason;
  int blockSeconds = 10;
  DynBlockAction action = DynBlockAction::Drop;
  double warningRate = 0;   ///< 0: no warning level
  size_t minResponses = 0;  ///< ratios: responses needed before the ratio counts
};

/// A block to add: the network, and why.
struct DynBlockDecision {
  Address network;
  int bits = 32;
  const DynBlockRate* rule = nullptr;
  bool warning = false;
  uint64_t count = 0;
};

class DynBlockGroup {
 public:
  void setQueryRate(DynBlockRate r) { queryRate_ = std::move(r); }
  void setRCodeRate(uint8_t rcode, DynBlockRate r) { rcodeRate_[rcode] = std::move(r); }
  void setRCodeRatio(uint8_t rcode, DynBlockRate r) { rcodeRatio_[rcode] = std::move(r); }
  void setQTypeRate(uint16_t qtype, DynBlockRate r) { qtypeRate_[qtype] = std::move(r); }
  void setResponseByteRate(DynBlockRate r) { byteRate_ = std::move(r); }
  void setMasks(int v4, int v6) {
    v4Bits_ = v4;
    v6Bits_ = v6;
  }
  /// setSuffixMatchRule: the responses of the last `r.seconds` go into a StatNode tree whose
  /// nodes a visitor (Lua, outside core/) picks to block by name; `r.rate` is unused.
  void setSuffixMatchRule(DynBlockRate r) { suffixRule_ = std::move(r); }
  const std::optional<DynBlockRate>& suffixMatchRule() const { return suffixRule_; }
  /// The tree of the suffix match rule's window (empty without the rule).
  StatNode suffixTree(const Rings& rings, int64_t nowUsec) const;
  /// No name block is ever added for `name` or a name below it.
  void excludeDomain(const dns::Name& name) { excludedDomains_.push_back(name); }
  bool domainExcluded(const dns::Name& name) const;
  void excludeRange(const std::string& mask) { excluded_.add(mask); }
  void includeRange(const std::string& mask) { included_.add(mask); }

  /// The networks over a threshold in `rings` at `nowUsec`.
  std::vector<DynBlockDecision> evaluate(const Rings& rings, int64_t nowUsec) const;
  /// `table` with the decisions added (blocks end at now + blockSeconds).
  static std::shared_ptr<const DynBlockTable> applyDecisions(const DynBlockTable& table,
                                                             const std::vector<DynBlockDecision>& d,
                                                             int64_t nowUsec);
  std::string describe() const;

 private:
  bool excluded(const Address& a) const;
  int bitsFor(const Address& a) const { return a.isV4() ? v4Bits_ : v6Bits_; }

  std::optional<DynBlockRate> queryRate_;
  std::map<uint8_t, DynBlockRate> rcodeRate_;
  std::map<uint8_t, DynBlockRate> rcodeRatio_;
  std::map<uint16_t, DynBlockRate> qtypeRate_;
  std::optional<DynBlockRate> byteRate_;
  std::optional<DynBlockRate> suffixRule_;
  std::vector<dns::Name> excludedDomains_;
  int v4Bits_ = 32;
  int v6Bits_ = 128;
  NetmaskGroup excluded_;
  NetmaskGroup included_;
};

}  // namespace ballast::core
