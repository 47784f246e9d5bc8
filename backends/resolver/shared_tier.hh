// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The record cache's second level in the shared tier (Redis, tier/redis_tier.hh), so that
/// every resolver of every ballast process shares the RRsets and negative entries any of
/// them resolved. Shared at the level of record cache entries, keyed by (schema, DNSSEC
/// data or not, name, type, class); the value is the entry as the cache file keeps it
/// (cache_file.hh) with its insertion time and TTL. Lookups are awaited by the resolution's
/// coroutine: the tier's thread completes them by waking the instance's loop (SharedMailbox),
/// so a resolution waits, never the loop, and never past the tier's budget.
#include <event2/event.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backends/resolver/cache_file.hh"
#include "backends/resolver/event_loop.hh"
#include "backends/resolver/record_cache.hh"
#include "core/cache_tier.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver {

/// The value format's version, also in every key: two versions never read each other's.
constexpr uint8_t kSharedSchema = 1;

/// The record cache's key of (name, type): the lowercased wire name, then the type.
std::string cacheKeyOf(const dns::Name& name, uint16_t type);
/// The tier's key for a record cache key: `ballast:rc1:s:www.example.:1:1` (schema; `s`
/// when the data was asked with DO and carries its RRSIGs, `p` when not (dnssec="off"),
/// so unsigned copies never reach a validating resolver; name; type; class IN).
std::string sharedKey(std::string_view cacheKey, bool dnssecData);

/// "BLRC", schema, insertion time (wall clock, seconds), TTL, the entry (appendCacheEntry),
/// then an FNV-1a-64 checksum over everything before it.
std::vector<uint8_t> encodeSharedValue(const RecordCache::EntryView& e, uint64_t insertedUnix);

enum class SharedRead : uint8_t { Ok, Expired, Corrupt };
/// Reads a value found under the key of `cacheKey`. Corrupt: anything not written by
/// encodeSharedValue of this schema for this very entry (damaged, truncated, another
/// program or version, the entry of another name or type). Expired: its TTL ran out since
/// it was inserted. Ok: `out` holds the entry, its TTL what is left of it.
SharedRead decodeSharedValue(std::span<const uint8_t> bytes, std::string_view cacheKey,
                             uint64_t nowUnix, LoadedEntry& out);

/// One lookup in flight: filled on the tier's thread, then handed to the instance's loop.
struct SharedFetch {
  std::vector<std::string> cacheKeys;  ///< what each key asked for must hold
  // Written by the tier's thread before it posts the fetch, read by the loop after.
  std::vector<LoadedEntry> found;
  size_t corrupt = 0;
  bool failed = false;
  // Loop thread only.
  bool done = false;
  EventLoop::Baton baton;
};

/// Where the tier's thread leaves an instance loop's finished lookups: a queue and an
/// eventfd watched by the loop, which marks each fetch done and wakes its resolution.
/// Made and destroyed on the loop's thread, with the loop; the queue outlives it while
/// lookups are out (a late one lands in a queue nobody reads).
class SharedMailbox {
 public:
  explicit SharedMailbox(EventLoop& loop);
  ~SharedMailbox();
  SharedMailbox(const SharedMailbox&) = delete;
  SharedMailbox& operator=(const SharedMailbox&) = delete;
  /// Asks `tier` for `keys` (the tier's keys of f->cacheKeys); the caller then awaits
  /// `loop.wait(f->baton, budget)` and finds f->done set if the answer came in time.
  void lookup(core::KeyValueTier& tier, std::vector<std::string> keys,
              std::shared_ptr<SharedFetch> f);

 private:
  struct Box {
    std::mutex mutex;
    std::vector<std::shared_ptr<SharedFetch>> done;  ///< under mutex
    int fd = -1;
    ~Box();
    void post(std::shared_ptr<SharedFetch> f);
  };
  static void onWake(evutil_socket_t fd, short, void* self);
  std::shared_ptr<Box> box_;
  event* event_ = nullptr;
};

}  // namespace ballast::backends::resolver
