// SPDX-License-Identifier: GPL-2.0-only
#include "backends/health/health_checker.hh"

#include <chrono>
#include <string>
#include <vector>

#include "core/clock.hh"
#include "core/log.hh"

namespace ballast::backends::health {

namespace {
constexpr auto kTick = std::chrono::milliseconds(20);  // timer resolution of checks

}  // namespace

HealthChecker::~HealthChecker() {
  stop();
}

void HealthChecker::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void HealthChecker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthChecker::loop() {
  std::unique_lock lock(mutex_);
  std::vector<Due> due;
  while (!stopping_) {
    int64_t now = core::monotonicUsec();
    runOnce(now, due);
    std::vector<std::shared_ptr<core::Backend>> released;
    released.swap(released_);
    lock.unlock();
    released.clear();
    for (const auto& d : due) send(d, now);
    due.clear();  // unlocked: a removed server's last reference may join its responder
    lock.lock();
    cv_.wait_for(lock, kTick, [this] { return stopping_; });
  }
}

void HealthChecker::syncServers() {
  auto servers = rt_.servers();
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool present = false;
    for (const auto& s : servers) present = present || s == it->second.backend;
    if (!present) released_.push_back(std::move(it->second.backend));
    it = present ? std::next(it) : entries_.erase(it);
  }
  for (const auto& s : servers) {
    bool known = false;
    for (const auto& [key, e] : entries_) known = known || e.backend == s;
    if (!known) entries_.emplace(nextKey_++, Entry{s, HealthState(s->healthCheck), {}});
  }
}

void HealthChecker::runOnce(int64_t nowUsec, std::vector<Due>& due) {
  syncServers();
  for (auto& [key, e] : entries_) {
    e.state.sync(e.backend->healthy());
    bool waiting = e.state.inFlight();
    Transition t = e.state.tick(nowUsec);
    if (waiting && !e.state.inFlight() && core::verboseHealthChecks().load())
      core::warnLog("Timeout while waiting for the health check response from {}",
                    e.backend->nameWithAddress());
    apply(e, t);
    bool automatic = e.backend->admin() == core::Backend::Admin::Auto;
    if (automatic && e.state.lazy() && e.state.lazyStatus() == LazyStatus::Healthy) {
      auto [samples, failures] = e.backend->lazySamples.count();
      if (e.state.lazyEvaluate(samples, failures, nowUsec))
        core::infoLog(
            "Backend {} reached the lazy health-check threshold ({} failures out of "
            "{} queries), checking it",
            e.backend->nameWithAddress(), failures, samples);
    }
    if (e.state.takeSampleReset()) e.backend->lazySamples.clear();
    if (automatic && e.state.due(nowUsec)) due.push_back({key, e.state.sent(nowUsec), e.backend});
  }
}

void HealthChecker::send(const Due& d, int64_t nowUsec) {
  CheckQuestion asked;
  std::string error;
  std::vector<uint8_t> packet =
      buildCheckQuery(d.backend->healthCheck, uint16_t(random_()), asked, error);
  bool taken = !packet.empty();
  if (!taken)
    core::warnLog("Error in the health-check function of {}, the check fails: {}",
                  d.backend->nameWithAddress(), error);
  core::UdpSender out;
  dns::MessageView message;
  core::Query q{packet.data(), packet.size(), &message, &out};
  if (taken) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(d.key);
    if (it == entries_.end()) return;  // removed meanwhile
    it->second.asked = asked;
    taken =
        dns::MessageView::parse({packet.data(), packet.size()}, message) == dns::ParseError::None;
  }
  auto done = core::Completion::healthCheck(*this, (uint64_t(d.key) << 32) | d.seq, nowUsec);
  taken = taken && d.backend->submit(q, done);
  out.flush();  // a send error leaves the check to time out
  if (taken) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(d.key);
  if (it != entries_.end()) apply(it->second, it->second.state.answered(d.seq, false));
}

void HealthChecker::checked(uint64_t cookie, std::span<const uint8_t> response) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(uint32_t(cookie >> 32));
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.state.sync(e.backend->healthy());
  bool ok = checkResponse(response, e.backend->healthCheck, e.asked);
  if (!ok && core::verboseHealthChecks().load())
    core::warnLog("Invalid health check response from {} ({} bytes{})",
                  e.backend->nameWithAddress(), response.size(),
                  response.size() >= 4 ? fmt::format(", rcode {}", response[3] & 0xf) : "");
  apply(e, e.state.answered(uint32_t(cookie), ok));
  if (e.state.takeSampleReset()) e.backend->lazySamples.clear();
}

void HealthChecker::apply(Entry& e, Transition t) {
  if (t == Transition::None) return;
  bool up = t == Transition::WentUp;
  e.backend->setHealthy(up);
  if (up) e.backend->wentUp();
  e.backend->stats.stateChanges.inc();
  core::warnLog("Marking downstream {} as '{}'", e.backend->nameWithAddress(), up ? "up" : "down");
}

}  // namespace ballast::backends::health
