// SPDX-License-Identifier: GPL-2.0-only
#include "tier/redis_tier.hh"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

#include "core/clock.hh"
#include "core/log.hh"
#include "core/pipeline.hh"

namespace ballast::tier {

namespace {

timeval toTimeval(int64_t usec) {
  return timeval{time_t(usec / 1000000), suseconds_t(usec % 1000000)};
}

bool isString(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

enum SetupStep : uintptr_t { kAuth, kSelect, kRole, kPing };

}  // namespace

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
      registry->add("redis-connect-failures", stats.connectFailures,
                    "shared cache tier: connections to Redis not made (refused, TLS, AUTH)");
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
  if (settings_.tls.enabled) tls_ = makeRedisTlsContext(settings_.tls);
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
  stop();
  event_free(wakeEvent_);
  event_free(reconnectEvent_);
  event_base_free(base_);
  close(wakeFd_);
}

void RedisTier::stop() {
  std::call_once(stopOnce_, [this] {
    {
      // Under the lock: a lookup queued before this is resumed by the thread as it ends,
      // one after it by its caller (resumeNow).
      std::lock_guard lock(queueMutex_);
      stopping_ = true;
    }
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
    thread_.join();
  });
}

void RedisTier::resumeNow(std::unique_ptr<core::ParkedQuery> q) {
  stats_.skipped.inc();
  core::Published<core::RuntimeConfig>::Reader config(rt_.config);
  core::UdpSender sender;
  core::resumeParked(*q, nullptr, config.get(), rt_.stats, sender);
  sender.flush();
}

void RedisTier::run() {
  // The runtime's configuration reader is made on the first parked query (configReader()):
  // a tier used only as a key-value store (a resolver's) never touches the runtime.
  RedisLink::Owner& owner = *this;
  link_ = std::make_unique<RedisLink>(base_, tls_, owner);
  if (!settings_.sentinels.empty()) sentinel_ = std::make_unique<RedisLink>(base_, tls_, owner);
  connect();
  event_base_dispatch(base_);
  // Stopping: every query still waiting goes on to its pool.
  while (!pending_.empty()) finish(pending_.begin()->first, nullptr);
  std::vector<std::unique_ptr<core::ParkedQuery>> left;
  std::vector<RawLookup> leftRaw;
  {
    std::lock_guard lock(queueMutex_);
    left.swap(lookups_);
    leftRaw.swap(rawLookups_);
  }
  for (auto& l : leftRaw) {
    stats_.skipped.inc();
    l.done(true, {});
  }
  for (auto& q : left) {
    core::resumeParked(*q, nullptr, configReader().get(), rt_.stats, sender_);
    sender_.flush();
  }
  connected_ = false;  // usable() says no from now on
  setOpen(false);      // this tier no longer counts
  sentinel_.reset();
  link_.reset();  // writes still waiting are counted as dropped
  config_.reset();
}

core::Published<core::RuntimeConfig>::Reader& RedisTier::configReader() {
  if (!config_)
    config_ = std::make_unique<core::Published<core::RuntimeConfig>::Reader>(rt_.config);
  return *config_;
}

void RedisTier::connect() {
  if (settings_.sentinels.empty()) {
    openData(settings_.host, settings_.port);
    return;
  }
  sentinelsAsked_ = 0;
  askSentinel();
}

void RedisTier::askSentinel() {
  if (sentinelsAsked_ == settings_.sentinels.size()) {
    retryLater();
    return;
  }
  ++sentinelsAsked_;
  const RedisEndpoint& e = settings_.sentinels[sentinelIndex_ % settings_.sentinels.size()];
  std::string why;
  if (!sentinel_->connect(e.host, e.port, settings_.tls.serverName, settings_.connectTimeoutUsec,
                          why)) {
    linkDown(*sentinel_, why);
    return;
  }
  const char* argv[3] = {"SENTINEL", "get-master-addr-by-name", settings_.masterName.c_str()};
  size_t lens[3] = {8, 23, settings_.masterName.size()};
  sentinel_->send(3, argv, lens, onSentinel, this, 0);
}

void RedisTier::onSentinel(void* arg, uintptr_t, redisReply* r) {
  auto* self = static_cast<RedisTier*>(arg);
  if (!r) return;  // the link is down: linkDown asks the next one
  RedisLink& s = *self->sentinel_;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !isString(r->element[0]) ||
      !isString(r->element[1])) {
    std::string why = fmt::format(
        "sentinel {} does not know master '{}'{}{}", s.peer(), self->settings_.masterName,
        r->type == REDIS_REPLY_ERROR ? ": " : "", r->type == REDIS_REPLY_ERROR ? r->str : "");
    s.close();
    self->linkDown(s, why);
    return;
  }
  std::string host(r->element[0]->str, r->element[0]->len);
  int port = atoi(r->element[1]->str);
  s.close();
  self->openData(host, port);
}

void RedisTier::openData(const std::string& host, int port) {
  std::string why;
  if (!link_->connect(host, port, settings_.tls.serverName, settings_.connectTimeoutUsec, why)) {
    dataDown(why);
    return;
  }
  // Queued now, sent once connected (after the TLS handshake); the last reply says ready.
  if (!settings_.password.empty()) {
    // AUTH password, or AUTH user password for a Redis 6 ACL user.
    const char* argv[3] = {"AUTH", settings_.user.c_str(), settings_.password.c_str()};
    size_t lens[3] = {4, settings_.user.size(), settings_.password.size()};
    int n = 3;
    if (settings_.user.empty()) {
      argv[1] = argv[2];
      lens[1] = lens[2];
      n = 2;
    }
    link_->send(n, argv, lens, onSetup, this, kAuth);
  }
  if (settings_.db != 0) {
    std::string db = std::to_string(settings_.db);
    const char* argv[2] = {"SELECT", db.c_str()};
    size_t lens[2] = {6, db.size()};
    link_->send(2, argv, lens, onSetup, this, kSelect);
  }
  // Through a sentinel, the server must say it is the primary (it may have just been
  // demoted); otherwise a PING.
  const char* argv[1] = {settings_.sentinels.empty() ? "PING" : "ROLE"};
  size_t lens[1] = {4};
  link_->send(1, argv, lens, onSetup, this, settings_.sentinels.empty() ? kPing : kRole);
}

void RedisTier::onSetup(void* arg, uintptr_t step, redisReply* r) {
  auto* self = static_cast<RedisTier*>(arg);
  if (!r) return;  // the link is down: linkDown said why
  RedisLink& link = *self->link_;
  static constexpr const char* kNames[] = {"AUTH", "SELECT", "ROLE", "PING"};
  if (r->type == REDIS_REPLY_ERROR) {
    std::string why = fmt::format("{} at {} refused: {}", kNames[step], link.peer(), r->str);
    link.close();
    self->dataDown(why);
    return;
  }
  if (step == kRole) {
    bool master = r->type == REDIS_REPLY_ARRAY && r->elements > 0 && isString(r->element[0]) &&
                  std::string_view(r->element[0]->str, r->element[0]->len) == "master";
    if (!master) {
      std::string why =
          fmt::format("{} is not the primary of '{}'", link.peer(), self->settings_.masterName);
      link.close();
      self->dataDown(why);
      return;
    }
  }
  if (step != kRole && step != kPing) return;
  link.settled();
  self->connected_ = true;
  self->lastProblem_.clear();
  if (!self->breaker_.open()) self->setOpen(false);
  core::infoLog("shared cache tier: connected to Redis at {}{}", link.peer(),
                self->settings_.tls.enabled ? " (TLS)" : "");
}

void RedisTier::linkUp(RedisLink&) {
  // Nothing to do: the setup commands are queued already and their replies say ready.
}

void RedisTier::linkDown(RedisLink& link, const std::string& why) {
  if (&link == sentinel_.get()) {
    problem(why);
    ++sentinelIndex_;  // the next time, start with another one
    askSentinel();
    return;
  }
  dataDown(why);
}

void RedisTier::dataDown(const std::string& why) {
  bool was = connected_.exchange(false);
  setOpen(true);
  if (was)
    core::warnLog("shared cache tier: lost Redis: {}", why);
  else
    problem(why);
  retryLater();
}

void RedisTier::problem(const std::string& why) {
  stats_.connectFailures.inc();
  if (why == lastProblem_) return;  // said once, not every half second
  lastProblem_ = why;
  core::warnLog("shared cache tier: {}", why);
}

void RedisTier::retryLater() {
  if (stopping_) return;
  timeval tv = toTimeval(settings_.reconnectUsec);
  evtimer_add(reconnectEvent_, &tv);
}

void RedisTier::onReconnect(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<RedisTier*>(arg);
  if (!self->stopping_ && !self->link_->active() && !(self->sentinel_ && self->sentinel_->active()))
    self->connect();
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
  bool first = false;
  {
    std::lock_guard lock(queueMutex_);
    if (!stopping_) {
      first = lookups_.empty() && rawLookups_.empty() && writes_.empty();
      lookups_.push_back(std::move(q));
    }
  }
  if (q) {  // stopped
    resumeNow(std::move(q));
    return;
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
  Write w{{},
          k,
          {answer.begin(), answer.end()},
          ttl,
          (uint64_t(ttl) + staleWindow) * 1000,
          core::unixSeconds()};
  bool first = false;
  {
    std::lock_guard lock(queueMutex_);
    if (stopping_) {
      pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
      stats_.writesDropped.inc();
      return;
    }
    first = lookups_.empty() && rawLookups_.empty() && writes_.empty();
    writes_.push_back(std::move(w));
  }
  if (first) {
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
  }
}

void RedisTier::get(std::vector<std::string> keys, Done done) {
  bool first = false, stopped = false;
  {
    std::lock_guard lock(queueMutex_);
    stopped = stopping_;
    if (!stopped) {
      first = lookups_.empty() && rawLookups_.empty() && writes_.empty();
      rawLookups_.push_back({std::move(keys), std::move(done)});
    }
  }
  if (stopped) {  // done was not moved from
    stats_.skipped.inc();
    done(true, {});
    return;
  }
  if (first) {
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
  }
}

void RedisTier::set(std::string key, std::vector<uint8_t> value, uint64_t expiryMs) {
  if (!connected_.load(std::memory_order_relaxed)) {
    stats_.writesDropped.inc();
    return;
  }
  if (pendingWrites_.fetch_add(1, std::memory_order_relaxed) >= settings_.maxPendingWrites) {
    pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
    stats_.writesDropped.inc();
    return;
  }
  Write w;
  w.rawKey = std::move(key);
  w.answer = std::move(value);
  w.expiryMs = std::max<uint64_t>(1, expiryMs);
  bool first = false;
  {
    std::lock_guard lock(queueMutex_);
    if (stopping_) {
      pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
      stats_.writesDropped.inc();
      return;
    }
    first = lookups_.empty() && rawLookups_.empty() && writes_.empty();
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
  std::vector<RawLookup> raw;
  std::vector<Write> writes;
  {
    std::lock_guard lock(queueMutex_);
    lookups.swap(lookups_);
    raw.swap(rawLookups_);
    writes.swap(writes_);
  }
  for (auto& q : lookups) ask(std::move(q));
  for (auto& l : raw) askRaw(std::move(l));
  for (auto& w : writes) {
    if (!connected_) {
      pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
      stats_.writesDropped.inc();
      continue;
    }
    bool raw = !w.rawKey.empty();
    std::string key = raw ? std::move(w.rawKey) : core::tierKey(w.key);
    std::vector<uint8_t> value =
        raw ? std::move(w.answer) : core::encodeTierValue(w.answer, w.ttl, w.insertedUnix);
    std::string px = std::to_string(w.expiryMs);
    const char* argv[5] = {"SET", key.c_str(), reinterpret_cast<const char*>(value.data()), "PX",
                           px.c_str()};
    size_t lens[5] = {3, key.size(), value.size(), 2, px.size()};
    if (!link_->send(5, argv, lens, onSet, this, 0)) {
      pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
      stats_.writesDropped.inc();
    }
  }
}

void RedisTier::onSet(void* arg, uintptr_t, redisReply* reply) {
  auto* self = static_cast<RedisTier*>(arg);
  self->pendingWrites_.fetch_sub(1, std::memory_order_relaxed);
  if (reply && reply->type != REDIS_REPLY_ERROR) {
    self->stats_.writes.inc();
    return;
  }
  self->stats_.writesDropped.inc();
  self->checkReadonly(reply);
}

void RedisTier::checkReadonly(const redisReply* reply) {
  // A primary demoted under us (failover): ask the sentinels again.
  if (!reply || reply->type != REDIS_REPLY_ERROR || settings_.sentinels.empty() ||
      std::string_view(reply->str, reply->len).substr(0, 8) != "READONLY" || !link_->active())
    return;
  link_->close();
  dataDown(fmt::format("Redis became a replica ({})", std::string_view(reply->str, reply->len)));
}

void RedisTier::ask(std::unique_ptr<core::ParkedQuery> q) {
  if (!connected_) {
    stats_.skipped.inc();
    core::resumeParked(*q, nullptr, configReader().get(), rt_.stats, sender_);
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
  const char* argv[2] = {"GET", key.c_str()};
  size_t lens[2] = {3, key.size()};
  if (!link_->send(2, argv, lens, onGet, this, id)) {
    failed();
    stats_.errors.inc();
    finish(id, nullptr);
  }
}

void RedisTier::askRaw(RawLookup l) {
  if (!connected_ || l.keys.empty()) {
    stats_.skipped.inc();
    l.done(true, {});
    return;
  }
  auto p = std::make_unique<Pending>();
  p->self = this;
  p->id = nextId_++;
  p->startUsec = core::monotonicUsec();
  p->raw = std::move(l.done);
  p->timer = evtimer_new(base_, onTimeout, p.get());
  timeval tv = toTimeval(settings_.budgetUsec);
  evtimer_add(p->timer, &tv);
  uint64_t id = p->id;
  pending_.emplace(id, std::move(p));
  // MGET: every key in one command, one reply.
  std::vector<const char*> argv{"MGET"};
  std::vector<size_t> lens{4};
  for (const auto& k : l.keys) {
    argv.push_back(k.c_str());
    lens.push_back(k.size());
  }
  if (!link_->send(int(argv.size()), argv.data(), lens.data(), onGet, this, id)) {
    failed();
    stats_.errors.inc();
    finish(id, nullptr);
  }
}

void RedisTier::finishRaw(uint64_t id, const redisReply* reply) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> p = std::move(it->second);
  pending_.erase(it);
  event_free(p->timer);
  std::vector<std::optional<std::string_view>> values;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* e = reply->element[i];
    if (e && e->type == REDIS_REPLY_STRING)
      values.emplace_back(std::string_view(e->str, e->len));
    else
      values.emplace_back(std::nullopt);
  }
  core::KeyValueTier::Used u = p->raw(false, values);
  stats_.corrupt.inc(u.corrupt);
  if (u.used)
    stats_.hits.inc();
  else
    stats_.misses.inc();
}

void RedisTier::onTimeout(evutil_socket_t, short, void* arg) {
  auto* p = static_cast<Pending*>(arg);
  RedisTier* self = p->self;
  self->stats_.timeouts.inc();
  self->stats_.errors.inc();
  self->failed();
  self->finish(p->id, nullptr);
}

void RedisTier::onGet(void* arg, uintptr_t id, redisReply* reply) {
  auto* self = static_cast<RedisTier*>(arg);
  auto it = self->pending_.find(id);
  if (it == self->pending_.end()) return;  // over its budget already: answered without it
  bool raw = bool(it->second->raw);
  if (!reply || reply->type == REDIS_REPLY_ERROR || (raw && reply->type != REDIS_REPLY_ARRAY)) {
    self->stats_.errors.inc();
    self->failed();
    self->finish(id, nullptr);
    self->checkReadonly(reply);
    return;
  }
  self->succeeded();
  int64_t took = core::monotonicUsec() - it->second->startUsec;
  self->stats_.latency.record(uint64_t(took < 0 ? 0 : took));
  if (raw) {
    self->finishRaw(id, reply);
    return;
  }
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
  if (p->raw) {
    p->raw(true, {});
    return;
  }
  core::resumeParked(*p->query, found, configReader().get(), rt_.stats, sender_);
  sender_.flush();  // the datagrams point into the parked query's buffer
}

std::string RedisTier::describe() const {
  std::string where = settings_.sentinels.empty()
                          ? fmt::format("{}:{}", settings_.host, settings_.port)
                          : fmt::format("sentinel master '{}'", settings_.masterName);
  return fmt::format(
      "Redis {}/{}{}: {}, breaker {}", where, settings_.db, settings_.tls.enabled ? " (TLS)" : "",
      connected() ? "connected" : "not connected", breaker_.open() ? "open" : "closed");
}

}  // namespace ballast::tier
