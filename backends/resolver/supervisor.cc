// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/supervisor.hh"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "backends/resolver/answer_writer.hh"
#include "core/clock.hh"
#include "core/log.hh"

namespace ballast::backends::resolver {

RestartResult restartInstance(ResolverInstance& inst, const std::string& reason,
                              std::chrono::milliseconds drainBound,
                              std::chrono::milliseconds grace) {
  std::lock_guard guard(inst.lifecycle().restartMutex);
  if (inst.failed())
    throw std::runtime_error(inst.name() + " is down after a failure; its supervisor restarts it");
  RestartResult res;
  int64_t t0 = core::monotonicUsec();
  auto admin = inst.admin();
  inst.setAdmin(core::Backend::Admin::Down);
  // A frontend that chose this instance just before reads no newer state: give its submit()
  // time to land, so the drain below sees it.
  std::this_thread::sleep_for(grace);
  auto deadline = std::chrono::steady_clock::now() + drainBound;
  // Health checks too: one cut short would count as a failure and could take the instance
  // out of its pool after the restart, while a sibling restarts in turn.
  while (inst.inFlight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  res.leftInFlight = inst.outstanding();
  inst.stop();
  auto& life = inst.lifecycle();
  life.restarts.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(life.mutex);
    life.lastReason = reason;
  }
  try {
    inst.start();
  } catch (const std::exception& e) {
    core::warnLog("resolver {}: restart ({}) failed, left down: {}", inst.name(), reason, e.what());
    throw std::runtime_error(fmt::format("{} did not start again: {}", inst.name(), e.what()));
  }
  inst.setAdmin(admin);
  res.downUsec = core::monotonicUsec() - t0;
  core::warnLog("resolver {}: restarted ({}), out of the pool for {} ms{}", inst.name(), reason,
                res.downUsec / 1000,
                res.leftInFlight
                    ? fmt::format(", {} queries still in flight were cut", res.leftInFlight)
                    : std::string());
  return res;
}

std::vector<std::shared_ptr<ResolverInstance>> instancesOf(
    const std::vector<std::shared_ptr<core::Backend>>& servers, const std::string& name) {
  std::vector<std::shared_ptr<ResolverInstance>> out;
  for (const auto& b : servers) {
    auto inst = std::dynamic_pointer_cast<ResolverInstance>(b);
    if (inst && inst->resolver()->config().name == name) out.push_back(inst);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->index() < b->index(); });
  return out;
}

namespace {

/// Instances given up after a hang: their detached threads may wake up and touch them, so
/// they live as long as the process (reachable from here, so not a leak to LSan).
std::vector<std::shared_ptr<ResolverInstance>>& graveyard() {
  static auto* g = new std::vector<std::shared_ptr<ResolverInstance>>();
  return *g;
}

std::string describe(Failure f, const std::string& reason, const ResolverInstance& inst,
                     const InstanceProbe& p, int64_t nowUsec) {
  switch (f) {
    case Failure::Hung:
      return fmt::format("hung: no heartbeat for {} ms with {} questions in progress",
                         (nowUsec - p.heartbeatUsec) / 1000, inst.inFlight());
    case Failure::Memory:
      return fmt::format("over its memory bound: {} bytes, maxMemory {}", p.memoryBytes,
                         p.maxMemoryBytes);
    default:
      return reason;
  }
}

}  // namespace

void Supervisor::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      checkOnce(core::monotonicUsec());
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(settings_.checkIntervalMs),
                   [this] { return stopping_; });
    }
  });
}

void Supervisor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Supervisor::checkOnce(int64_t nowUsec) {
  auto servers = rt_.servers();
  for (const auto& b : servers) {
    auto inst = std::dynamic_pointer_cast<ResolverInstance>(b);
    if (!inst) continue;
    auto [it, added] = slots_.try_emplace(inst->name(), settings_);
    Slot& slot = it->second;
    if (added) slot.backoff.started(inst->lifecycle().startedUsec.load());
    if (slot.failure != Failure::None) {
      if (nowUsec >= slot.restartAtUsec) restart(inst, slot, nowUsec);
      continue;
    }
    std::unique_lock guard(inst->lifecycle().restartMutex, std::try_to_lock);
    if (!guard) continue;  // a rolling restart is at work on it
    InstanceProbe p = inst->probe();
    std::string reason;
    Failure f = judge(p, nowUsec, settings_, reason);
    if (f == Failure::None) continue;
    core::warnLog("resolver {}: {}; marked down", inst->name(),
                  describe(f, reason, *inst, p, nowUsec));
    onFailure(inst, servers, slot, f, reason, nowUsec);
  }
}

void Supervisor::onFailure(const std::shared_ptr<ResolverInstance>& inst,
                           const std::vector<std::shared_ptr<core::Backend>>& servers, Slot& slot,
                           Failure f, const std::string& reason, int64_t nowUsec) {
  inst->setFailed(true);  // policies skip it from the next query on
  inst->setHealthy(false);
  if (f == Failure::Hung) {
    // Its thread cannot be joined: let it go, and keep what it may touch alive.
    inst->abandon();
    graveyard().push_back(inst);
  }
  Handover h = handOver(*inst, servers);
  completer_.release();  // the snapshot holds the pools, which hold the instances
  // The loop ended by itself (threw) or ends now, its questions claimed above (memory).
  if (f != Failure::Hung) inst->stop();
  {
    auto& life = inst->lifecycle();
    std::lock_guard lock(life.mutex);
    life.lastReason = reason;
  }
  slot.failure = f;
  slot.reason = reason;
  slot.failedAtUsec = nowUsec;
  int64_t delay = slot.backoff.failed(nowUsec);
  slot.restartAtUsec = nowUsec + delay;
  core::warnLog(
      "resolver {}: {} questions handed to siblings, {} answered stale or SERVFAIL; restart in "
      "{} ms",
      inst->name(), h.toSiblings, h.answered, delay / 1000);
}

Supervisor::Handover Supervisor::handOver(
    ResolverInstance& inst, const std::vector<std::shared_ptr<core::Backend>>& servers) {
  Handover h;
  std::vector<std::shared_ptr<ResolverInstance>> siblings;
  for (auto& s : instancesOf(servers, inst.resolver()->config().name))
    if (s.get() != &inst && s->isUp()) siblings.push_back(s);
  uint64_t suspect = inst.suspect();
  for (const auto& t : inst.takenJobs()) {
    if (!t->claim()) continue;  // answered meanwhile
    // The question it choked on would take a sibling down too; one handed over once
    // already has failed two instances.
    bool handable = t->id != suspect && t->job.handovers == 0;
    bool taken = false;
    for (size_t k = 0; handable && !taken && k < siblings.size(); ++k)
      taken = siblings[nextSibling_++ % siblings.size()]->adopt(t->job);
    if (taken) {
      ++h.toSiblings;
    } else if (!t->job.done.internal()) {  // a health check is left to time out
      answerFailed(inst, t->job);
      ++h.answered;
    }
  }
  return h;
}

void Supervisor::answerFailed(ResolverInstance& inst, const Job& job) {
  // A stale answer from the pool's cache if there is one, else SERVFAIL.
  completer_.fail(inst, job.done, core::Completer::Failure::ServFail);
}

void Supervisor::restart(const std::shared_ptr<ResolverInstance>& inst, Slot& slot,
                         int64_t nowUsec) {
  std::unique_lock guard(inst->lifecycle().restartMutex, std::try_to_lock);
  if (!guard) return;
  auto& life = inst->lifecycle();
  try {
    if (slot.failure == Failure::Hung) {
      // A new object in the stuck one's place, with what the operator set on the old one.
      auto fresh = std::make_shared<ResolverInstance>(inst->resolver(), inst->index(), rt_);
      fresh->setPools(inst->pools());
      fresh->setAdmin(inst->admin());
      fresh->setWeight(inst->weight());
      fresh->setQpsLimit(inst->qpsLimit());
      fresh->healthCheck = inst->healthCheck;
      fresh->reloadKey = inst->reloadKey;  // a reload still sees the same instance
      if (fresh->healthCheck.lazy) fresh->lazySamples.resize(fresh->healthCheck.lazySampleSize);
      auto& next = fresh->lifecycle();
      next.restarts.store(life.restarts.load() + 1);
      next.lastReason = slot.reason;
      if (!rt_.replaceServer(inst, fresh)) return;  // removed meanwhile
    } else {
      inst->clearAfterFailure();
      inst->start();
      life.restarts.fetch_add(1);
      inst->setHealthy(true);
      inst->setFailed(false);
    }
  } catch (const std::exception& e) {
    int64_t delay = slot.backoff.failed(nowUsec);
    slot.restartAtUsec = nowUsec + delay;
    core::warnLog("resolver {}: restart failed, next try in {} ms: {}", inst->name(), delay / 1000,
                  e.what());
    return;
  }
  core::warnLog("resolver {}: restarted ({}), down for {} ms", inst->name(), slot.reason,
                (nowUsec - slot.failedAtUsec) / 1000);
  slot.failure = Failure::None;
  slot.backoff.started(nowUsec);
}

}  // namespace ballast::backends::resolver
