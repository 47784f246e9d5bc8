// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Where the tier's Redis is and how the tier behaves: the URL of newPacketCache's `redis`
/// option and the redis* options.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tier/redis_link.hh"

namespace ballast::tier {

struct RedisEndpoint {
  std::string host;
  int port = 0;
};

struct RedisSettings {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user;  ///< sent as `AUTH user password` (Redis 6 ACL) when set
  std::string password;
  RedisTls tls;
  /// Redis Sentinel: the sentinels asked, in order, for the address of `masterName`.
  std::vector<RedisEndpoint> sentinels;
  std::string masterName;
  int64_t budgetUsec = 5000;  ///< a lookup's time budget
  size_t maxPendingWrites = 10000;
  int failuresToOpen = 3;      ///< failures (and at least half the lookups) in a second
  int64_t openUsec = 1000000;  ///< how long it stays open before lookups are let through
  int64_t reconnectUsec = 500000;
  int64_t connectTimeoutUsec = 2000000;  ///< TCP, TLS handshake and a sentinel's answer
};

/// Parses a tier URL into `s`; throws std::invalid_argument with the reason:
///   redis://[[user]:password@]host[:port][/db]            (rediss:// for TLS)
///   redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/master[/db]
///                                                         (rediss-sentinel:// for TLS)
/// Redis Cluster URLs are refused: hiredis 0.14 has no cluster client.
void parseRedisUrl(const std::string& url, RedisSettings& s);

}  // namespace ballast::tier
