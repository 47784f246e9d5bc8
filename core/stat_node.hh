// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// A tree of query names by label, from the root down, with per-node counts of responses
/// (dnsdist's StatNode): what statNodeRespRing and DynBlockRulesGroup:setSuffixMatchRule
/// hand their Lua visitors.
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "dns/name.hh"

namespace ballast::core {

struct StatNodeStats {
  uint64_t queries = 0, noerrors = 0, nxdomains = 0, servfails = 0, drops = 0, bytes = 0;
  StatNodeStats& operator+=(const StatNodeStats& o);
};

class StatNode {
 public:
  /// Counts one response for `name` at the node of its full name; `rcode` < 0 counts a drop.
  /// Creates the nodes of every suffix on the way (com., example.com., www.example.com.).
  void submit(const dns::Name& name, int rcode, unsigned bytes);

  /// Calls visitor(node, its own counts, its counts plus those of everything below) for
  /// every node, children before their parent, the root (empty fullname) last. Returns the
  /// root's total.
  using Visitor =
      std::function<void(const StatNode&, const StatNodeStats& self, const StatNodeStats& all)>;
  StatNodeStats visit(const Visitor& visitor) const;

  bool empty() const { return children_.empty(); }
  size_t numChildren() const { return children_.size(); }
  const std::string& fullname() const { return fullname_; }
  unsigned labelsCount() const { return labelsCount_; }
  const StatNodeStats& stats() const { return self_; }

 private:
  std::string fullname_;  ///< "www.example.com." as first seen; empty for the root
  unsigned labelsCount_ = 0;
  StatNodeStats self_;
  std::map<std::string, StatNode> children_;  ///< by lowercase label text
};

}  // namespace ballast::core
