// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/shared_tier.hh"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "core/clock.hh"

namespace ballast::backends::resolver {

namespace {

constexpr char kMagic[4] = {'B', 'L', 'R', 'C'};
/// magic, schema, insertion time, TTL.
constexpr size_t kHead = 4 + 1 + 8 + 4;
constexpr size_t kSum = 8;

uint64_t fnv1a(std::span<const uint8_t> data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint8_t b : data) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

void putBe(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(uint8_t(v >> (8 * i)));
}

uint64_t getBe(std::span<const uint8_t> d, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | d[at + size_t(i)];
  return v;
}

}  // namespace

std::string cacheKeyOf(const dns::Name& name, uint16_t type) {
  dns::Name lower = name.toLower();
  auto w = lower.wire();
  std::string k(reinterpret_cast<const char*>(w.data()), w.size());
  k += char(type >> 8);
  k += char(type);
  return k;
}

std::string sharedKey(std::string_view cacheKey, bool dnssecData) {
  auto wire = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(cacheKey.data()),
                                       cacheKey.size() - 2);
  uint16_t type = uint16_t((uint8_t(cacheKey[cacheKey.size() - 2]) << 8) |
                           uint8_t(cacheKey[cacheKey.size() - 1]));
  return fmt::format("ballast:rc{}:{}:{}:{}:1", kSharedSchema, dnssecData ? 's' : 'p',
                     dns::Name::fromWire(wire).toString(), type);
}

std::vector<uint8_t> encodeSharedValue(const RecordCache::EntryView& e, uint64_t insertedUnix) {
  std::string entry;
  appendCacheEntry(entry, e);
  std::vector<uint8_t> out(kMagic, kMagic + sizeof kMagic);
  out.reserve(kHead + entry.size() + kSum);
  out.push_back(kSharedSchema);
  putBe(out, insertedUnix, 8);
  putBe(out, e.ttl, 4);
  out.insert(out.end(), entry.begin(), entry.end());
  putBe(out, fnv1a(out), 8);
  return out;
}

SharedRead decodeSharedValue(std::span<const uint8_t> bytes, std::string_view cacheKey,
                             uint64_t nowUnix, LoadedEntry& out) {
  if (bytes.size() < kHead + kSum || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0 ||
      bytes[4] != kSharedSchema)
    return SharedRead::Corrupt;
  auto body = bytes.first(bytes.size() - kSum);
  if (fnv1a(body) != getBe(bytes, body.size(), 8)) return SharedRead::Corrupt;
  uint64_t inserted = getBe(bytes, 5, 8);
  uint32_t ttl = uint32_t(getBe(bytes, 13, 4));
  try {
    out = readCacheEntry(body.subspan(kHead));
  } catch (const std::exception&) {
    return SharedRead::Corrupt;
  }
  if (out.key != cacheKey) return SharedRead::Corrupt;  // another entry's value
  // Every process counts from the writer's insertion time (a clock ahead of ours: no age).
  uint64_t age = nowUnix > inserted ? nowUnix - inserted : 0;
  if (ttl == 0 || age >= ttl) return SharedRead::Expired;
  out.ttl = uint32_t(ttl - age);
  return SharedRead::Ok;
}

SharedMailbox::Box::~Box() {
  if (fd >= 0) close(fd);
}

void SharedMailbox::Box::post(std::shared_ptr<SharedFetch> f) {
  bool wake;
  {
    std::lock_guard lock(mutex);
    wake = done.empty();
    done.push_back(std::move(f));
  }
  if (wake) {
    uint64_t one = 1;
    (void)!write(fd, &one, sizeof one);
  }
}

SharedMailbox::SharedMailbox(EventLoop& loop) : box_(std::make_shared<Box>()) {
  box_->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (box_->fd < 0) throw std::runtime_error("eventfd for the shared cache tier");
  event_ = event_new(loop.base(), box_->fd, EV_READ | EV_PERSIST, &onWake, this);
  if (!event_ || event_add(event_, nullptr) != 0)
    throw std::runtime_error("libevent set-up for the shared cache tier");
}

SharedMailbox::~SharedMailbox() {
  if (event_) event_free(event_);
}

void SharedMailbox::onWake(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<SharedMailbox*>(arg);
  uint64_t n;
  (void)!read(fd, &n, sizeof n);
  std::vector<std::shared_ptr<SharedFetch>> done;
  {
    std::lock_guard lock(self->box_->mutex);
    done.swap(self->box_->done);
  }
  for (auto& f : done) {
    f->done = true;
    f->baton.poke();  // a resolution that gave up waiting is not there: nothing happens
  }
}

void SharedMailbox::lookup(core::KeyValueTier& tier, std::vector<std::string> keys,
                           std::shared_ptr<SharedFetch> f) {
  tier.get(std::move(keys),
           [box = box_, f](bool failed, const std::vector<std::optional<std::string_view>>& values) {
             core::KeyValueTier::Used u;
             f->failed = failed;
             uint64_t now = core::unixSeconds();
             for (size_t i = 0; i < values.size() && i < f->cacheKeys.size(); ++i) {
               if (!values[i]) continue;
               LoadedEntry e;
               auto bytes = std::span<const uint8_t>(
                   reinterpret_cast<const uint8_t*>(values[i]->data()), values[i]->size());
               switch (decodeSharedValue(bytes, f->cacheKeys[i], now, e)) {
                 case SharedRead::Ok:
                   f->found.push_back(std::move(e));
                   ++u.used;
                   break;
                 case SharedRead::Corrupt:
                   ++u.corrupt;
                   break;
                 case SharedRead::Expired:
                   break;
               }
             }
             f->corrupt = u.corrupt;
             box->post(f);
             return u;
           });
}

}  // namespace ballast::backends::resolver
