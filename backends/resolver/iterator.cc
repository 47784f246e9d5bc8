// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/iterator.hh"

#include <fmt/format.h>

#include <algorithm>

#include "core/clock.hh"
#include "dns/header.hh"
#include "dns/rdata.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver {

namespace {

int64_t nowSec() {
  return core::monotonicUsec() / 1000000;
}

int64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// Minimised questions at most per iteration (RFC 9156's MAX_MINIMISE_COUNT).
constexpr int kMaxMinimiseSteps = 10;
/// A resolution's time budget in outgoingTimeouts: a client question is answered (SERVFAIL
/// at worst) within 4 x outgoingTimeout; one zone's servers get 3 (askCut).
constexpr int64_t kResolutionTimeouts = 4;
/// Rounds over a zone's servers in one step: the first and two retransmissions.
constexpr int kMaxRounds = 3;
/// After a failed priming, the hints are used as they are for this long.
constexpr int64_t kPrimeRetryUsec = 5'000'000;

}  // namespace

void Trace::add(const std::string& what) {
  if (!on_) return;
  text_ += fmt::format("{}+{}ns {}", text_.empty() ? "" : "; ", nowNs() - startNs_, what);
}

namespace {

/// Keeps track of the cached verdicts an answer is made of.
void noteVerdict(Answer& a, const CacheEntry& e) {
  if (!e.validated)
    a.allCachedValidated = false;
  else
    a.cachedVerdict = dnssec::worst(a.cachedVerdict, e.verdict);
}

/// A cached entry's RRSIGs (after its RRset in the answer) and proofs (in the authority).
void appendSignatures(Answer& a, const dns::Name& owner, uint32_t ttl, const Signatures& sigs) {
  for (const auto& rd : sigs.rrsigs) a.answer.push_back({owner, dns::qtype::RRSIG, ttl, rd});
  for (const auto& r : sigs.proofs) a.authority.push_back(r);
}

void negative(Answer& a, const CacheEntry& e, const dns::Name& owner, uint16_t type) {
  noteVerdict(a, e);
  if (e.soa) a.authority.push_back(*e.soa);
  for (const auto& r : e.sigs.proofs) a.authority.push_back(r);
  a.negative = true;
  a.negOwner = owner;
  a.negType = type;
}

}  // namespace

bool Iterator::usable(const CacheEntry& e, const Budget& b) const {
  if (!answersClients(e.rank)) return false;
  // Never validated and nothing to validate it with: from a cache file, or cached by a
  // resolution that did not validate. A validating resolution asks again.
  return !(b.validating && !e.validated && e.sigs.empty());
}

Iterator::CacheResult Iterator::fromCache(const dns::Name& name, uint16_t qtype, Answer& a,
                                          dns::Name& next, const Budget& b) {
  auto& cache = r_.cache();
  int64_t now = nowSec();
  if (auto nx = cache.get(name, RecordCache::kNxType, now); nx && usable(*nx, b)) {
    negative(a, *nx, name, RecordCache::kNxType);
    return CacheResult::NxDomain;
  }
  if (auto e = cache.get(name, qtype, now); e && usable(*e, b)) {
    if (e->kind == EntryKind::NoData) {
      negative(a, *e, name, qtype);
      return CacheResult::NoData;
    }
    for (auto& rd : e->rdatas) a.answer.push_back({name, qtype, e->ttl, std::move(rd)});
    appendSignatures(a, name, e->ttl, e->sigs);
    noteVerdict(a, *e);
    return CacheResult::Hit;
  }
  if (qtype == dns::qtype::CNAME || qtype == dns::qtype::DNAME) return CacheResult::Miss;
  switch (fromCacheAbove(name, now, a, next, b)) {
    case Above::NxDomain:
      return CacheResult::NxDomain;
    case Above::Dname:
      return CacheResult::Cname;
    case Above::Nothing:
      break;
  }
  if (auto c = cache.get(name, dns::qtype::CNAME, now);
      c && usable(*c, b) && c->kind == EntryKind::Positive &&
      dns::rdataTarget(dns::qtype::CNAME, c->rdatas[0], next)) {
    a.answer.push_back({name, dns::qtype::CNAME, c->ttl, c->rdatas[0]});
    appendSignatures(a, name, c->ttl, c->sigs);
    noteVerdict(a, *c);
    return CacheResult::Cname;
  }
  return CacheResult::Miss;
}

Iterator::Above Iterator::fromCacheAbove(const dns::Name& name, int64_t now, Answer& a,
                                         dns::Name& next, const Budget& b) {
  // Nearest ancestor first. A cached NXDOMAIN covers every name below it (RFC 8020). A
  // DNAME rewrites every name below its owner (RFC 6672): the client gets the DNAME and
  // the CNAME synthesised from it, then what the new name leads to.
  auto& cache = r_.cache();
  for (size_t labels = name.labelCount(); labels-- > 1;) {
    dns::Name owner = ancestor(name, labels);
    if (auto nx = cache.get(owner, RecordCache::kNxType, now); nx && usable(*nx, b)) {
      negative(a, *nx, owner, RecordCache::kNxType);
      return Above::NxDomain;
    }
    auto d = cache.get(owner, dns::qtype::DNAME, now);
    if (!d || !usable(*d, b) || d->kind != EntryKind::Positive) continue;
    dns::Name target;
    if (!dns::rdataTarget(dns::qtype::DNAME, d->rdatas[0], target) ||
        !dnameSubstitute(name, owner, target, next))
      return Above::Nothing;
    a.answer.push_back({owner, dns::qtype::DNAME, d->ttl, d->rdatas[0]});
    appendSignatures(a, owner, d->ttl, d->sigs);
    noteVerdict(a, *d);
    auto w = next.wire();
    a.answer.push_back({name, dns::qtype::CNAME, d->ttl, {w.begin(), w.end()}});
    return Above::Dname;
  }
  return Above::Nothing;
}

Task<Answer> Iterator::resolve(dns::Name qname, uint16_t qtype, Budget& b, int nsDepth) {
  Answer a;
  if (b.deadlineUsec == INT64_MAX)
    b.deadlineUsec =
        core::monotonicUsec() + kResolutionTimeouts * r_.config().outgoingTimeoutMs * 1000;
  dns::Name name = qname;
  int links = 0;
  bool askedShared = false;  // for `name`
  for (;;) {
    dns::Name next;
    switch (fromCache(name, qtype, a, next, b)) {
      case CacheResult::Hit:
      case CacheResult::NoData:
        a.rcode = dns::rcode::NoError;
        co_return a;
      case CacheResult::NxDomain:
        a.rcode = dns::rcode::NXDomain;
        co_return a;
      case CacheResult::Cname:
        if (++links > r_.config().maxChain) co_return a;
        name = next;
        askedShared = false;
        continue;
      case CacheResult::Miss:
        break;
    }
    if (mailbox_ && !askedShared) {
      // The shared tier before iterating; what it found is read from the cache again.
      askedShared = true;
      if (co_await fromShared(name, qtype, b)) continue;
    }
    if (b.trace)
      b.trace->add(fmt::format("cache miss {} {}", name.toString(), dns::qtypeToString(qtype)));
    a.fromCache = false;
    a.allCachedValidated = false;
    Step s = co_await iterate(name, qtype, b, nsDepth);
    for (auto& rec : s.records) {
      rec.ttl = std::min(rec.ttl, r_.config().cache.maxTtl);  // as if it came from the cache
      a.answer.push_back(std::move(rec));
    }
    switch (s.kind) {
      case Step::Kind::Answer:
        a.rcode = dns::rcode::NoError;
        for (auto& r : s.proofs) a.authority.push_back(std::move(r));
        co_return a;
      case Step::Kind::NxDomain:
      case Step::Kind::NoData:
        a.rcode = s.kind == Step::Kind::NxDomain ? dns::rcode::NXDomain : dns::rcode::NoError;
        if (s.soa) {
          // As if it came from the negative cache: the SOA's TTL, already at most its
          // MINIMUM (classify), is capped by maxNegativeTTL.
          s.soa->ttl = std::min(s.soa->ttl, r_.config().cache.maxNegativeTtl);
          a.authority.push_back(*s.soa);
        }
        for (auto& r : s.proofs) {
          r.ttl = std::min(r.ttl, r_.config().cache.maxNegativeTtl);
          a.authority.push_back(std::move(r));
        }
        a.negative = true;
        a.negType = s.kind == Step::Kind::NxDomain ? RecordCache::kNxType : qtype;
        a.negOwner = name;
        if (s.kind == Step::Kind::NxDomain) {
          // The NXDOMAIN is for the last name of the chain (classify caches it there).
          for (const auto& r : a.answer)
            if (r.type == dns::qtype::CNAME)
              dns::rdataTarget(dns::qtype::CNAME, r.rdata, a.negOwner);
        }
        co_return a;
      case Step::Kind::Cname:
        links += int(std::count_if(s.records.begin(), s.records.end(),
                                   [](const Record& r) { return r.type != dns::qtype::RRSIG; }));
        if (links > r_.config().maxChain) {
          a.rcode = dns::rcode::ServFail;
          co_return a;
        }
        name = s.next;
        askedShared = false;
        continue;
      default:
        a.rcode = dns::rcode::ServFail;
        co_return a;
    }
  }
}

Task<bool> Iterator::fromShared(const dns::Name& name, uint16_t qtype, Budget& b) {
  core::KeyValueTier& tier = *r_.sharedTier();
  auto& stats = r_.stats();
  if (loop_.stopping()) co_return false;
  if (!tier.usable()) {
    tier.countSkipped();
    stats.redisSkipped.inc();
    if (b.trace) b.trace->add("shared cache not asked (breaker open or not connected)");
    co_return false;
  }
  int64_t wait = std::min(tier.budgetUsec(), b.deadlineUsec - core::monotonicUsec());
  if (wait <= 0) co_return false;
  bool dnssecData = r_.config().dnssec != DnssecMode::Off;
  auto f = std::make_shared<SharedFetch>();
  std::vector<std::string> keys;
  auto want = [&](uint16_t type) {
    f->cacheKeys.push_back(cacheKeyOf(name, type));
    keys.push_back(sharedKey(f->cacheKeys.back(), dnssecData));
  };
  want(RecordCache::kNxType);
  want(qtype);
  if (qtype != dns::qtype::CNAME && qtype != dns::qtype::DNAME) want(dns::qtype::CNAME);
  mailbox_->lookup(tier, std::move(keys), f);
  co_await loop_.wait(f->baton, wait);
  if (!f->done || f->failed) {
    // Over the budget (the tier counts its own timeout too) or failed: iterate.
    stats.redisErrors.inc();
    if (b.trace) b.trace->add(f->done ? "shared cache failed" : "shared cache over its budget");
    co_return false;
  }
  stats.redisCorrupt.inc(f->corrupt);
  if (f->found.empty()) {
    stats.redisMisses.inc();
    if (b.trace) b.trace->add("shared cache miss");
    co_return false;
  }
  stats.redisHits.inc();
  if (b.trace) b.trace->add(fmt::format("shared cache hit ({} entries)", f->found.size()));
  // As entries from a cache file: the rank they had, no verdict (validated again on use; a
  // value in Redis is no trust anchor), never written back.
  int64_t now = nowSec();
  for (auto& e : f->found)
    r_.cache().restore(e.key, e.kind, e.rank, e.ttl, std::move(e.rdatas), std::move(e.soa), now,
                       std::move(e.sigs));
  co_return true;
}

Cut Iterator::closestCut(const dns::Name& name, uint16_t qtype) {
  Cut cut;
  const ForwardZone* fz = r_.forwardZoneFor(name);
  int64_t now = nowSec();
  size_t floor = fz ? fz->zone.labelCount() : 0;
  // A DS lives on the parent side of its cut (RFC 4035 section 4.2): the zone named by the
  // question is not a cut to ask it of.
  size_t top = name.labelCount() - (qtype == dns::qtype::DS && name.labelCount() > 0 ? 1 : 0);
  for (size_t labels = top; labels > floor; --labels) {
    dns::Name zone = ancestor(name, labels);
    auto ns = r_.cache().get(zone, dns::qtype::NS, now);
    if (!ns || ns->kind != EntryKind::Positive) continue;
    cut.zone = zone;
    for (const auto& rd : ns->rdatas) {
      dns::Name target;
      if (dns::rdataTarget(dns::qtype::NS, rd, target)) cut.nsNames.push_back(target);
    }
    if (!cut.nsNames.empty()) return cut;
  }
  if (!fz) {
    // The root's own NS set, once primed (its addresses are cached with it).
    auto ns = r_.cache().get(dns::Name(), dns::qtype::NS, now);
    if (ns && ns->kind == EntryKind::Positive) {
      cut.zone = dns::Name();
      for (const auto& rd : ns->rdatas) {
        dns::Name target;
        if (dns::rdataTarget(dns::qtype::NS, rd, target)) cut.nsNames.push_back(target);
      }
      if (!cut.nsNames.empty()) return cut;
    }
  }
  if (fz) {
    cut.zone = fz->zone;
    cut.addresses = fz->servers;
    cut.forward = true;
    return cut;
  }
  cut.zone = dns::Name();
  cut.nsNames.clear();
  cut.addresses = r_.config().rootHints;
  cut.fromHints = true;
  return cut;
}

Task<bool> Iterator::prime(Budget& b, int nsDepth) {
  int64_t now = core::monotonicUsec();
  if (now < primeRetryUsec_) co_return false;
  if (b.trace) b.trace->add("priming the root");
  Cut hints;
  hints.addresses = r_.config().rootHints;
  hints.fromHints = true;
  Step s = co_await askCut(hints, dns::Name(), dns::qtype::NS, b, nsDepth);
  auto ns = r_.cache().get(dns::Name(), dns::qtype::NS, nowSec());
  bool ok = s.kind == Step::Kind::Answer && ns && ns->kind == EntryKind::Positive;
  if (!ok) primeRetryUsec_ = core::monotonicUsec() + kPrimeRetryUsec;
  co_return ok;
}

Detached Iterator::primeAtStart() {
  if (r_.forwardZoneFor(dns::Name())) co_return;
  Budget b{r_.config().maxQueriesPerResolution, nullptr};
  try {
    co_await prime(b, 0);
  } catch (const std::exception&) {
    // Out of memory at start: the first question primes again.
  }
}

Task<std::vector<core::Address>> Iterator::addressesOf(const Cut& cut, Budget& b, int nsDepth) {
  std::vector<core::Address> out = cut.addresses;
  if (!out.empty()) co_return out;
  int64_t now = nowSec();
  auto add = [&](uint16_t type, const std::vector<uint8_t>& rd) {
    if (auto a = serverAddress(type, rd)) out.push_back(*a);
  };
  // Any rank will do to reach a server, glue included (it passed the bailiwick check).
  for (const auto& ns : cut.nsNames) {
    for (uint16_t type : {dns::qtype::A, dns::qtype::AAAA}) {
      auto e = r_.cache().get(ns, type, now);
      if (e && e->kind == EntryKind::Positive)
        for (const auto& rd : e->rdatas) add(type, rd);
    }
  }
  if (out.empty() && cut.zone.isRoot() && !cut.forward) {
    // Primed root servers without a cached address (expired glue): back to the hints.
    out = r_.config().rootHints;
    co_return out;
  }
  if (!out.empty() || nsDepth >= r_.config().maxNsDepth) co_return out;
  // No glue: resolve the servers' names, one at a time until one has an address. A name
  // inside the zone itself cannot be resolved without the zone's servers: skip it.
  for (const auto& ns : cut.nsNames) {
    if (ns.isPartOf(cut.zone) || b.queriesLeft <= 0) continue;
    if (b.trace) b.trace->add("resolving server name " + ns.toString());
    for (uint16_t type : {dns::qtype::A, dns::qtype::AAAA}) {
      if (type == dns::qtype::AAAA && !serverAddress(type, std::vector<uint8_t>(16))) break;
      Answer a = co_await resolve(ns, type, b, nsDepth + 1);
      for (const auto& rec : a.answer)
        if (rec.type == type) add(type, rec.rdata);
      if (!out.empty()) break;
    }
    if (!out.empty()) break;
  }
  co_return out;
}

Task<Reply> Iterator::ask(const core::Address& server, const dns::Name& name, uint16_t type,
                          bool rd) {
  std::string key(reinterpret_cast<const char*>(server.bytes()), server.byteLength());
  const dns::Name lowerName = name.toLower();
  auto lower = lowerName.wire();
  key.append(reinterpret_cast<const char*>(lower.data()), lower.size());
  key += char(type >> 8);
  key += char(type);
  key += char(rd);
  key += char(server.port() >> 8);
  key += char(server.port());
  if (auto it = inFlight_.find(key); it != inFlight_.end() && !loop_.stopping()) {
    // The same question to the same server is on its way: share its answer.
    r_.stats().sharedQueries.inc();
    co_return co_await Join{*it->second};
  }
  InFlight self;
  inFlight_[key] = &self;
  Reply reply = co_await askOnce(server, name, type, rd);
  inFlight_.erase(key);
  self.reply = &reply;
  // Each waiter copies the reply as it resumes, while this frame is still alive.
  for (auto h : self.waiters) h.resume();
  co_return reply;
}

Task<Reply> Iterator::askOnce(const core::Address& server, const dns::Name& name, uint16_t type,
                              bool rd) {
  const auto& cfg = r_.config();
  auto& stats = r_.stats();
  OutgoingQuery q{server,
                  name.toLower(),
                  type,
                  rd,
                  !r_.speeds().noEdns(server),
                  cfg.ednsBufferSize,
                  cfg.outgoingTimeoutMs * 1000,
                  uint16_t(rng_()),
                  cfg.dnssec != DnssecMode::Off};
  Reply reply;
  // The second attempt only after FORMERR/NOTIMP to EDNS (counted by askCut as one query).
  for (int attempt = 0; attempt < 2; ++attempt) {
    stats.outgoing.inc();
    reply = co_await exchange(loop_, q);
    if (reply.overTcp) stats.tcpOutgoing.inc();
    if (reply.mismatched) stats.mismatched.inc(uint64_t(reply.mismatched));
    int64_t now = core::monotonicUsec();
    if (reply.status == Reply::Status::Timeout) {
      stats.timeouts.inc();
      r_.speeds().recordTimeout(server, q.timeoutUsec, now);
    } else if (reply.status == Reply::Status::Answer) {
      r_.speeds().recordAnswer(server, reply.rttUsec, now);
    }
    reply.noEdns = !q.edns;
    if (reply.status != Reply::Status::Answer || !q.edns) break;
    uint8_t rc = dns::HeaderView(reply.packet.data()).rcode();
    if (rc != dns::rcode::FormErr && rc != dns::rcode::NotImp) break;
    // A server that does not understand EDNS: ask again without, and remember it.
    r_.speeds().setNoEdns(server);
    stats.ednsFallbacks.inc();
    q.edns = false;
    q.id = uint16_t(rng_());
  }
  co_return reply;
}

Detached Iterator::raceOne(std::shared_ptr<Race> race, size_t index, core::Address server,
                           dns::Name name, uint16_t type, bool rd) {
  Reply reply = co_await ask(server, name, type, rd);
  race->results.emplace_back(index, std::move(reply));
  --race->running;
  race->baton.poke();
}

namespace {

/// A reply that says the server does not serve the zone (remembered for a while), as
/// opposed to a failure that may pass (SERVFAIL, FORMERR...).
bool lameReply(const Reply& reply, const Step& s) {
  uint8_t rc = dns::HeaderView(reply.packet.data()).rcode();
  return s.kind == Step::Kind::Lame &&
         (rc == dns::rcode::Refused || rc == dns::rcode::NoError || rc == dns::rcode::NXDomain);
}

}  // namespace

Task<Step> Iterator::askCut(const Cut& cut, const dns::Name& askName, uint16_t askType, Budget& b,
                            int nsDepth, bool minimised) {
  Step fail;
  std::vector<core::Address> all = co_await addressesOf(cut, b, nsDepth);
  auto& speeds = r_.speeds();
  int64_t now = core::monotonicUsec();
  std::vector<core::Address> servers;
  for (const auto& a : all)
    if (cut.forward || !speeds.isLame(a, cut.zone, now)) servers.push_back(a);
  if (servers.empty()) {
    if (b.trace)
      b.trace->add(fmt::format("no {}server address for {}", all.empty() ? "" : "non-lame ",
                               cut.zone.toString()));
    if (!all.empty()) fail.kind = Step::Kind::Lame;
    co_return fail;
  }
  speeds.order(servers, now, uint32_t(rng_()));
  // A staggered race over the zone's servers, best first: each server gets its own wait
  // (retransmitAfter: its RTT estimate, doubled per round) before the next one is asked as
  // well, while the earlier queries keep listening up to outgoingTimeout. The first useful
  // reply ends the race (queries still out finish on their own and feed the estimates).
  // Once every server was asked and none is still out, a new round starts (kMaxRounds in
  // all). The whole step ends at the zone budget (3 x outgoingTimeout) or the resolution's
  // deadline.
  const int64_t maxWait = r_.config().outgoingTimeoutMs * 1000;
  const int64_t deadline = std::min(now + 3 * maxWait, b.deadlineUsec);
  auto race = std::make_shared<Race>();
  size_t next = 0, startedInRound = 0;
  int round = 0;
  int64_t nextStart = now;
  for (;;) {
    while (!race->results.empty()) {
      auto [i, reply] = std::move(race->results.front());
      race->results.erase(race->results.begin());
      const core::Address& server = servers[i];
      if (b.trace) {
        b.trace->add(fmt::format(
            "query {} {} {}{}{} -> {} rtt={}us", server.toStringWithPort(), askName.toString(),
            dns::qtypeToString(askType), reply.noEdns ? " noedns" : "", reply.overTcp ? " tcp" : "",
            reply.status == Reply::Status::Answer
                ? dns::rcodeToString(dns::HeaderView(reply.packet.data()).rcode())
            : reply.status == Reply::Status::Timeout ? "timeout"
                                                     : "error",
            reply.rttUsec));
      }
      if (reply.status != Reply::Status::Answer) {
        // Refused at once (no route, nothing listening): the next server need not wait.
        if (reply.status == Reply::Status::Error) nextStart = 0;
        continue;
      }
      Step s = classify(reply.packet, cut, askName, askType, r_.config().maxChain, r_.cache(),
                        nowSec(), minimised);
      if (s.kind != Step::Kind::Lame) co_return s;
      fail.kind = Step::Kind::Lame;  // someone answered, uselessly: ask the next one now
      nextStart = 0;
      if (!cut.forward && lameReply(reply, s)) {
        speeds.markLame(server, cut.zone, core::monotonicUsec());
        if (b.trace)
          b.trace->add(fmt::format("{} lame for {}", server.toString(), cut.zone.toString()));
      }
    }
    now = core::monotonicUsec();
    if (now >= deadline || loop_.stopping()) break;
    if (next == servers.size() && race->running == 0) {
      // Every server turned out lame, or asked kMaxRounds times already.
      if (startedInRound == 0 || round + 1 >= kMaxRounds) break;
      next = 0;  // every server asked, none still out: retransmit, waiting longer
      ++round;
      startedInRound = 0;
      nextStart = now;
    }
    if (next < servers.size() && now >= nextStart && b.queriesLeft > 0) {
      const core::Address& server = servers[next];
      if (speeds.isLame(server, cut.zone, now) && !cut.forward) {
        ++next;  // found lame earlier in this race
        continue;
      }
      --b.queriesLeft;
      ++race->running;
      nextStart = now + speeds.retransmitAfter(server, now, maxWait, round);
      ++startedInRound;
      raceOne(race, next, server, askName, askType, cut.forward);
      ++next;
      continue;  // it may have finished at once (a shared reply, a stopping loop)
    }
    bool canStart = next < servers.size() && b.queriesLeft > 0;
    if (race->running == 0 && !canStart) {
      if (next == servers.size() && b.queriesLeft > 0) continue;  // the next round
      break;                                                      // out of queries
    }
    co_await loop_.wait(race->baton, (canStart ? std::min(nextStart, deadline) : deadline) - now);
  }
  if (b.trace && fail.kind == Step::Kind::Fail)
    b.trace->add(fmt::format("no answer from {}'s servers", cut.zone.toString()));
  co_return fail;
}

Task<Step> Iterator::iterate(dns::Name name, uint16_t qtype, Budget& b, int nsDepth) {
  Cut cut = closestCut(name, qtype);
  // Root priming (RFC 8109): the root's servers are learnt from the hints, not the hints
  // themselves used, at start (primeAtStart) and again whenever the cached set expired.
  if (cut.fromHints && co_await prime(b, nsDepth)) cut = closestCut(name, qtype);
  int referrals = 0, minimiseSteps = 0;
  bool minimise = r_.config().qnameMinimisation;
  size_t extra = 1;  // labels beyond the cut in the minimised question
  for (;;) {
    if (b.queriesLeft <= 0 || loop_.stopping() || core::monotonicUsec() >= b.deadlineUsec)
      co_return Step{};
    // QNAME minimisation (RFC 9156): show each zone only one label more than it needs.
    size_t want = cut.zone.labelCount() + extra;
    bool minimised =
        minimise && !cut.forward && want < name.labelCount() && minimiseSteps < kMaxMinimiseSteps;
    dns::Name askName = minimised ? ancestor(name, want) : name;
    uint16_t askType = minimised ? dns::qtype::A : qtype;
    Step s = co_await askCut(cut, askName, askType, b, nsDepth, minimised);
    if (minimised) ++minimiseSteps;
    if (s.kind == Step::Kind::Referral) {
      if (++referrals > r_.config().maxReferrals) co_return Step{};
      if (b.trace) b.trace->add("referral to " + s.cut.zone.toString());
      cut = std::move(s.cut);
      extra = 1;
      continue;
    }
    if (s.kind == Step::Kind::Fail) co_return s;  // nobody answered: no point asking again
    if (minimised) {
      // No cut at askName (data or NODATA): one label more. Anything else (NXDOMAIN from a
      // server that gets empty non-terminals wrong, errors): ask the full name instead.
      if (s.kind == Step::Kind::Answer || s.kind == Step::Kind::NoData ||
          s.kind == Step::Kind::Cname)
        ++extra;
      else
        minimise = false;
      continue;
    }
    if (s.kind == Step::Kind::Lame) s.kind = Step::Kind::Fail;
    co_return s;
  }
}

}  // namespace ballast::backends::resolver
