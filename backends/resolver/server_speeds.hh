// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Smoothed round-trip times per server address, shared by a resolver's instances
/// (PowerDNS's NSSpeeds): servers are tried fastest first, unknown ones look fast so they
/// get measured, a timeout counts as a long round trip, and old figures decay towards
/// "unknown" so a server that was slow once is tried again later. Time is passed in.
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/address.hh"

namespace ballast::backends::resolver {

class ServerSpeeds {
 public:
  static constexpr size_t kShards = 16;

  /// A measured answer after `rttUsec`.
  void recordAnswer(const core::Address& a, int64_t rttUsec, int64_t nowUsec);
  /// No answer within the timeout: the estimate doubles (at least `timeoutUsec`), up to 10 s.
  void recordTimeout(const core::Address& a, int64_t timeoutUsec, int64_t nowUsec);
  /// The current estimate in microseconds, 0 for a server never measured.
  int64_t estimate(const core::Address& a, int64_t nowUsec) const;
  /// The server answered FORMERR to EDNS: query it without EDNS from now on.
  void setNoEdns(const core::Address& a);
  bool noEdns(const core::Address& a) const;

  /// Orders `servers` fastest first; with probability `explorePercent`/100 (drawn from
  /// `random`) the first two swap, so a slightly slower server keeps being measured.
  void order(std::vector<core::Address>& servers, int64_t nowUsec, uint32_t random,
             uint32_t explorePercent = 5) const;

 private:
  struct Entry {
    int64_t srttUsec = 0;
    int64_t updatedUsec = 0;
    bool noEdns = false;
  };
  struct KeyHash {
    size_t operator()(const core::Address& a) const;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<core::Address, Entry, KeyHash> map;
  };
  Shard& shardOf(const core::Address& a) const { return shards_[KeyHash{}(a) % kShards]; }
  static int64_t decayed(const Entry& e, int64_t nowUsec);

  mutable Shard shards_[kShards];
};

}  // namespace ballast::backends::resolver
