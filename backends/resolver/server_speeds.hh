// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Smoothed round-trip times per server address, shared by a resolver's instances: servers
/// are tried fastest first; an unknown server counts as kUnknownUsec, so a known-good one
/// goes before it and a slow or silent one after it; a timeout counts as a long round trip
/// (worse than unknown); old figures decay towards "unknown" so a server that was slow once
/// is tried again later. Also remembers lame servers per zone for a while. Time is passed in.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/address.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver {

class ServerSpeeds {
 public:
  static constexpr size_t kShards = 16;
  /// What a server never measured counts as when ordering (unbound starts at 376 ms).
  static constexpr int64_t kUnknownUsec = 376'000;
  /// How long a server stays lame for a zone (REFUSED, no authority, upward referral).
  static constexpr int64_t kLameUsec = 600'000'000;

  /// A measured answer after `rttUsec`.
  void recordAnswer(const core::Address& a, int64_t rttUsec, int64_t nowUsec);
  /// No answer within the timeout: the estimate doubles (at least `timeoutUsec` and twice
  /// kUnknownUsec: a silent server is worse than an unknown one), up to 10 s.
  void recordTimeout(const core::Address& a, int64_t timeoutUsec, int64_t nowUsec);
  /// The current estimate in microseconds, 0 for a server never measured.
  int64_t estimate(const core::Address& a, int64_t nowUsec) const;
  /// The server answered FORMERR to EDNS: query it without EDNS from now on.
  void setNoEdns(const core::Address& a);
  bool noEdns(const core::Address& a) const;

  /// How long to wait for `a` before asking the next server as well, given the longest
  /// wait `maxUsec`: twice the estimate plus 10 ms, or a quarter of the maximum for a server
  /// never measured; doubled for each earlier round over the zone's servers (back-off).
  int64_t retransmitAfter(const core::Address& a, int64_t nowUsec, int64_t maxUsec,
                          int round) const;
  /// Remembers that `a` is lame for `zone` (kLameUsec).
  void markLame(const core::Address& a, const dns::Name& zone, int64_t nowUsec);
  bool isLame(const core::Address& a, const dns::Name& zone, int64_t nowUsec) const;

  /// Orders `servers` fastest first (unknown ones as kUnknownUsec); with probability
  /// `explorePercent`/100 (drawn from `random`) the first two swap, so a slightly slower server
  /// keeps being measured.
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
  mutable std::mutex lameMutex_;
  std::unordered_map<std::string, int64_t> lame_;  ///< address bytes, port, zone -> until
};

}  // namespace ballast::backends::resolver
