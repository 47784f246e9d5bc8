// SPDX-License-Identifier: GPL-2.0-only
#include "tier/redis_tier.hh"

#include <fmt/format.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <charconv>
#include <stdexcept>

#include "core/clock.hh"
#include "core/log.hh"
#include "core/pipeline.hh"

namespace ballast::tier {

namespace {

int parsePort(std::string_view text, const std::string& url) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 65535)
    throw std::invalid_argument(fmt::format("bad port in '{}'", url));
  return v;
}

timeval toTimeval(int64_t usec) {
  return timeval{time_t(usec / 1000000), suseconds_t(usec % 1000000)};
}

}  // namespace

void parseRedisUrl(const std::string& url, RedisSettings& s) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0)
    throw std::invalid_argument(fmt::format("'{}' is not a redis:// URL", url));
  std::string_view rest(url);
  rest.remove_prefix(kScheme.size());
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    if (auto colon = auth.find(':'); colon != std::string_view::npos) auth.remove_prefix(colon + 1);
    s.password = std::string(auth);
    rest.remove_prefix(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), s.db);
      if (ec != std::errc() || end != db.data() + db.size() || s.db < 0)
        throw std::invalid_argument(fmt::format("bad database number in '{}'", url));
    }
  }
  if (rest.empty()) throw std::invalid_argument(fmt::format("no host in '{}'", url));
  if (rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      throw std::invalid_argument(fmt::format("bad host in '{}'", url));
    s.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() == ':') s.port = parsePort(rest.substr(1), url);
  } else if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    s.host = std::string(rest.substr(0, colon));
    s.port = parsePort(rest.substr(colon + 1), url);
  } else {
    s.host = std::string(rest);
  }
  if (s.host.empty()) throw std::invalid_argument(fmt::format("no host in '{}'", url));
}

RedisStats& RedisStats::get(metrics::Registry* registry) {
  static RedisStats stats;
  static std::once_flag registered;
  if (registry) {
    std::call_once(registered, [&] {
      registry->add("redis-hits", stats.hits, "shared cache tier: lookups answered");
      registry->add("redis-misses", stats.misses, "shared cache tier: lookups with no value");
      registry->add("redis-errors", stats.errors, "shared cache tier: lookups failed");
      registry->add("redis-timeouts", stats.timeouts, "shared cache tier: lookups over budget");
      registry->add("redis-corrupt", stats.corrupt, "shared cache tier: values ignored");
      registry->add("redis-skipped", stats.skipped, "shared cache tier: lookups not asked");
      registry->add("redis-writes", stats.writes, "shared cache tier: answers written");
      registry->add("redis-writes-dropped", stats.writesDropped,
                    "shared cache tier: answers not written");
      registry->addGauge(
          "redis-latency-count", [] { return double(stats.latency.count()); },
          "shared cache tier: lookups answered, for redis-latency-sum");
      registry->addGauge(
          "redis-latency-sum", [] { return double(stats.latency.sumUsec()); },
          "shared cache tier: microseconds spent in answered lookups");
      registry->addGauge(
          "redis-latency-avg100", [] { return stats.latency.avg100(); },
          "shared cache tier: average lookup latency over the last 100, microseconds");
      registry->addGauge(
          "redis-breaker-open", [] { return double(stats.breakerOpen.load()); },
          "shared cache tier: tiers not asking Redis now (breaker open or disconnected)");
    });
  }
  return stats;
}

RedisTier::RedisTier(RedisSettings s, core::Runtime& rt)
    : settings_(std::move(s)),
      rt_(rt),
      stats_(RedisStats::get(&rt.registry)),
      breaker_(Breaker::Settings{settings_.failuresToOpen, 50, 1000000, settings_.openUsec}) {
  setOpen(true);  // until connected
  base_ = event_base_new();
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!base_ || wakeFd_ < 0) throw std::runtime_error("event loop for the Redis tier");
  wakeEvent_ = event_new(base_, wakeFd_, EV_READ | EV_PERSIST, onWake, this);
  reconnectEvent_ = evtimer_new(base_, onReconnect, this);
  event_add(wakeEvent_, nullptr);
  thread_ = std::thread([this] { run(); });
}

RedisTier::~RedisTier() {
  stopping_ = true;
  uint64_t one = 1;
  (void)!write(wakeFd_, &one, sizeof(one));
  thread_.join();
  event_free(wakeEvent_);
  event_free(reconnectEvent_);
  event_base_free(base_);
  close(wakeFd_);
}

void RedisTier::run() {
  config_ = std::make_unique<core::Published<core::RuntimeConfig>::Reader>(rt_.config);
  connect();
  event_base_dispatch(base_);
  // Stopping: every query still waiting goes on to its pool.
  while (!pending_.empty()) finish(pending_.begin()->first, nullptr);
  std::vector<std::unique_ptr<core::ParkedQuery>> left;
  {
    std::lock_guard lock(queueMutex_);
    left.swap(lookups_);
  }
  for (auto& q : left) {
    core::resumeParked(*q, nullptr, config_->get(), rt_.stats, sender_);
    sender_.flush();
  }
  setOpen(false);  // this tier no longer counts
  if (ctx_) {
    redisAsyncContext* c = ctx_;
    ctx_ = nullptr;
    c->data = nullptr;
    redisAsyncFree(c);
  }
  config_.reset();
}

void RedisTier::connect() {
  redisAsyncContext* c = redisAsyncConnect(settings_.host.c_str(), settings_.port);
  if (!c || c->err) {
    if (c) redisAsyncFree(c);
    timeval tv = toTimeval(settings_.reconnectUsec);
    evtimer_add(reconnectEvent_, &tv);
    return;
  }
  c->data = this;
  redisLibeventAttach(c, base_);
  redisAsyncSetConnectCallback(c, onConnect);
  redisAsyncSetDisconnectCallback(c, onDisconnect);
  // Queued now, sent first once connected.
  if (!settings_.password.empty())
    redisAsyncCommand(c, nullptr, nullptr, "AUTH %b", settings_.password.data(),
                      settings_.password.size());
  if (settings_.db != 0) redisAsyncCommand(c, nullptr, nullptr, "SELECT %d", settings_.db);
  ctx_ = c;
}

void RedisTier::onConnect(const redisAsyncContext* c, int status) {
  auto* self = static_cast<RedisTier*>(c->data);
  if (!self) return;
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback.
    self->ctx_ = nullptr;
    timeval tv = toTimeval(self->settings_.reconnectUsec);
    evtimer_add(self->reconnectEvent_, &tv);
    return;
  }
  self->connected_ = true;
  if (!self->breaker_.open()) self->setOpen(false);
  core::infoLog("shared cache tier: connected to Redis at {}:{}", self->settings_.host,
                self->settings_.port);
}

void RedisTier::onDisconnect(const redisAsyncContext* c, int) {
  auto* self = static_cast<RedisTier*>(c->data);
  if (!self) return;
  bool was = self->connected_.exchange(false);
  self->ctx_ = nullptr;
  self->setOpen(true);
  if (was)
    core::warnLog("shared cache tier: lost Redis at {}:{}", self->settings_.host,
                  self->settings_.port);
  if (self->stopping_) return;
  timeval tv = toTimeval(self->settings_.reconnectUsec);
  evtimer_add(self->reconnectEvent_, &tv);
}

void RedisTier::onReconnect(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<RedisTier*>(arg);
  if (!self->stopping_ && !self->ctx_) self->connect();
}

bool RedisTier::usable() const {
  return connected_.load(std::memory_order_relaxed) && breaker_.allows(core::monotonicUsec());
}

void RedisTier::failed() {
  if (!breaker_.failure(core::monotonicUsec())) return;
  setOpen(true);
  core::warnLog("shared cache tier: Redis lookups failing, not asking Redis for {} ms",
                settings_.openUsec / 1000);
}

void RedisTier::succeeded() {
  if (breaker_.success(core::monotonicUsec()) && connected_.load()) setOpen(false);
}

void RedisTier::setOpen(bool open) {
  if (open_.exchange(open) != open) stats_.breakerOpen.fetch_add(open ? 1 : -1);
}

void RedisTier::lookup(std::unique_ptr<core::ParkedQuery> q) {
  bool first;
  {
    std::lock_guard lock(queueMutex_);
    first = lookups_.empty() && writes_.empty();
    lookups_.push_back(std::move(q));
  }
  if (first) {
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
  }
}

void RedisTier::store(const core::CacheKey& k, std::span<const uint8_t> answer, uint32_t ttl,
                      uint32_t staleWindow) {
  if (!connected_.load(std::memory_order_relaxed)) {
    stats_.writesDropped.inc();
    return;
  }
  // The count taken here is given back by whoever drops or finishes the write.
  if (pendingWrites_.fetch_add(1, std::memory_order_relaxed) >= settings_.maxPendingWrites) {
    pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
    stats_.writesDropped.inc();
    return;
  }
  // Only the copy here, on the completing thread; key and value are made on the tier's.
  Write w{k,
          {answer.begin(), answer.end()},
          ttl,
          (uint64_t(ttl) + staleWindow) * 1000,
          core::unixSeconds()};
  bool first;
  {
    std::lock_guard lock(queueMutex_);
    first = lookups_.empty() && writes_.empty();
    writes_.push_back(std::move(w));
  }
  if (first) {
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
  }
}

void RedisTier::onWake(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<RedisTier*>(arg);
  uint64_t n;
  (void)!read(fd, &n, sizeof(n));
  if (self->stopping_) {
    event_base_loopbreak(self->base_);
    return;
  }
  self->takeQueued();
}

void RedisTier::takeQueued() {
  std::vector<std::unique_ptr<core::ParkedQuery>> lookups;
  std::vector<Write> writes;
  {
    std::lock_guard lock(queueMutex_);
    lookups.swap(lookups_);
    writes.swap(writes_);
  }
  for (auto& q : lookups) ask(std::move(q));
  for (auto& w : writes) {
    if (!ctx_ || !connected_) {
      pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
      stats_.writesDropped.inc();
      continue;
    }
    std::string key = core::tierKey(w.key);
    std::vector<uint8_t> value = core::encodeTierValue(w.answer, w.ttl, w.insertedUnix);
    std::string px = std::to_string(w.expiryMs);
    const char* argv[5] = {"SET", key.c_str(), reinterpret_cast<const char*>(value.data()), "PX",
                           px.c_str()};
    size_t lens[5] = {3, key.size(), value.size(), 2, px.size()};
    if (redisAsyncCommandArgv(ctx_, onSet, this, 5, argv, lens) != REDIS_OK) {
      pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
      stats_.writesDropped.inc();
    }
  }
}

void RedisTier::onSet(redisAsyncContext*, void* r, void* arg) {
  auto* self = static_cast<RedisTier*>(arg);
  self->pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
  auto* reply = static_cast<redisReply*>(r);
  if (!reply || reply->type == REDIS_REPLY_ERROR)
    self->stats_.writesDropped.inc();
  else
    self->stats_.writes.inc();
}

void RedisTier::ask(std::unique_ptr<core::ParkedQuery> q) {
  if (!ctx_ || !connected_) {
    stats_.skipped.inc();
    core::resumeParked(*q, nullptr, config_->get(), rt_.stats, sender_);
    sender_.flush();
    return;
  }
  auto p = std::make_unique<Pending>();
  p->self = this;
  p->id = nextId_++;
  p->startUsec = core::monotonicUsec();
  std::string key = core::tierKey(q->q.cacheKey);
  p->query = std::move(q);
  p->timer = evtimer_new(base_, onTimeout, p.get());
  timeval tv = toTimeval(settings_.budgetUsec);
  evtimer_add(p->timer, &tv);
  uint64_t id = p->id;
  pending_.emplace(id, std::move(p));
  if (redisAsyncCommand(ctx_, onGet, reinterpret_cast<void*>(uintptr_t(id)), "GET %b", key.data(),
                        key.size()) != REDIS_OK) {
    failed();
    stats_.errors.inc();
    finish(id, nullptr);
  }
}

void RedisTier::onTimeout(evutil_socket_t, short, void* arg) {
  auto* p = static_cast<Pending*>(arg);
  RedisTier* self = p->self;
  self->stats_.timeouts.inc();
  self->stats_.errors.inc();
  self->failed();
  self->finish(p->id, nullptr);
}

void RedisTier::onGet(redisAsyncContext* c, void* r, void* privdata) {
  auto* self = static_cast<RedisTier*>(c->data);
  if (!self) return;
  uint64_t id = uintptr_t(privdata);
  auto it = self->pending_.find(id);
  if (it == self->pending_.end()) return;  // over its budget already: answered without it
  auto* reply = static_cast<redisReply*>(r);
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    self->stats_.errors.inc();
    self->failed();
    self->finish(id, nullptr);
    return;
  }
  self->succeeded();
  int64_t took = core::monotonicUsec() - it->second->startUsec;
  self->stats_.latency.record(uint64_t(took < 0 ? 0 : took));
  core::TierValue v;
  if (reply->type != REDIS_REPLY_STRING) {
    self->stats_.misses.inc();
    self->finish(id, nullptr);
  } else if (!core::decodeTierValue(
                 {reinterpret_cast<const uint8_t*>(reply->str), size_t(reply->len)}, v)) {
    self->stats_.corrupt.inc();
    self->stats_.misses.inc();
    self->finish(id, nullptr);
  } else {
    self->stats_.hits.inc();
    self->finish(id, &v);
  }
}

void RedisTier::finish(uint64_t id, const core::TierValue* found) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> p = std::move(it->second);
  pending_.erase(it);
  event_free(p->timer);
  core::resumeParked(*p->query, found, config_->get(), rt_.stats, sender_);
  sender_.flush();  // the datagrams point into the parked query's buffer
}

std::string RedisTier::describe() const {
  return fmt::format("Redis {}:{}/{}: {}, breaker {}", settings_.host, settings_.port, settings_.db,
                     connected() ? "connected" : "not connected",
                     breaker_.open() ? "open" : "closed");
}

}  // namespace ballast::tier
