// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The shared cache tier on Redis (core::CacheTier): one thread per tier with its own
/// libevent loop and one pipelined connection (tier/redis_link.hh: plain or TLS, found
/// through Redis Sentinel when configured so). Query threads only
/// queue work and write an eventfd; nothing here ever blocks them. A lookup has a time
/// budget: whichever comes first, the reply or the budget, resumes the query (a late reply
/// is ignored). A circuit breaker stops asking after consecutive failures and lets
/// lookups through again once its open period is over; the connection is retried every
/// half second while Redis is away. Writes are dropped (counted) when too many wait.
#include <event2/event.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/cache_tier.hh"
#include "core/runtime.hh"
#include "core/udp_sender.hh"
#include "metrics/counter.hh"
#include "metrics/latency.hh"
#include "metrics/registry.hh"
#include "tier/breaker.hh"
#include "tier/redis_link.hh"
#include "tier/redis_settings.hh"

namespace ballast::tier {

/// The figures of every Redis tier of the process (redis-* statistics).
struct RedisStats {
  metrics::Counter hits;      ///< lookups that found a usable value
  metrics::Counter misses;    ///< lookups that found nothing
  metrics::Counter errors;    ///< lookups failed: error reply, disconnection, budget
  metrics::Counter timeouts;  ///< of which over the budget
  metrics::Counter corrupt;   ///< values ignored: not ours, damaged, another schema
  metrics::Counter skipped;   ///< lookups not asked: breaker open or not connected
  metrics::Counter writes;
  metrics::Counter writesDropped;   ///< not written: too many waiting, or not connected
  metrics::Counter connectFailures;  ///< connections not made: refused, TLS, AUTH, sentinel
  metrics::LatencyStats latency;    ///< of the lookups answered
  std::atomic<int> breakerOpen{0};  ///< tiers not asking Redis now: breaker open, disconnected
  /// Registers redis-hits, redis-misses, ... once per process.
  static RedisStats& get(metrics::Registry* registry = nullptr);
};

class RedisTier final : public core::CacheTier,
                        public core::KeyValueTier,
                        private RedisLink::Owner {
 public:
  /// Throws std::runtime_error when the TLS files cannot be used.
  RedisTier(RedisSettings s, core::Runtime& rt);
  ~RedisTier() override;
  RedisTier(const RedisTier&) = delete;
  RedisTier& operator=(const RedisTier&) = delete;

  bool usable() const override;
  void countSkipped() override { stats_.skipped.inc(); }
  void lookup(std::unique_ptr<core::ParkedQuery> q) override;
  void store(const core::CacheKey& k, std::span<const uint8_t> answer, uint32_t ttl,
             uint32_t staleWindow) override;
  void get(std::vector<std::string> keys, Done done) override;
  void set(std::string key, std::vector<uint8_t> value, uint64_t expiryMs) override;
  int64_t budgetUsec() const override { return settings_.budgetUsec; }
  std::string describe() const override;
  void stop() override;
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    RedisTier* self = nullptr;
    uint64_t id = 0;
    std::unique_ptr<core::ParkedQuery> query;
    Done raw;  ///< a key-value lookup (get) instead of a parked query
    event* timer = nullptr;
    int64_t startUsec = 0;
  };
  /// A key-value lookup waiting to be sent.
  struct RawLookup {
    std::vector<std::string> keys;
    Done done;
  };
  struct Write {
    std::string rawKey;  ///< set: a key-value write (set), `answer` is the value as it goes
    core::CacheKey key;
    std::vector<uint8_t> answer;
    uint32_t ttl = 0;
    uint64_t expiryMs = 0;
    uint64_t insertedUnix = 0;
  };
  void run();
  /// Starts a connection: to the sentinels first when there are some.
  void connect();
  void askSentinel();
  void openData(const std::string& host, int port);
  /// The data connection is gone or could not be made: not asked until it is back.
  void dataDown(const std::string& why);
  /// A connection attempt failed: counted, logged when the reason changes.
  void problem(const std::string& why);
  void retryLater();
  void linkUp(RedisLink& link) override;
  void linkDown(RedisLink& link, const std::string& why) override;
  bool sendGet(const std::string& key, uint64_t id);
  void takeQueued();
  /// A lookup that came after stop(): sent on to its pool on the caller's thread.
  void resumeNow(std::unique_ptr<core::ParkedQuery> q);
  void ask(std::unique_ptr<core::ParkedQuery> q);
  void askRaw(RawLookup l);
  /// The runtime's configuration, for resuming parked queries; made on first use.
  core::Published<core::RuntimeConfig>::Reader& configReader();
  /// Ends a pending lookup: a parked query is resumed with `found`, a key-value one is
  /// given `reply` (an MGET array; null: failed).
  void finishRaw(uint64_t id, const redisReply* reply);
  void finish(uint64_t id, const core::TierValue* found);
  void failed();
  void succeeded();
  /// Counts this tier in redis-breaker-open while it does not ask Redis.
  void setOpen(bool open);
  static void onWake(evutil_socket_t fd, short, void* self);
  static void onTimeout(evutil_socket_t, short, void* pending);
  static void onReconnect(evutil_socket_t, short, void* self);
  static void onSetup(void* self, uintptr_t step, redisReply* reply);
  static void onSentinel(void* self, uintptr_t, redisReply* reply);
  static void onGet(void* self, uintptr_t id, redisReply* reply);
  static void onSet(void* self, uintptr_t, redisReply* reply);
  /// An error reply that says the server is no longer the primary (sentinel mode).
  void checkReadonly(const redisReply* reply);

  RedisSettings settings_;
  core::Runtime& rt_;
  RedisStats& stats_;
  event_base* base_ = nullptr;
  event* wakeEvent_ = nullptr;
  event* reconnectEvent_ = nullptr;
  int wakeFd_ = -1;
  std::shared_ptr<SSL_CTX> tls_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};  ///< set under queueMutex_
  std::once_flag stopOnce_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> open_{false};
  Breaker breaker_;
  std::atomic<size_t> pendingWrites_{0};

  std::mutex queueMutex_;
  std::vector<std::unique_ptr<core::ParkedQuery>> lookups_;  ///< under queueMutex_
  std::vector<RawLookup> rawLookups_;                        ///< under queueMutex_
  std::vector<Write> writes_;                                ///< under queueMutex_

  // Loop thread only.
  std::unique_ptr<RedisLink> link_;      ///< to Redis
  std::unique_ptr<RedisLink> sentinel_;  ///< to a sentinel, while asking it
  size_t sentinelIndex_ = 0;             ///< the sentinel asked next
  size_t sentinelsAsked_ = 0;            ///< in this round
  std::string lastProblem_;
  uint64_t nextId_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Pending>> pending_;
  std::unique_ptr<core::Published<core::RuntimeConfig>::Reader> config_;
  core::UdpSender sender_;
};

}  // namespace ballast::tier
