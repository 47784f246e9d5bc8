// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/instance.hh"

#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

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
  stop();
  if (wakeFd_ >= 0) close(wakeFd_);
}

void ResolverInstance::start() {
  if (thread_.joinable()) return;
  // Kept across a restart: questions that reached the inbox while the loop was being
  // replaced have written it, and the new loop serves them.
  if (wakeFd_ < 0) wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw std::runtime_error("eventfd for resolver " + name());
  loop_ = std::make_unique<EventLoop>();
  iterator_ = std::make_unique<Iterator>(*resolver_, *loop_);
  config_.emplace(rt_.config);
  inboxEvent_ = event_new(loop_->base(), wakeFd_, EV_READ | EV_PERSIST, &onInbox, this);
  flushEvent_ = event_new(loop_->base(), -1, 0, &onFlush, this);
  if (!inboxEvent_ || !flushEvent_ || event_add(inboxEvent_, nullptr) != 0)
    throw std::runtime_error("libevent set-up for resolver " + name());
  if (index_ == 1) {
    // Expired entries are otherwise only replaced or evicted when a shard fills up.
    purgeEvent_ = event_new(loop_->base(), -1, EV_PERSIST, &onPurge, this);
    timeval tv{kPurgeIntervalSec, 0};
    if (!purgeEvent_ || event_add(purgeEvent_, &tv) != 0)
      throw std::runtime_error("libevent set-up for resolver " + name());
  }
  stopping_ = false;
  lifecycle_.startedUsec.store(core::monotonicUsec(), std::memory_order_relaxed);
  thread_ = std::thread([this] { run(); });
}

void ResolverInstance::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  (void)!write(wakeFd_, &one, sizeof(one));
  thread_.join();
  event_free(inboxEvent_);
  event_free(flushEvent_);
  if (purgeEvent_) event_free(purgeEvent_);
  purgeEvent_ = nullptr;
  iterator_.reset();
  loop_.reset();
  // The snapshot holds the pools, which hold this instance: let go of it once stopped.
  config_.reset();
}

void ResolverInstance::run() {
  event_base_dispatch(loop_->base());
  sender_.flush();
  unsent_.clear();
}

bool ResolverInstance::submit(core::QueryContext& q, core::UdpSender&) {
  const auto& cfg = resolver_->config();
  if (active_.load(std::memory_order_relaxed) >= int64_t(cfg.maxConcurrent)) {
    resolver_->stats().overCapacity.inc();
    stats.reuseds.inc();
    return false;
  }
  Job job;
  job.pending.fill(q);
  job.destination = q.destination;
  job.receivedUsec = q.receivedUsec;
  const auto& question = q.message.question();
  job.qname = question.name.toName();
  job.qtype = question.qtype;
  job.qclass = question.qclass;
  dns::HeaderView h(q.packet);
  job.rd = h.rd();
  const auto& edns = q.message.edns();
  job.edns = edns.present;
  if (edns.present) {
    job.udpSize = std::max<uint16_t>(512, edns.udpPayloadSize);
    dns::forEachEdnsOption(q.message.ednsOptions(), [&](uint16_t code, auto) {
      if (code == kNsidOption) job.wantsNsid = true;
    });
  }
  if (h.opcode() != dns::opcode::Query || job.qclass != dns::qclass::IN)
    job.refuse = dns::rcode::NotImp;
  else if (job.qtype == dns::qtype::AXFR || job.qtype == dns::qtype::IXFR)
    job.refuse = dns::rcode::Refused;
  active_.fetch_add(1, std::memory_order_relaxed);
  resolver_->stats().concurrent.fetch_add(1, std::memory_order_relaxed);
  if (!q.destination.internal) {
    clientActive_.fetch_add(1, std::memory_order_relaxed);
    stats.queries.inc();
  }
  bool wake;
  {
    std::lock_guard lock(inboxMutex_);
    wake = inbox_.empty();
    inbox_.push_back(std::move(job));
  }
  if (wake) {
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
  }
  return true;
}

void ResolverInstance::onInbox(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<ResolverInstance*>(arg);
  uint64_t n;
  (void)!read(fd, &n, sizeof(n));
  std::vector<Job> jobs;
  {
    std::lock_guard lock(self->inboxMutex_);
    jobs.swap(self->inbox_);
  }
  if (self->stopping_.load()) {
    // Finish every resolution in progress (their waits end as timeouts), drop the rest.
    self->loop_->cancelAll();
    for (const Job& j : jobs) {
      self->active_.fetch_sub(1, std::memory_order_relaxed);
      self->resolver_->stats().concurrent.fetch_sub(1, std::memory_order_relaxed);
      if (!j.destination.internal) self->clientActive_.fetch_sub(1, std::memory_order_relaxed);
    }
    event_base_loopbreak(self->loop_->base());
    return;
  }
  for (auto& j : jobs) self->serve(std::move(j));
}

void ResolverInstance::onPurge(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ResolverInstance*>(arg);
  self->resolver_->cache().purgeExpired(core::monotonicUsec() / 1000000);
}

void ResolverInstance::onFlush(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ResolverInstance*>(arg);
  self->flushScheduled_ = false;
  self->sender_.flush();
  self->unsent_.clear();
}

Detached ResolverInstance::serve(Job job) {
  auto& rs = resolver_->stats();
  Trace trace(resolver_->tracing() || resolver_->config().tracing, nowNs());
  trace.add(fmt::format("received {} {}", job.qname.toString(), dns::qtypeToString(job.qtype)));
  Answer a;
  if (job.refuse) {
    a.rcode = job.refuse;
  } else {
    Budget budget{resolver_->config().maxQueriesPerResolution, trace.on() ? &trace : nullptr};
    a = co_await iterator_->resolve(job.qname, job.qtype, budget, 0);
    // Health checks are ballast's own questions: out of the client figures here too.
    if (!job.destination.internal) (a.fromCache ? rs.cacheHits : rs.cacheMisses).inc();
    trace.add(a.fromCache ? "cache hit" : "resolved");
  }
  if (a.rcode == dns::rcode::ServFail && !job.destination.internal) rs.servfails.inc();
  trace.add("answer " + dns::rcodeToString(a.rcode));
  if (trace.on()) core::warnLog("resolver {} trace: {}", name(), trace.text());
  if (!stopping_.load(std::memory_order_relaxed)) answer(job, a);
  active_.fetch_sub(1, std::memory_order_relaxed);
  rs.concurrent.fetch_sub(1, std::memory_order_relaxed);
  if (!job.destination.internal) clientActive_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace ballast::backends::resolver

namespace ballast::backends::resolver {

void ResolverInstance::answer(const Job& job, const Answer& a) {
  const auto& cfg = resolver_->config();
  std::vector<uint8_t> buf;
  bool overUdp = job.destination.sink == nullptr;
  writeAnswer(job, a, cfg.ednsBufferSize, cfg.nsid, overUdp, buf);
  size_t len = buf.size();
  if (job.destination.internal) {
    // A health check: the checker judges the answer; no client figure moves.
    job.destination.sink->deliver(job.destination, {buf.data(), len});
    return;
  }
  if (!core::processResponse(buf.data(), len, buf.size(), job.pending, config_->get().settings,
                             rt_.stats))
    return;
  int64_t latency = core::monotonicUsec() - job.receivedUsec;
  recordOutcome(false, a.rcode == dns::rcode::ServFail);
  stats.responses.inc();
  stats.latencyUsec.add(double(latency));
  rt_.stats.latency.record(uint64_t(latency < 0 ? 0 : latency));
  // Response rules and the response ring, as for remote servers; a rule may drop it or
  // delay it (which is why the destination is copied).
  core::Destination d = job.destination;
  if (!core::afterResponse(buf.data(), len, buf.size(), d, job.pending, config_->get(), rt_.stats,
                           latency))
    return;
  buf.resize(len);
  unsent_.push_back(std::move(buf));
  const auto& out = unsent_.back();
  core::sendToClient(d, out.data(), out.size(), sender_);
  if (sender_.pending() == 0) {
    unsent_.clear();  // a stream sink took it, or the batch just went out
  } else if (!flushScheduled_) {
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
