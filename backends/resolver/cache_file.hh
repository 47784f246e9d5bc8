// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The record cache on disk (setResolverCacheFile), so that a restarted process starts warm.
/// Written whole to a temporary file then renamed over the old one (a reader sees the old
/// file or the new one, never half of one); a header with magic, version, entry count,
/// payload length and a checksum over the payload. Loading is all or nothing: a truncated,
/// corrupt or inconsistent file is reported and none of it enters the cache.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "backends/resolver/record_cache.hh"

namespace ballast::backends::resolver {

/// One entry read from a file, validated, TTL already reduced by the time since the save.
struct LoadedEntry {
  std::string key;
  EntryKind kind = EntryKind::Positive;
  Rank rank = Rank::Glue;
  uint32_t ttl = 0;
  std::vector<std::vector<uint8_t>> rdatas;
  std::optional<Record> soa;
  Signatures sigs;  ///< version 2: RRSIGs and proofs (validated again once loaded)
};

/// One entry as a version 2 file keeps it (key, kind, rank, TTL, RDATAs, SOA, RRSIGs,
/// proofs): also the value of the shared tier (shared_tier.hh), so there is one serialisation.
void appendCacheEntry(std::string& out, const RecordCache::EntryView& e);
/// Reads exactly one entry written by appendCacheEntry, checked as a file's entries are
/// (names, kind, rank, RDATA against kind); throws std::exception with the reason.
LoadedEntry readCacheEntry(std::span<const uint8_t> bytes);

/// Parses a whole cache file image. Returns the reason on any defect (and `out` is then
/// meaningless). `wallNowSec` is the wall-clock time used to age the saved TTLs; entries
/// that expired since the save are skipped.
std::optional<std::string> parseCacheFile(std::span<const uint8_t> data, int64_t wallNowSec,
                                          std::vector<LoadedEntry>& out);

/// The header of a file holding `count` entries serialised in `payload`, saved at
/// `savedAtSec` (wall clock): for tests and the fuzz target, which need valid checksums.
std::vector<uint8_t> cacheFileHeader(uint64_t count, std::span<const uint8_t> payload,
                                     int64_t savedAtSec);

/// Writes the live entries of `cache` to `path` atomically. Returns the number written;
/// throws std::runtime_error with the reason if the file cannot be written.
size_t saveCacheFile(const RecordCache& cache, const std::string& path);

/// Reads `path` into `cache`. Returns the number of entries restored, or the reason the
/// file was rejected. A missing file is not an error (0 entries).
struct LoadResult {
  size_t entries = 0;
  std::optional<std::string> error;
};
LoadResult loadCacheFile(RecordCache& cache, const std::string& path);

/// Saves a cache every `intervalSec` on its own thread (so no instance loop blocks on disk),
/// and once more on stop(). Destroyed without stop(), it writes nothing more.
class CacheFileKeeper {
 public:
  CacheFileKeeper(const RecordCache& cache, std::string path, int64_t intervalSec,
                  std::string label);
  ~CacheFileKeeper();
  void start();
  /// Stops the thread and writes the file a last time; idempotent.
  void stop();
  const std::string& path() const { return path_; }
  /// Writes now and logs the outcome (success only in verbose mode unless `loud`); returns
  /// false on failure.
  bool saveNow(bool loud);

 private:
  const RecordCache& cache_;
  std::string path_;
  int64_t intervalSec_;
  std::string label_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace ballast::backends::resolver
