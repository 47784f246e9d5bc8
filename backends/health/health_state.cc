// SPDX-License-Identifier: GPL-2.0-only
#include "backends/health/health_state.hh"

#include <algorithm>

#include "dns/header.hh"
#include "dns/message.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::backends::health {

HealthState::HealthState(const core::HealthCheckConfig& cfg)
    : lazy_(cfg.lazy),
      minSamples_(std::max<size_t>(cfg.lazyMinSampleCount, 1)),
      threshold_(cfg.lazyThreshold),
      failedIntervalUsec_(std::max<int64_t>(cfg.lazyFailedIntervalSec, 1) * 1000000),
      maxBackOffUsec_(std::max<int64_t>(cfg.lazyMaxBackOffSec, 1) * 1000000),
      backOff_(cfg.lazyBackOff),
      intervalUsec_(std::max<int64_t>(cfg.intervalSec, 1) * 1000000),
      timeoutUsec_(std::max<int64_t>(cfg.timeoutMs, 1) * 1000),
      maxFailures_(std::max(cfg.maxCheckFailures, 1)),
      rise_(std::max(cfg.rise, 1)) {}

void HealthState::sync(bool up) {
  if (up == up_) return;
  up_ = up;
  failures_ = 0;
  successes_ = 0;
  checkFailures_ = 0;
  if (lazy_) setLazy(up ? LazyStatus::Healthy : LazyStatus::Failed);
}

void HealthState::setLazy(LazyStatus s) {
  if (s != LazyStatus::Failed && s != lazyStatus_) resetSamples_ = true;
  lazyStatus_ = s;
}

bool HealthState::lazyEvaluate(size_t samples, size_t failures, int64_t nowUsec) {
  if (!lazy_ || lazyStatus_ != LazyStatus::Healthy || samples < minSamples_) return false;
  // dnsdist compares with >=: a threshold of 20 trips at 20 failures out of 100.
  if (100.0 * double(failures) < double(threshold_) * double(samples)) return false;
  setLazy(LazyStatus::PotentialFailure);
  failures_ = 0;
  successes_ = 0;
  nextUsec_ = nowUsec;
  return true;
}

int64_t HealthState::lazyDelayUsec() const {
  if (!backOff_) return failedIntervalUsec_;
  int64_t d = failedIntervalUsec_;
  for (int i = 0; i < checkFailures_ && d < maxBackOffUsec_; ++i) d *= 2;
  return std::min(d, maxBackOffUsec_);
}

uint32_t HealthState::sent(int64_t nowUsec) {
  if (++seq_ == 0) seq_ = 1;
  inFlight_ = true;
  sentUsec_ = nowUsec;
  // A check of a failed lazy backend waits its (backed-off) interval even if it times out.
  nextUsec_ =
      nowUsec + (lazy_ && lazyStatus_ == LazyStatus::Failed ? lazyDelayUsec() : intervalUsec_);
  return seq_;
}

Transition HealthState::answered(uint32_t seq, bool ok) {
  if (!inFlight_ || seq != seq_) return Transition::None;
  inFlight_ = false;
  return record(ok);
}

Transition HealthState::tick(int64_t nowUsec) {
  if (!inFlight_ || nowUsec - sentUsec_ < timeoutUsec_) return Transition::None;
  inFlight_ = false;
  return record(false);
}

Transition HealthState::record(bool ok) {
  if (ok) {
    failures_ = 0;
    checkFailures_ = 0;
    if (up_) {
      if (lazy_) setLazy(LazyStatus::Healthy);  // a suspected backend answered: all is well
      return Transition::None;
    }
    if (++successes_ < rise_) {
      if (lazy_) nextUsec_ = sentUsec_ + failedIntervalUsec_;
      return Transition::None;
    }
    up_ = true;
    successes_ = 0;
    if (lazy_) setLazy(LazyStatus::Healthy);
    return Transition::WentUp;
  }
  successes_ = 0;
  ++checkFailures_;
  if (!up_) {
    if (lazy_) nextUsec_ = sentUsec_ + lazyDelayUsec();
    return Transition::None;
  }
  if (++failures_ < maxFailures_) return Transition::None;
  up_ = false;
  failures_ = 0;
  if (lazy_) {
    setLazy(LazyStatus::Failed);
    nextUsec_ = sentUsec_ + lazyDelayUsec();
  }
  return Transition::WentDown;
}

std::vector<uint8_t> buildCheckQuery(const core::HealthCheckConfig& cfg, uint16_t id) {
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, id, cfg.checkName, cfg.checkType, cfg.checkClass);
  w.header().setRd(cfg.useRD);
  w.header().setCd(cfg.setCD);
  return buf;
}

std::vector<uint8_t> buildCheckQuery(const core::HealthCheckConfig& cfg, uint16_t id,
                                     CheckQuestion& asked, std::string& error) {
  asked = CheckQuestion{cfg.checkName, cfg.checkType, cfg.checkClass};
  if (!cfg.checkFunction) return buildCheckQuery(cfg, id);
  uint8_t header[12] = {};
  dns::HeaderRef h(header);
  h.setId(id);
  h.setRd(cfg.useRD);
  h.setCd(cfg.setCD);
  if (!cfg.checkFunction->build(asked.name, asked.type, asked.klass, header, error)) return {};
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, id, asked.name, asked.type, asked.klass);
  buf[2] = header[2];  // the flags as the function left them; ID and counts stay ours
  buf[3] = header[3];
  return buf;
}

bool checkResponse(std::span<const uint8_t> response, const core::HealthCheckConfig& cfg) {
  return checkResponse(response, cfg, CheckQuestion{cfg.checkName, cfg.checkType, cfg.checkClass});
}

bool checkResponse(std::span<const uint8_t> response, const core::HealthCheckConfig& cfg,
                   const CheckQuestion& asked) {
  dns::MessageView m;
  if (dns::MessageView::parse(response, m) != dns::ParseError::None) return false;
  auto h = m.header();
  if (!h.qr() || h.opcode() != 0 || !m.hasQuestion()) return false;
  const auto& q = m.question();
  if (q.qtype != asked.type || q.qclass != asked.klass || !q.name.equals(asked.name)) return false;
  uint8_t rcode = h.rcode();
  if (rcode == dns::rcode::ServFail) return false;
  if (cfg.mustResolve && (rcode == dns::rcode::NXDomain || rcode == dns::rcode::Refused))
    return false;
  return true;
}

}  // namespace ballast::backends::health
