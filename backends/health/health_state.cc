// SPDX-License-Identifier: GPL-2.0-only
#include "backends/health/health_state.hh"

#include <algorithm>

#include "dns/header.hh"
#include "dns/message.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::backends::health {

HealthState::HealthState(const core::HealthCheckConfig& cfg)
    : intervalUsec_(std::max<int64_t>(cfg.intervalSec, 1) * 1000000),
      timeoutUsec_(std::max<int64_t>(cfg.timeoutMs, 1) * 1000),
      maxFailures_(std::max(cfg.maxCheckFailures, 1)),
      rise_(std::max(cfg.rise, 1)) {}

void HealthState::sync(bool up) {
  if (up == up_) return;
  up_ = up;
  failures_ = 0;
  successes_ = 0;
}

uint32_t HealthState::sent(int64_t nowUsec) {
  if (++seq_ == 0) seq_ = 1;
  inFlight_ = true;
  sentUsec_ = nowUsec;
  nextUsec_ = nowUsec + intervalUsec_;
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
    if (up_ || ++successes_ < rise_) return Transition::None;
    up_ = true;
    successes_ = 0;
    return Transition::WentUp;
  }
  successes_ = 0;
  if (!up_ || ++failures_ < maxFailures_) return Transition::None;
  up_ = false;
  failures_ = 0;
  return Transition::WentDown;
}

std::vector<uint8_t> buildCheckQuery(const core::HealthCheckConfig& cfg, uint16_t id) {
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, id, cfg.checkName, cfg.checkType, cfg.checkClass);
  w.header().setRd(cfg.useRD);
  w.header().setCd(cfg.setCD);
  return buf;
}

bool checkResponse(std::span<const uint8_t> response, const core::HealthCheckConfig& cfg) {
  dns::MessageView m;
  if (dns::MessageView::parse(response, m) != dns::ParseError::None) return false;
  auto h = m.header();
  if (!h.qr() || h.opcode() != 0 || !m.hasQuestion()) return false;
  const auto& q = m.question();
  if (q.qtype != cfg.checkType || q.qclass != cfg.checkClass || !q.name.equals(cfg.checkName))
    return false;
  uint8_t rcode = h.rcode();
  if (rcode == dns::rcode::ServFail) return false;
  if (cfg.mustResolve && (rcode == dns::rcode::NXDomain || rcode == dns::rcode::Refused))
    return false;
  return true;
}

}  // namespace ballast::backends::health
