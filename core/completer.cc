// SPDX-License-Identifier: GPL-2.0-only
#include "core/completer.hh"

#include <algorithm>
#include <cstring>

#include "core/cache_tier.hh"
#include "core/clock.hh"
#include "core/pipeline.hh"
#include "core/rules/actions.hh"
#include "core/rules/apply.hh"
#include "dns/ecs.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::core {

namespace {

constexpr size_t kScratchSize = 65535;

uint32_t nowSeconds() {
  return uint32_t(monotonicUsec() / 1000000);
}

bool questionMatches(const dns::MessageView& m, const PendingQuery& p) {
  const auto& q = m.question();
  return q.qtype == p.qtype && q.qclass == p.qclass && q.name.equalsWire({p.qname, p.qnameLength});
}

/// Checks a backend's answer against the question it was asked and rewrites it for the
/// client: ID restored, qname letter case fixed up, TC answers cut to the question. False
/// (counted) when it is not an answer to this question.
bool checkAnswer(uint8_t* packet, size_t& len, size_t capacity, const PendingQuery& pending,
                 const Settings& settings, GlobalStats& stats) {
  if (len < dns::kHeaderSize || !dns::HeaderView(packet).qr()) {
    stats.nonCompliantResponses.inc();
    return false;
  }
  dns::HeaderView h(packet);
  if (h.qdcount() == 0) {
    // Without a question the answer cannot be matched to the query, so a collision is
    // likelier. As dnsdist: an error rcode (FORMERR, REFUSED, SERVFAIL... from a server that
    // did not understand the query) is relayed; NOERROR and NXDOMAIN, which would claim
    // something about the name, only on request (setAllowEmptyResponse).
    uint8_t rc = h.rcode();
    if ((rc == dns::rcode::NoError || rc == dns::rcode::NXDomain) && !settings.allowEmptyResponse) {
      stats.nonCompliantResponses.inc();
      return false;
    }
  } else {
    dns::MessageView m;
    if (dns::MessageView::parse({packet, len}, m) != dns::ParseError::None ||
        !questionMatches(m, pending)) {
      stats.nonCompliantResponses.inc();
      return false;
    }
    // The question is written uncompressed right after the header in any sane answer;
    // restore the client's letter case there (0x20 encoding, fixupCase).
    if (settings.fixupCase && m.question().name.offset() == dns::kHeaderSize &&
        m.question().name.inPacketLength() == pending.qnameLength) {
      std::memcpy(packet + dns::kHeaderSize, pending.qname, pending.qnameLength);
    }
    if (settings.truncateTC && h.tc()) len = dns::truncateToQuestion(packet, len, capacity, m);
  }
  // As dnsdist: the client's ID, and its RD and CD bits (clientFlags holds header bytes 2-3)
  // whatever the backend did to them.
  dns::HeaderRef out(packet);
  out.setId(pending.clientId);
  out.setRd((pending.clientFlags & 0x0100) != 0);
  out.setCd((pending.clientFlags & 0x0010) != 0);
  return true;
}

/// SERVFAIL to the question in `p`, made as every self-generated answer is
/// (rules::selfGeneratedResponse: the settings' EDNS payload size and OPT record): the
/// client's query is rebuilt in `out` and answered in place. Returns its length.
size_t writeServFail(const PendingQuery& p, const Settings& settings, std::vector<uint8_t>& out) {
  std::vector<uint8_t> query;
  dns::MessageWriter w(query, p.clientId, dns::Name::fromWire({p.qname, p.qnameLength}), p.qtype,
                       p.qclass);
  if (p.edns) w.addOpt(512, false);
  query[2] = uint8_t(p.clientFlags >> 8);  // RD, CD, opcode as the client sent them
  query[3] = uint8_t(p.clientFlags);
  std::copy(query.begin(), query.end(), out.begin());
  dns::MessageView m;
  if (dns::MessageView::parse({out.data(), query.size()}, m) != dns::ParseError::None) return 0;
  return rules::selfGeneratedResponse(out.data(), query.size(), out.size(), m, dns::rcode::ServFail,
                                      &settings);
}

/// The answer as the client is to see it: the ECS option ballast added to the query (or the
/// whole OPT record, when it added that too) taken out; an ECS option the client sent stays.
/// `zeroScope`: the query asked, and the server's ECS says the answer holds for every subnet.
size_t takeBackEcs(uint8_t* packet, size_t len, const PendingQuery& p, bool& zeroScope) {
  dns::MessageView m;
  if (dns::MessageView::parse({packet, len}, m) != dns::ParseError::None) return len;
  dns::ClientSubnet s;
  zeroScope = p.ecsZeroScope && dns::findClientSubnet(m, s) && s.scopePrefix == 0;
  if (p.ednsAdded) return dns::removeOptRecord(packet, len, m);
  if (p.ecsAdded) return dns::removeEdnsOption(packet, len, m, dns::kEcsOptionCode);
  return len;
}

}  // namespace

void PendingQuery::fill(const QueryContext& q) {
  dns::HeaderView h(q.packet);
  clientId = h.id();
  clientFlags = q.clientFlags;
  const auto& question = q.message.question();
  qtype = question.qtype;
  qclass = question.qclass;
  edns = q.message.edns().present && !q.ednsAdded;
  qnameLength = uint8_t(question.name.decompress(qname));
  cache = q.cache;
  cacheKey = q.cacheKey;
  tempFailureTTL = q.tempFailureTTL;
  ecsAdded = q.ecsAdded;
  ednsAdded = q.ednsAdded;
  ecsZeroScope = q.ecsZeroScope;
  cacheKeyNoEcs = q.cacheKeyNoEcs;
}

Completer::Result Completer::complete(Backend& from, const Completion& c, uint8_t* answer,
                                      size_t len, size_t capacity) {
  if (c.internal()) {
    // A health check: its checker judges the answer; no client figure moves.
    c.check_->checked(c.cookie_, {answer, len});
    return Result::Done;
  }
  const RuntimeConfig& cfg = reader_.get();
  if (!checkAnswer(answer, len, capacity, c.pending_, cfg.settings, stats_))
    return Result::Mismatch;
  dns::HeaderView h(answer);
  bool zeroScope = false;
  if ((c.pending_.ecsAdded || c.pending_.ecsZeroScope) && h.qdcount())
    len = takeBackEcs(answer, len, c.pending_, zeroScope);
  bool servFail = h.rcode() == dns::rcode::ServFail;
  countAnswer(from, c, false, servFail);
  // A stale answer beats a SERVFAIL (and is not replaced by it in the cache).
  if (servFail) {
    if (size_t n = staleAnswer(c, cfg.settings)) {
      finish(c, cfg, scratch_.data(), n, scratch_.size(), false, true);
      return Result::Done;
    }
  }
  finish(c, cfg, answer, len, capacity, h.qdcount() != 0, false, zeroScope);
  return Result::Done;
}

void Completer::fail(Backend& from, const Completion& c, Failure why) {
  if (c.internal()) return;
  switch (why) {
    case Failure::Timeout:
      stats_.downstreamTimeouts.inc();
      from.stats.drops.inc();
      from.recordOutcome(true, false);
      break;
    case Failure::SendError:
      stats_.downstreamSendErrors.inc();
      from.stats.drops.inc();
      from.recordOutcome(true, false);
      break;
    case Failure::ServFail:
      countAnswer(from, c, true, true);
      break;
  }
  const RuntimeConfig& cfg = reader_.get();
  // The client still gets an answer when the cache has a stale one (RFC 8767).
  size_t n = staleAnswer(c, cfg.settings);
  if (!n && why == Failure::ServFail) {
    if (scratch_.size() < kScratchSize) scratch_.resize(kScratchSize);
    n = writeServFail(c.pending_, cfg.settings, scratch_);
  }
  if (n) finish(c, cfg, scratch_.data(), n, scratch_.size(), false, true);
}

void Completer::countAnswer(Backend& from, const Completion& c, bool failed, bool servFail) {
  int64_t latency = monotonicUsec() - c.receivedUsec_;
  stats_.responses.inc();
  if (servFail) stats_.servfailResponses.inc();
  from.stats.responses.inc();
  if (failed) return;  // no answer came: no latency, and the supervisor judged the outcome
  from.recordOutcome(false, servFail);
  from.stats.latencyUsec.add(double(latency));
  stats_.latency.record(uint64_t(latency < 0 ? 0 : latency));
}

Completer::Result Completer::relay(Backend& from, const Completion& c, uint8_t* message, size_t len,
                                   bool first, bool more) {
  const PendingQuery& p = c.pending_;
  const Destination& d = c.destination_;
  const RuntimeConfig& cfg = reader_.get();
  if (first) {
    if (!checkAnswer(message, len, len, p, cfg.settings, stats_)) return Result::Mismatch;
  } else {
    // Later messages may leave the question out (RFC 5936 section 2.2): only the header is
    // the client's.
    if (len < dns::kHeaderSize || !dns::HeaderView(message).qr()) {
      stats_.nonCompliantResponses.inc();
      return Result::Mismatch;
    }
    dns::HeaderRef out(message);
    out.setId(p.clientId);
    out.setRd((p.clientFlags & 0x0100) != 0);
    out.setCd((p.clientFlags & 0x0010) != 0);
  }
  if (p.ecsAdded || p.ednsAdded) {
    bool zeroScope = false;
    len = takeBackEcs(message, len, p, zeroScope);
  }
  if (first) {
    uint8_t rc = dns::HeaderView(message).rcode();
    countAnswer(from, c, false, rc == dns::rcode::ServFail);
    recordRing(c, d, cfg, message, len, monotonicUsec());
    stats_.countFrontendRcode(rc);
  }
  if (d.sink) d.sink->deliverPart(d, {message, len}, more ? AnswerPart::More : AnswerPart::Whole);
  return Result::Done;
}

void Completer::abortTransfer(const Completion& c) {
  const Destination& d = c.destination_;
  if (d.sink) d.sink->deliverPart(d, {}, AnswerPart::Abort);
}

void Completer::recordRing(const Completion& c, const Destination& d, const RuntimeConfig& cfg,
                           const uint8_t* answer, size_t len, int64_t now) {
  const PendingQuery& p = c.pending_;
  dns::HeaderView h(answer);
  RingEntry e;
  e.whenUsec = now;
  e.requestor = d.client;
  e.qname = dns::Name::fromWire({p.qname, p.qnameLength});
  e.qtype = p.qtype;
  e.rcode = h.rcode();
  e.size = uint16_t(len);
  e.id = h.id();
  e.tcp = d.sink != nullptr;
  int64_t latency = now - c.receivedUsec_;
  e.latencyUsec = uint32_t(latency < 0 ? 0 : latency);
  cfg.rings->insertResponse(e);
}

size_t Completer::staleAnswer(const Completion& c, const Settings& settings) {
  const PendingQuery& p = c.pending_;
  if (!p.cache || !settings.staleOnBackendFailure || !settings.staleCacheEntriesTTL) return 0;
  if (scratch_.size() < kScratchSize) scratch_.resize(kScratchSize);
  // Fresh entries too: one may have arrived since this query missed.
  size_t n = 0;
  auto r = p.cache->lookup(p.cacheKey, p.clientId, {p.qname, p.qnameLength}, nowSeconds(),
                           scratch_.data(), scratch_.size(), n, PacketCache::Stale::Allowed,
                           settings.staleCacheEntriesTTL);
  if (r == PacketCache::Result::Miss) return 0;
  if (r == PacketCache::Result::StaleHit) stats_.cacheStaleHits.inc();
  return n;
}

void Completer::finish(const Completion& c, const RuntimeConfig& cfg, uint8_t* answer, size_t len,
                       size_t capacity, bool insert, bool own, bool zeroScope) {
  const PendingQuery& p = c.pending_;
  int64_t now = monotonicUsec();
  Destination d = c.destination_;  // a response rule may set a delay
  bool skipCache = false;          // or SetSkipCacheResponseAction
  if (!rules::processResponseChain(cfg.rules.response, answer, len, capacity, d, cfg, now,
                                   &skipCache))
    return;
  dns::HeaderView h(answer);
  recordRing(c, d, cfg, answer, len, now);
  // After the response rules, as dnsdist: what they changed is what the cache keeps, and
  // what they dropped it does not keep.
  if (insert && p.cache && !skipCache) {
    const CacheKey& key = zeroScope ? p.cacheKeyNoEcs : p.cacheKey;
    uint32_t ttl = p.cache->insert(key, answer, len, nowSeconds(), p.tempFailureTTL);
    if (CacheTier* tier = p.cache->tier(); ttl && tier)
      tier->store(key, {answer, len}, ttl, cfg.settings.staleCacheEntriesTTL);
  }
  stats_.countFrontendRcode(h.rcode());
  sendToClient(d, answer, len, sender_);
  if (own) sender_.flush();  // scratch_ is reused by the next answer made here
}

}  // namespace ballast::core
