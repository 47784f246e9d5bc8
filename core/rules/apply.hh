// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Running the chains: the hooks the pipeline calls for queries, responses from backends,
/// self-answered responses and cache hits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/rules/rule.hh"

namespace ballast::core {
struct Destination;
struct GlobalStats;
}  // namespace ballast::core

namespace ballast::core::rules {

/// Records the parsed query in the ring buffer, applies the dynamic blocks, then runs the
/// query rules. Returns None (forward it, to q.poolName), Drop
/// or Answer (q.packet holds the answer; the self-answered response rules have run on it
/// and may have turned it into a Drop). Counts rule-drop and rule-* as dnsdist.
Verdict processQueryRules(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats);

/// Runs `chain` on a response in packet[0..len) for the client `d`. False: drop it. The
/// packet may be edited in place (TTLs). An unparsable response passes untouched. `tags`:
/// the query's tags when known (self-answered), else the chain starts with none.
bool processResponseChain(const ResponseChain& chain, uint8_t* packet, size_t& len, size_t capacity,
                          Destination& d, const RuntimeConfig& cfg, int64_t nowUsec,
                          bool* skipCacheInsert = nullptr,
                          std::vector<std::pair<std::string, std::string>>* tags = nullptr);

/// For the packet cache: the cache-hit response rules on an answer taken from the cache,
/// before it is sent. False: drop it.
bool processCacheHitResponse(uint8_t* packet, size_t& len, size_t capacity, Destination& d,
                             const RuntimeConfig& cfg, int64_t nowUsec,
                             std::vector<std::pair<std::string, std::string>>* tags = nullptr);

/// The first rule of `chain` whose selector matches, counted; chain.size() when none does.
template <typename Chain>
size_t firstMatch(const Chain& chain, size_t from, const DQ& dq) {
  for (size_t i = from; i < chain.size(); ++i) {
    if (chain[i]->selector->matches(dq)) {
      chain[i]->matches.inc();
      return i;
    }
  }
  return chain.size();
}

}  // namespace ballast::core::rules
