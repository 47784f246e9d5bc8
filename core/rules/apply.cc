// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/apply.hh"

#include "core/backend.hh"
#include "core/rules/actions.hh"
#include "core/rules/http.hh"
#include "core/runtime_config.hh"
#include "core/stats.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::core::rules {

uint64_t nextRuleId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

namespace {

void countAnswer(const uint8_t* packet, GlobalStats& stats) {
  dns::HeaderView h(packet);
  switch (h.rcode()) {
    case dns::rcode::NXDomain:
      stats.ruleNXDomain.inc();
      break;
    case dns::rcode::Refused:
      stats.ruleRefused.inc();
      break;
    case dns::rcode::ServFail:
      stats.ruleServFail.inc();
      break;
    default:
      break;
  }
  if (h.tc()) stats.ruleTruncated.inc();
}

}  // namespace

namespace {

void recordQuery(const QueryContext& q, const RuntimeConfig& cfg) {
  const auto& question = q.message.question();
  cfg.rings->recordQuery(q.receivedUsec, q.destination.client, question.name, question.qtype,
                         uint16_t(q.length), dns::HeaderView(q.packet).id(),
                         q.destination.sink != nullptr);
}

/// The dynamic block covering the client, or else the query name, if any: its action, as a
/// verdict.
Verdict applyDynBlock(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats) {
  if (cfg.dynBlocks->empty()) return Verdict::None;
  const DynBlock* b = cfg.dynBlocks->find(q.destination.client, q.receivedUsec);
  if (!b && cfg.dynBlocks->hasNames())
    b = cfg.dynBlocks->findName(q.message.question().name.toName(), q.receivedUsec);
  if (!b) return Verdict::None;
  b->blocks.inc();
  if (b->warning) return Verdict::None;
  stats.dynBlocked.inc();
  uint8_t rcode = dns::rcode::Refused;
  switch (b->action) {
    case DynBlockAction::NoOp:
      return Verdict::None;
    case DynBlockAction::Drop:
      return Verdict::Drop;
    case DynBlockAction::Refused:
      break;
    case DynBlockAction::NXDomain:
      rcode = dns::rcode::NXDomain;
      break;
    case DynBlockAction::Truncate:
      if (q.destination.sink) return Verdict::None;  // over TCP already
      q.length = selfGeneratedResponse(q.packet, q.length, q.capacity, q.message,
                                       dns::rcode::NoError, &cfg.settings);
      dns::HeaderRef(q.packet).setTc(true);
      return Verdict::Answer;
  }
  q.length = selfGeneratedResponse(q.packet, q.length, q.capacity, q.message, rcode, &cfg.settings);
  return Verdict::Answer;
}

}  // namespace

Verdict processQueryRules(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats) {
  recordQuery(q, cfg);
  if (Verdict v = applyDynBlock(q, cfg, stats); v != Verdict::None) return v;
  const QueryChain& chain = cfg.rules.query;
  if (chain.empty()) return Verdict::None;
  DQ dq;
  dq.packet = q.packet;
  dq.length = q.length;
  dq.capacity = q.capacity;
  dq.message = q.message;
  dq.qname = q.message.question().name.toName();
  dq.remote = &q.destination.client;
  dq.local = &q.destination.local;
  dq.tcp = q.destination.sink != nullptr;
  dq.delayMsec = dq.tcp ? nullptr : &q.destination.delayMsec;
  dq.query = &q;
  dq.tags = &q.tags;
  dq.config = &cfg;
  dq.nowUsec = q.receivedUsec;
  if (q.http && !q.http->sni.empty())
    dq.sni = &q.http->sni;
  else if (q.destination.sni)
    dq.sni = q.destination.sni;
  // Actions that go on may have rewritten the query (SetEDNSOptionAction): what goes to
  // the backend is what they left.
  auto keep = [&] {
    q.length = dq.length;
    q.message = dq.message;
  };
  for (size_t i = firstMatch(chain, 0, dq); i < chain.size(); i = firstMatch(chain, i + 1, dq)) {
    Verdict v = chain[i]->action->apply(dq);
    switch (v) {
      case Verdict::None:
        continue;
      case Verdict::Allow:
      case Verdict::Pool:
        keep();
        return Verdict::None;
      case Verdict::Drop:
        stats.ruleDrop.inc();
        return Verdict::Drop;
      case Verdict::Answer:
        q.length = dq.length;
        countAnswer(q.packet, stats);
        if (!processResponseChain(cfg.rules.selfAnswered, q.packet, q.length, q.capacity,
                                  q.destination, cfg, q.receivedUsec, nullptr, &q.tags))
          return Verdict::Drop;
        return Verdict::Answer;
    }
  }
  keep();
  return Verdict::None;
}

bool processResponseChain(const ResponseChain& chain, uint8_t* packet, size_t& len, size_t capacity,
                          Destination& d, const RuntimeConfig& cfg, int64_t nowUsec,
                          bool* skipCacheInsert,
                          std::vector<std::pair<std::string, std::string>>* tags) {
  if (chain.empty()) return true;
  DQ dr;
  std::vector<std::pair<std::string, std::string>> own;  // allocates only when a rule tags
  dr.tags = tags ? tags : &own;
  if (len < dns::kHeaderSize || dns::HeaderView(packet).qdcount() == 0 ||
      dns::MessageView::parse({packet, len}, dr.message) != dns::ParseError::None)
    return true;
  dr.packet = packet;
  dr.length = len;
  dr.capacity = capacity;
  dr.qname = dr.message.question().name.toName();
  dr.remote = &d.client;
  dr.local = &d.local;
  dr.tcp = d.sink != nullptr;
  dr.delayMsec = dr.tcp ? nullptr : &d.delayMsec;
  dr.response = true;
  dr.skipCacheInsert = skipCacheInsert;
  dr.config = &cfg;
  dr.nowUsec = nowUsec;
  for (size_t i = firstMatch(chain, 0, dr); i < chain.size(); i = firstMatch(chain, i + 1, dr)) {
    ResponseVerdict v = chain[i]->action->apply(dr);
    if (v == ResponseVerdict::Drop) return false;
    if (v == ResponseVerdict::Allow) break;
  }
  len = dr.length;
  return true;
}

bool processCacheHitResponse(uint8_t* packet, size_t& len, size_t capacity, Destination& d,
                             const RuntimeConfig& cfg, int64_t nowUsec,
                             std::vector<std::pair<std::string, std::string>>* tags) {
  return processResponseChain(cfg.rules.cacheHit, packet, len, capacity, d, cfg, nowUsec, nullptr,
                              tags);
}

}  // namespace ballast::core::rules
