// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/cache_file.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "core/clock.hh"
#include "core/log.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver {

namespace {

constexpr char kMagic[8] = {'B', 'L', 'S', 'T', 'R', 'C', 'C', 'H'};
/// 2 adds each entry's RRSIGs and proof records (DNSSEC); version 1 files still load.
constexpr uint32_t kVersion = 2;
/// magic, version, reserved, saved-at, count, payload length, checksum.
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8 + 8 + 8 + 8;
constexpr size_t kChecksumOffset = kHeaderSize - 8;

/// FNV-1a, 64 bits: enough to catch truncation, bit rot and a half-copied file. It is not a
/// defence against someone who can write the file: whoever can do that owns the config too.
uint64_t fnv1a(uint64_t h, std::span<const uint8_t> data) {
  for (uint8_t b : data) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ULL;

void putBe(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(char(uint8_t(v >> (8 * i))));
}

int64_t wallNow() {
  return int64_t(std::time(nullptr));
}
int64_t monoNow() {
  return core::monotonicUsec() / 1000000;
}

/// Reads big-endian fields from a span; any read past the end marks it failed.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> d) : d_(d) {}
  uint64_t num(int bytes) {
    if (size_t(bytes) > d_.size() - pos_) throw std::runtime_error("truncated entry");
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | d_[pos_++];
    return v;
  }
  std::span<const uint8_t> bytes(size_t n) {
    if (n > d_.size() - pos_) throw std::runtime_error("truncated entry");
    auto s = d_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  bool atEnd() const { return pos_ == d_.size(); }
  size_t pos() const { return pos_; }

 private:
  std::span<const uint8_t> d_;
  size_t pos_ = 0;
};

/// A name that must fill `wire` exactly, in lower case when `lower`.
dns::Name exactName(std::span<const uint8_t> wire, bool lower) {
  dns::Name n = dns::Name::fromWire(wire);  // throws std::invalid_argument
  if (n.wireLength() != wire.size()) throw std::runtime_error("name with trailing bytes");
  if (lower) {
    dns::Name lowered = n.toLower();  // kept alive: wire() is a view into it
    auto l = lowered.wire();
    if (!std::equal(l.begin(), l.end(), wire.begin()))
      throw std::runtime_error("key not lower case");
  }
  return n;
}

Record readRecord(Reader& r) {
  Record rec;
  rec.owner = exactName(r.bytes(r.num(1)), false);
  rec.type = uint16_t(r.num(2));
  rec.ttl = uint32_t(r.num(4));
  auto rd = r.bytes(r.num(2));
  rec.rdata.assign(rd.begin(), rd.end());
  return rec;
}

void appendRecord(std::string& out, const Record& rec) {
  auto w = rec.owner.wire();
  putBe(out, w.size(), 1);
  out.append(reinterpret_cast<const char*>(w.data()), w.size());
  putBe(out, rec.type, 2);
  putBe(out, rec.ttl, 4);
  putBe(out, rec.rdata.size(), 2);
  out.append(reinterpret_cast<const char*>(rec.rdata.data()), rec.rdata.size());
}

/// Version 2: the RRSIG RDATAs, then the proof records (NSEC, NSEC3, RRSIG only).
void readSignatures(Reader& r, Signatures& sigs) {
  for (size_t i = 0, n = r.num(2); i < n; ++i) {
    auto rd = r.bytes(r.num(2));
    sigs.rrsigs.emplace_back(rd.begin(), rd.end());
  }
  for (size_t i = 0, n = r.num(2); i < n; ++i) {
    Record rec = readRecord(r);
    if (rec.type != dns::qtype::NSEC && rec.type != dns::qtype::NSEC3 &&
        rec.type != dns::qtype::RRSIG)
      throw std::runtime_error("proof record of a wrong type");
    sigs.proofs.push_back(std::move(rec));
  }
}

LoadedEntry readEntry(Reader& r, uint64_t version) {
  LoadedEntry e;
  auto key = r.bytes(r.num(2));
  if (key.size() < 3) throw std::runtime_error("key too short");
  exactName(key.first(key.size() - 2), true);
  uint16_t type = uint16_t((key[key.size() - 2] << 8) | key[key.size() - 1]);
  e.key.assign(reinterpret_cast<const char*>(key.data()), key.size());
  uint64_t kind = r.num(1), rank = r.num(1);
  if (kind > uint64_t(EntryKind::NoData)) throw std::runtime_error("bad entry kind");
  if (rank < uint64_t(Rank::Glue) || rank > uint64_t(Rank::AuthAnswer))
    throw std::runtime_error("bad rank");
  e.kind = EntryKind(kind);
  e.rank = Rank(rank);
  e.ttl = uint32_t(r.num(4));
  size_t n = r.num(2);
  for (size_t i = 0; i < n; ++i) {
    auto rd = r.bytes(r.num(2));
    e.rdatas.emplace_back(rd.begin(), rd.end());
  }
  if (r.num(1)) e.soa = readRecord(r);
  if (version >= 2) readSignatures(r, e.sigs);
  bool positive = e.kind == EntryKind::Positive;
  if (positive == e.rdatas.empty()) throw std::runtime_error("RDATA does not match entry kind");
  if (positive && e.soa) throw std::runtime_error("SOA on a positive entry");
  if ((e.kind == EntryKind::NxDomain) != (type == RecordCache::kNxType))
    throw std::runtime_error("NXDOMAIN entry with a type");
  return e;
}

void writeAll(int fd, const std::string& buf, const std::string& path) {
  size_t off = 0;
  while (off < buf.size()) {
    ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(fmt::format("writing {}: {}", path, strerror(errno)));
    off += size_t(n);
  }
}

}  // namespace

void appendCacheEntry(std::string& out, const RecordCache::EntryView& e) {
  putBe(out, e.key.size(), 2);
  out.append(e.key);
  putBe(out, uint8_t(e.kind), 1);
  putBe(out, uint8_t(e.rank), 1);
  putBe(out, e.ttl, 4);
  putBe(out, e.rdatas.size(), 2);
  for (const auto& rd : e.rdatas) {
    putBe(out, rd.size(), 2);
    out.append(reinterpret_cast<const char*>(rd.data()), rd.size());
  }
  putBe(out, e.soa ? 1 : 0, 1);
  if (e.soa) appendRecord(out, *e.soa);
  // Verdicts are not saved: a loaded entry is validated again (its signatures may have
  // expired meanwhile, and the file is not a trust anchor).
  static const Signatures kNone;
  const Signatures& sigs = e.sigs ? *e.sigs : kNone;
  putBe(out, sigs.rrsigs.size(), 2);
  for (const auto& rd : sigs.rrsigs) {
    putBe(out, rd.size(), 2);
    out.append(reinterpret_cast<const char*>(rd.data()), rd.size());
  }
  putBe(out, sigs.proofs.size(), 2);
  for (const auto& rec : sigs.proofs) appendRecord(out, rec);
}

LoadedEntry readCacheEntry(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  LoadedEntry e = readEntry(r, kVersion);
  if (!r.atEnd()) throw std::runtime_error("bytes after the entry");
  return e;
}

namespace {

/// The header, its checksum continuing `payloadSum` (the FNV state after the payload).
std::string headerFor(uint64_t count, uint64_t payloadLen, uint64_t payloadSum, int64_t savedAt) {
  std::string header(kMagic, sizeof kMagic);
  putBe(header, kVersion, 4);
  putBe(header, 0, 4);
  putBe(header, uint64_t(savedAt), 8);
  putBe(header, count, 8);
  putBe(header, payloadLen, 8);
  uint64_t sum =
      fnv1a(payloadSum, {reinterpret_cast<const uint8_t*>(header.data()), header.size()});
  putBe(header, sum, 8);
  return header;
}

}  // namespace

std::vector<uint8_t> cacheFileHeader(uint64_t count, std::span<const uint8_t> payload,
                                     int64_t savedAtSec) {
  std::string h = headerFor(count, payload.size(), fnv1a(kFnvBasis, payload), savedAtSec);
  return {h.begin(), h.end()};
}

std::optional<std::string> parseCacheFile(std::span<const uint8_t> data, int64_t wallNowSec,
                                          std::vector<LoadedEntry>& out) {
  if (data.size() < kHeaderSize) return "truncated header";
  if (std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return "not a ballast cache file";
  Reader h(data.first(kHeaderSize).subspan(8));
  uint64_t version = h.num(4);
  h.num(4);
  int64_t savedAt = int64_t(h.num(8));
  uint64_t count = h.num(8), payloadLen = h.num(8), checksum = h.num(8);
  if (version < 1 || version > kVersion) return fmt::format("unsupported version {}", version);
  if (payloadLen != data.size() - kHeaderSize)
    return fmt::format("truncated or padded: header says {} bytes of entries, file has {}",
                       payloadLen, data.size() - kHeaderSize);
  auto payload = data.subspan(kHeaderSize);
  uint64_t sum = fnv1a(fnv1a(kFnvBasis, payload), data.first(kChecksumOffset));
  if (sum != checksum) return "checksum mismatch";
  int64_t age = std::max<int64_t>(0, wallNowSec - savedAt);
  Reader r(payload);
  try {
    for (uint64_t i = 0; i < count; ++i) {
      size_t at = r.pos();
      LoadedEntry e;
      try {
        e = readEntry(r, version);
      } catch (const std::exception& ex) {
        return fmt::format("entry {} at byte {}: {}", i, kHeaderSize + at, ex.what());
      }
      if (int64_t(e.ttl) <= age) continue;
      e.ttl = uint32_t(e.ttl - age);
      out.push_back(std::move(e));
    }
  } catch (const std::exception& ex) {
    return ex.what();
  }
  if (!r.atEnd()) return "bytes after the last entry";
  return std::nullopt;
}

size_t saveCacheFile(const RecordCache& cache, const std::string& path) {
  std::string tmp = fmt::format("{}.tmp.{}", path, getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error(fmt::format("creating {}: {}", tmp, strerror(errno)));
  size_t count = 0;
  uint64_t payloadLen = 0, sum = kFnvBasis;
  try {
    writeAll(fd, std::string(kHeaderSize, '\0'), tmp);  // filled in at the end
    // Serialised to memory first (the file's size, transiently): shard locks are then held
    // only while copying, never across disk writes.
    std::string buf;
    cache.forEachLive(monoNow(), [&](const RecordCache::EntryView& e) {
      appendCacheEntry(buf, e);
      ++count;
    });
    sum = fnv1a(sum, {reinterpret_cast<const uint8_t*>(buf.data()), buf.size()});
    payloadLen = buf.size();
    writeAll(fd, buf, tmp);
    std::string header = headerFor(count, payloadLen, sum, wallNow());
    if (::lseek(fd, 0, SEEK_SET) != 0)
      throw std::runtime_error(fmt::format("seeking {}: {}", tmp, strerror(errno)));
    writeAll(fd, header, tmp);
    if (::fsync(fd) != 0)
      throw std::runtime_error(fmt::format("syncing {}: {}", tmp, strerror(errno)));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("renaming {} to {}: {}", tmp, path, strerror(err)));
  }
  return count;
}

LoadResult loadCacheFile(RecordCache& cache, const std::string& path) {
  LoadResult res;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) res.error = fmt::format("opening {}: {}", path, strerror(errno));
    return res;
  }
  std::vector<uint8_t> data;
  uint8_t chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      res.error = fmt::format("reading {}: {}", path, strerror(errno));
      ::close(fd);
      return res;
    }
    if (n == 0) break;
    data.insert(data.end(), chunk, chunk + n);
  }
  ::close(fd);
  std::vector<LoadedEntry> entries;
  if (auto err = parseCacheFile(data, wallNow(), entries)) {
    res.error = *err;
    return res;
  }
  int64_t now = monoNow();
  for (auto& e : entries)
    cache.restore(e.key, e.kind, e.rank, e.ttl, std::move(e.rdatas), std::move(e.soa), now,
                  std::move(e.sigs));
  res.entries = entries.size();
  return res;
}

CacheFileKeeper::CacheFileKeeper(const RecordCache& cache, std::string path, int64_t intervalSec,
                                 std::string label)
    : cache_(cache), path_(std::move(path)), intervalSec_(intervalSec), label_(std::move(label)) {}

CacheFileKeeper::~CacheFileKeeper() {
  // No save here: a process that never started (--check-config, a start-up error) must not
  // overwrite a good file.
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CacheFileKeeper::start() {
  if (intervalSec_ <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::seconds(intervalSec_), [this] { return stopping_; })) {
      lock.unlock();
      saveNow(false);
      lock.lock();
    }
  });
}

void CacheFileKeeper::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  saveNow(true);
}

bool CacheFileKeeper::saveNow(bool loud) {
  try {
    size_t n = saveCacheFile(cache_, path_);
    // The periodic saves only in verbose mode; the last one always (an operator checks it).
    if (loud)
      core::warnLog("resolver {}: {} cache entries saved to {}", label_, n, path_);
    else
      core::infoLog("resolver {}: {} cache entries saved to {}", label_, n, path_);
    return true;
  } catch (const std::exception& e) {
    core::warnLog("resolver {}: cannot save the cache to {}: {}", label_, path_, e.what());
    return false;
  }
}

}  // namespace ballast::backends::resolver
