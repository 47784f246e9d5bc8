// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/instance.hh"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "backends/resolver/answer_writer.hh"
#include "core/clock.hh"
#include "core/log.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::backends::resolver {

namespace {
constexpr uint16_t kNsidOption = 3;
constexpr time_t kPurgeIntervalSec = 10;
constexpr suseconds_t kTickUsec = 100000;  // the heartbeat of an idle loop

int64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
}  // namespace

ResolverInstance::ResolverInstance(std::shared_ptr<Resolver> resolver, int index, core::Runtime& rt)
    : Backend(resolver->config().name + "@" + std::to_string(index), 1, 1),
      resolver_(std::move(resolver)),
      rt_(rt),
      index_(index) {
  setPools(resolver_->config().pools);
}

ResolverInstance::~ResolverInstance() {
  if (abandoned_) return;  // kept alive for ever by the supervisor; never here
  stop();
  if (wakeFd_ >= 0) close(wakeFd_);
}

void ResolverInstance::start() {
  if (abandoned_) throw std::runtime_error(name() + " was given up after a hang");
  if (thread_.joinable()) return;
  // Kept across a restart: questions that reached the inbox while the loop was being
  // replaced have written it, and the new loop serves them.
  if (wakeFd_ < 0) wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw std::runtime_error("eventfd for resolver " + name());
  loop_ = std::make_unique<EventLoop>();
  iterator_ = std::make_unique<Iterator>(*resolver_, *loop_);
  completer_.emplace(rt_);
  inboxEvent_ = event_new(loop_->base(), wakeFd_, EV_READ | EV_PERSIST, &onInbox, this);
  flushEvent_ = event_new(loop_->base(), -1, 0, &onFlush, this);
  tickEvent_ = event_new(loop_->base(), -1, EV_PERSIST, &onTick, this);
  timeval tick{0, kTickUsec};
  if (!inboxEvent_ || !flushEvent_ || !tickEvent_ || event_add(inboxEvent_, nullptr) != 0 ||
      event_add(tickEvent_, &tick) != 0)
    throw std::runtime_error("libevent set-up for resolver " + name());
  if (index_ == 1) {
    // Expired entries are otherwise only replaced or evicted when a shard fills up.
    purgeEvent_ = event_new(loop_->base(), -1, EV_PERSIST, &onPurge, this);
    timeval tv{kPurgeIntervalSec, 0};
    if (!purgeEvent_ || event_add(purgeEvent_, &tv) != 0)
      throw std::runtime_error("libevent set-up for resolver " + name());
  }
  if (index_ == 1) {
    // Root priming once the loop runs (the first instance does it for all: one cache).
    timeval now{0, 0};
    event_base_once(
        loop_->base(), -1, EV_TIMEOUT,
        [](evutil_socket_t, short, void* arg) {
          static_cast<ResolverInstance*>(arg)->iterator_->primeAtStart();
        },
        this, &now);
  }
  stopping_ = false;
  threw_ = false;
  suspect_ = 0;
  heartbeat();
  lifecycle_.startedUsec.store(core::monotonicUsec(), std::memory_order_relaxed);
  thread_ = std::thread([this] { run(); });
}

void ResolverInstance::stop() {
  if (abandoned_ || !thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  (void)!write(wakeFd_, &one, sizeof(one));
  thread_.join();
  event_free(inboxEvent_);
  event_free(flushEvent_);
  event_free(tickEvent_);
  if (purgeEvent_) event_free(purgeEvent_);
  purgeEvent_ = nullptr;
  iterator_.reset();
  loop_.reset();
  // The snapshot holds the pools, which hold this instance: let go of it once stopped.
  completer_.reset();
}

void ResolverInstance::run() {
  tFrameBytes = &frameBytes_;
  event_base_dispatch(loop_->base());
  // After an exception, or a hang it woke up from: every resolution runs to its end (its
  // waits end as timeouts) and frees its frames; none answers, the supervisor has them.
  if (threw_ || abandoned_) loop_->cancelAll();
  completer_->flush();
  unsent_.clear();
  tFrameBytes = nullptr;
}

void ResolverInstance::heartbeat() {
  heartbeatUsec_.store(core::monotonicUsec(), std::memory_order_relaxed);
}

void ResolverInstance::fail(const std::string& what) {
  {
    std::lock_guard lock(takenMutex_);
    threwWhat_ = what;
  }
  threw_.store(true, std::memory_order_release);
  core::warnLog("resolver {}: exception out of its loop: {}", name(), what);
  event_base_loopbreak(loop_->base());
}

bool ResolverInstance::submit(core::Query& q, const core::Completion& done) {
  const auto& cfg = resolver_->config();
  if (failed()) return false;  // chosen from an older snapshot just as it failed
  if (active_.load(std::memory_order_relaxed) >= int64_t(cfg.maxConcurrent)) {
    resolver_->stats().overCapacity.inc();
    stats.reuseds.inc();
    return false;
  }
  Job job;
  job.done = done;
  job.id = dns::HeaderView(q.packet).id();
  const auto& question = q.message->question();
  job.qname = question.name.toName();
  job.qtype = question.qtype;
  job.qclass = question.qclass;
  dns::HeaderView h(q.packet);
  job.rd = h.rd();
  job.ad = h.ad();
  job.cd = h.cd();
  const auto& edns = q.message->edns();
  job.edns = edns.present;
  job.dnssecOk = edns.present && edns.dnssecOk;
  if (edns.present) {
    job.udpSize = std::max<uint16_t>(512, edns.udpPayloadSize);
    dns::forEachEdnsOption(q.message->ednsOptions(), [&](uint16_t code, auto) {
      if (code == kNsidOption) job.wantsNsid = true;
    });
  }
  if (h.opcode() != dns::opcode::Query || job.qclass != dns::qclass::IN)
    job.refuse = dns::rcode::NotImp;
  else if (job.qtype == dns::qtype::AXFR || job.qtype == dns::qtype::IXFR)
    job.refuse = dns::rcode::Refused;
  return enqueue(std::make_shared<TakenJob>(std::move(job), nextJobId_.fetch_add(1)));
}

bool ResolverInstance::adopt(const Job& job) {
  if (failed() || abandoned_ ||
      active_.load(std::memory_order_relaxed) >= int64_t(resolver_->config().maxConcurrent))
    return false;
  Job copy = job;
  ++copy.handovers;
  return enqueue(std::make_shared<TakenJob>(std::move(copy), nextJobId_.fetch_add(1)));
}

bool ResolverInstance::enqueue(std::shared_ptr<TakenJob> t) {
  // An idle loop's heartbeat is up to a tick old: the wait for it counts from here.
  if (active_.fetch_add(1, std::memory_order_relaxed) == 0)
    workSinceUsec_.store(core::monotonicUsec(), std::memory_order_relaxed);
  resolver_->stats().concurrent.fetch_add(1, std::memory_order_relaxed);
  if (!t->job.done.internal()) {
    clientActive_.fetch_add(1, std::memory_order_relaxed);
    stats.queries.inc();
  }
  {
    std::lock_guard lock(takenMutex_);
    taken_.emplace(t->id, t);
  }
  bool wake;
  {
    std::lock_guard lock(inboxMutex_);
    wake = inbox_.empty();
    inbox_.push_back(std::move(t));
  }
  if (wake) {
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
  }
  return true;
}

void ResolverInstance::finished(const TakenJob& t, bool forget) {
  active_.fetch_sub(1, std::memory_order_relaxed);
  resolver_->stats().concurrent.fetch_sub(1, std::memory_order_relaxed);
  if (!t.job.done.internal()) clientActive_.fetch_sub(1, std::memory_order_relaxed);
  if (!forget) return;
  std::lock_guard lock(takenMutex_);
  taken_.erase(t.id);
}

void ResolverInstance::onInbox(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<ResolverInstance*>(arg);
  self->heartbeat();
  uint64_t n;
  (void)!read(fd, &n, sizeof(n));
  // No exception may cross libevent's C frames: one ends the loop instead.
  try {
    self->takeInbox();
  } catch (const std::exception& e) {
    self->fail(e.what());
  }
}

void ResolverInstance::takeInbox() {
  std::vector<std::shared_ptr<TakenJob>> jobs;
  {
    std::lock_guard lock(inboxMutex_);
    jobs.swap(inbox_);
  }
  if (stopping_.load()) {
    // Finish every resolution in progress (their waits end as timeouts), drop the rest.
    loop_->cancelAll();
    for (const auto& t : jobs) finished(*t, true);
    event_base_loopbreak(loop_->base());
    return;
  }
  for (auto& t : jobs) {
    if (t->claimed.load(std::memory_order_acquire)) {
      finished(*t, true);  // handed over by the supervisor while this loop was down
      continue;
    }
    suspect_.store(t->id, std::memory_order_relaxed);
    if (resolver_->config().testFaults) injectFault(t->job);
    if (abandoned_) {
      // Woke up from a hang after the supervisor gave up on this thread: end quietly.
      event_base_loopbreak(loop_->base());
      return;
    }
    serve(std::move(t));
    suspect_.store(0, std::memory_order_relaxed);
  }
}

void ResolverInstance::injectFault(const Job& job) {
  const TestFaults& f = *resolver_->config().testFaults;
  switch (f.actionFor(job.qname)) {
    case TestFaults::Action::Hang:
      core::warnLog("resolver {}: test fault: hanging {} ms on {}", name(), f.hangMs,
                    job.qname.toString());
      std::this_thread::sleep_for(std::chrono::milliseconds(f.hangMs));
      break;
    case TestFaults::Action::Throw:
      throw std::runtime_error("test fault on " + job.qname.toString());
    case TestFaults::Action::None:
      break;
  }
}

void ResolverInstance::onPurge(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ResolverInstance*>(arg);
  self->resolver_->cache().purgeExpired(core::monotonicUsec() / 1000000);
}

void ResolverInstance::onTick(evutil_socket_t, short, void* arg) {
  static_cast<ResolverInstance*>(arg)->heartbeat();
}

void ResolverInstance::onFlush(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ResolverInstance*>(arg);
  self->flushScheduled_ = false;
  self->completer_->flush();
  self->unsent_.clear();
}

Detached ResolverInstance::serve(std::shared_ptr<TakenJob> t) {
  const Job& job = t->job;
  auto& rs = resolver_->stats();
  Trace trace(resolver_->tracing() || resolver_->config().tracing, nowNs());
  trace.add(fmt::format("received {} {}", job.qname.toString(), dns::qtypeToString(job.qtype)));
  Answer a;
  bool ok = true;
  if (job.refuse) {
    a.rcode = job.refuse;
  } else {
    Budget budget{resolver_->config().maxQueriesPerResolution, trace.on() ? &trace : nullptr};
    // validate: every question but CD ones; process: only for clients that show they
    // understand DNSSEC (DO or AD), as PowerDNS Recursor's "process" does.
    const DnssecMode mode = resolver_->config().dnssec;
    // Health checks are not validated: a bogus name says nothing about the instance's
    // health, and a checked name failing validation would take every instance down.
    const bool validate =
        !job.cd && !job.done.internal() &&
        (mode == DnssecMode::Validate || (mode == DnssecMode::Process && (job.dnssecOk || job.ad)));
    try {
      a = co_await iterator_->resolveForClient(job.qname, job.qtype, budget, validate);
    } catch (const std::exception& e) {
      suspect_.store(t->id, std::memory_order_relaxed);
      fail(e.what());
      ok = false;
    }
    // Health checks are ballast's own questions: out of the client figures here too.
    if (ok && !job.done.internal()) {
      (a.fromCache ? rs.cacheHits : rs.cacheMisses).inc();
      (a.fromCache ? hits_ : misses_).inc();
      if (a.validated) {
        switch (a.verdict.security) {
          case dnssec::Security::Secure:
            rs.secure.inc();
            break;
          case dnssec::Security::Insecure:
            rs.insecure.inc();
            break;
          case dnssec::Security::Bogus:
            rs.bogus.inc();
            break;
          case dnssec::Security::Indeterminate:
            rs.indeterminate.inc();
            break;
        }
      }
    }
    if (a.validated && a.verdict.bogus())
      trace.add(fmt::format("bogus: {} (EDE {})", a.verdict.reason, a.verdict.ede));
    trace.add(a.fromCache ? "cache hit" : "resolved");
  }
  heartbeat();
  // A failed instance's questions are the supervisor's to hand over: leave them be.
  bool handedOver = !ok || threw_.load(std::memory_order_acquire) || abandoned_ || failed();
  if (!handedOver) {
    if (a.rcode == dns::rcode::ServFail && !job.done.internal()) rs.servfails.inc();
    trace.add("answer " + dns::rcodeToString(a.rcode));
    if (trace.on()) core::warnLog("resolver {} trace: {}", name(), trace.text());
    if (t->claim() && !stopping_.load(std::memory_order_relaxed)) answer(job, a);
  }
  finished(*t, !handedOver);
}

InstanceProbe ResolverInstance::probe() const {
  InstanceProbe p;
  p.heartbeatUsec = std::max(heartbeatUsec_.load(std::memory_order_relaxed),
                             workSinceUsec_.load(std::memory_order_relaxed));
  p.hasWork = active_.load(std::memory_order_relaxed) > 0;
  p.threw = threw_.load(std::memory_order_acquire);
  if (p.threw) {
    std::lock_guard lock(takenMutex_);
    p.what = threwWhat_;
  }
  p.memoryBytes = memoryBytes();
  p.maxMemoryBytes = resolver_->config().maxMemoryBytes;
  return p;
}

int64_t ResolverInstance::memoryBytes() const {
  return frameBytes_.load(std::memory_order_relaxed) +
         active_.load(std::memory_order_relaxed) * int64_t(sizeof(TakenJob));
}

std::vector<std::shared_ptr<TakenJob>> ResolverInstance::takenJobs() const {
  std::lock_guard lock(takenMutex_);
  std::vector<std::shared_ptr<TakenJob>> out;
  out.reserve(taken_.size());
  for (const auto& [id, t] : taken_) out.push_back(t);
  return out;
}

void ResolverInstance::abandon() {
  abandoned_ = true;
  if (thread_.joinable()) thread_.detach();
}

void ResolverInstance::clearAfterFailure() {
  // Questions that came in after the supervisor looked stay for the new loop.
  std::lock_guard inbox(inboxMutex_);
  std::lock_guard taken(takenMutex_);
  std::erase_if(inbox_, [](const auto& t) { return t->claimed.load(); });
  taken_.clear();
  int64_t clients = 0;
  for (const auto& t : inbox_) {
    taken_.emplace(t->id, t);
    clients += !t->job.done.internal();
  }
  int64_t before = active_.exchange(int64_t(inbox_.size()));
  resolver_->stats().concurrent.fetch_sub(before - int64_t(inbox_.size()));
  clientActive_.store(clients);
  threw_ = false;
  suspect_ = 0;
}

}  // namespace ballast::backends::resolver

namespace ballast::backends::resolver {

void ResolverInstance::answer(const Job& job, const Answer& a) {
  const auto& cfg = resolver_->config();
  std::vector<uint8_t> buf;
  bool overUdp = !job.done.stream() && !job.done.internal();
  writeAnswer(job, a, cfg.ednsBufferSize, cfg.nsid, overUdp, buf);
  completer_->complete(*this, job.done, buf.data(), buf.size(), buf.size());
  if (completer_->pending() == 0) return;  // a stream sink took it, or the batch just went out
  unsent_.push_back(std::move(buf));  // the queued datagram points into it until the flush
  if (!flushScheduled_) {
    // Runs after the callbacks already active in this loop iteration: one sendmmsg each.
    flushScheduled_ = true;
    event_active(flushEvent_, EV_TIMEOUT, 0);
  }
}

std::vector<std::shared_ptr<ResolverInstance>> createInstances(std::shared_ptr<Resolver> r,
                                                               core::Runtime& rt) {
  std::vector<std::shared_ptr<ResolverInstance>> out;
  for (int i = 1; i <= r->config().instances; ++i) {
    auto inst = std::make_shared<ResolverInstance>(r, i, rt);
    rt.addServer(inst);
    out.push_back(inst);
  }
  return out;
}

}  // namespace ballast::backends::resolver
