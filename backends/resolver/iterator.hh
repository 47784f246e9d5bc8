// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Iterative resolution of one question from the root (or a forwarder), as coroutines on an
/// instance's event loop: cache first, then the closest known zone cut, its servers asked
/// fastest first, referrals followed, answers and negative answers cached, CNAME and DNAME
/// chains followed. Every resolution has a budget of outgoing queries; chains, referrals and
/// nested name-server resolutions are bounded; running out is SERVFAIL.
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/resolver/event_loop.hh"
#include "backends/resolver/outgoing.hh"
#include "backends/resolver/record_cache.hh"
#include "backends/resolver/resolver.hh"
#include "backends/resolver/shared_tier.hh"
#include "backends/resolver/task.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver {

/// The per-query event trace (setResolverTracing): nanosecond offsets from the start.
class Trace {
 public:
  Trace(bool on, int64_t startNs) : on_(on), startNs_(startNs) {}
  bool on() const { return on_; }
  void add(const std::string& what);
  const std::string& text() const { return text_; }

 private:
  bool on_;
  int64_t startNs_;
  std::string text_;
};

/// What one client resolution may still spend.
struct Budget {
  int queriesLeft = 50;
  Trace* trace = nullptr;
  int64_t deadlineUsec = INT64_MAX;  ///< monotonic: the resolution ends in SERVFAIL then
  /// The answer will be validated: cache entries that were never validated and carry no
  /// RRSIG (restored from a file, or cached by a resolution that did not validate) are not
  /// answers, since their signatures are missing.
  bool validating = false;
};

/// The final answer to a question.
struct Answer {
  uint8_t rcode = 2;              ///< SERVFAIL until proven otherwise
  std::vector<Record> answer;     ///< the chain, each RRset followed by its RRSIGs if any
  std::vector<Record> authority;  ///< the SOA of a negative answer; NSEC, NSEC3 and RRSIGs
  bool fromCache = true;          ///< no outgoing query was needed
  /// A negative answer's cache entry: (name, RecordCache::kNxType) for NXDOMAIN.
  bool negative = false;
  dns::Name negOwner;
  uint16_t negType = 0;
  bool validated = false;  ///< `verdict` is the DNSSEC state of the whole answer
  dnssec::Verdict verdict;
  /// Every part came from cache entries already validated: `cachedVerdict` (the worst of
  /// theirs) is the answer's state, without looking at its records again.
  bool allCachedValidated = true;
  dnssec::Verdict cachedVerdict = dnssec::secure("cached");
};

/// A zone cut and how to reach its servers.
struct Cut {
  dns::Name zone;
  std::vector<dns::Name> nsNames;
  std::vector<core::Address> addresses;  ///< known addresses (hints, forwarders, glue)
  bool forward = false;                  ///< servers are forwarders: set RD, accept non-AA
  bool fromHints = false;                ///< the root from the hints: not primed (yet)
};

/// What one answer from a server meant.
struct Step {
  enum class Kind : uint8_t { Answer, Cname, NxDomain, NoData, Referral, Lame, Fail };
  Kind kind = Kind::Fail;
  std::vector<Record> records;  ///< Answer/Cname: the chain, in order
  std::optional<Record> soa;    ///< NxDomain/NoData
  std::vector<Record> proofs;   ///< NSEC, NSEC3 and their (and the SOA's) RRSIGs
  dns::Name next;               ///< Cname: where the chain continues
  Cut cut;                      ///< Referral: the new cut
};

/// `name` (below `owner`) rewritten by the DNAME `owner` -> `target`; false if too long.
bool dnameSubstitute(const dns::Name& name, const dns::Name& owner, const dns::Name& target,
                     dns::Name& out);

/// The server address (port 53) in an A or AAAA RDATA; nullopt for anything else, and for
/// AAAA when the host cannot open IPv6 sockets.
std::optional<core::Address> serverAddress(uint16_t type, const std::vector<uint8_t>& rdata);

/// The last `labels` labels of `name` (name itself when it has no more).
dns::Name ancestor(const dns::Name& name, size_t labels);

/// Decides what a validated reply to (askName, askType) from a server of `cut` means, and
/// caches what it can trust: the answer chain within the cut's bailiwick, negative answers,
/// delegations and their glue (addresses of the listed servers, inside the bailiwick only).
/// A `minimised` question's NXDOMAIN is not cached: servers that get empty non-terminals
/// wrong would deny every name below them (RFC 8020 applies cached NXDOMAINs downwards).
Step classify(const std::vector<uint8_t>& reply, const Cut& cut, const dns::Name& askName,
              uint16_t askType, int maxChain, RecordCache& cache, int64_t nowSec,
              bool minimised = false);

class Iterator {
 public:
  Iterator(Resolver& r, EventLoop& loop) : r_(r), loop_(loop), rng_(std::random_device{}()) {
    if (r_.sharedTier()) mailbox_ = std::make_unique<SharedMailbox>(loop_);
  }

  /// Resolves (qname, qtype): from the cache if it can, else iteratively.
  Task<Answer> resolve(dns::Name qname, uint16_t qtype, Budget& b, int nsDepth);
  /// A client's question: resolve() then, if `validate`, DNSSEC validation (validate.cc);
  /// a bogus answer becomes SERVFAIL with its verdict kept for the Extended DNS Error.
  Task<Answer> resolveForClient(dns::Name qname, uint16_t qtype, Budget& b, bool validate);
  /// Root priming (RFC 8109) as an instance starts, unless a forward zone covers the root.
  Detached primeAtStart();

 private:
  enum class CacheResult : uint8_t { Miss, Hit, NxDomain, NoData, Cname };
  CacheResult fromCache(const dns::Name& name, uint16_t qtype, Answer& a, dns::Name& next,
                        const Budget& b);
  enum class Above : uint8_t { Nothing, NxDomain, Dname };
  Above fromCacheAbove(const dns::Name& name, int64_t now, Answer& a, dns::Name& next,
                       const Budget& b);
  /// A local miss for (name, qtype): asks the shared tier for the entries fromCache() looks
  /// at (NXDOMAIN, the RRset or NODATA, a CNAME), within its budget and the resolution's
  /// deadline, and puts what it found in the record cache. True if it found something.
  Task<bool> fromShared(const dns::Name& name, uint16_t qtype, Budget& b);
  Cut closestCut(const dns::Name& name, uint16_t qtype);
  Task<Step> iterate(dns::Name name, uint16_t qtype, Budget& b, int nsDepth);
  /// Asks the root hints for the root's NS set (cached with its addresses); false if it
  /// failed, and then it is not tried again for kPrimeRetryUsec.
  Task<bool> prime(Budget& b, int nsDepth);
  Task<Step> askCut(const Cut& cut, const dns::Name& askName, uint16_t askType, Budget& b,
                    int nsDepth, bool minimised = false);
  Task<std::vector<core::Address>> addressesOf(const Cut& cut, Budget& b, int nsDepth);
  /// The servers of a cut asked in a staggered race (see askCut).
  struct Race {
    std::vector<std::pair<size_t, Reply>> results;  ///< server index, its reply
    int running = 0;
    EventLoop::Baton baton;  ///< poked by each finished query, awaited by askCut
  };
  /// One query of a race: outlives askCut if it has to (it holds the race).
  Detached raceOne(std::shared_ptr<Race> race, size_t index, core::Address server, dns::Name name,
                   uint16_t type, bool rd);
  Task<Reply> ask(const core::Address& server, const dns::Name& name, uint16_t type, bool rd);
  Task<Reply> askOnce(const core::Address& server, const dns::Name& name, uint16_t type, bool rd);
  bool usable(const CacheEntry& e, const Budget& b) const;

  // DNSSEC (validate.cc).
  /// The state of `a` as a whole: each RRset and the denial, from their cache entries when
  /// validated already, else verified and the outcome stored with them.
  Task<dnssec::Verdict> validateAnswer(Answer& a, Budget& b);
  Task<dnssec::Verdict> validateRRset(const dnssec::RRset& set,
                                      const std::vector<std::vector<uint8_t>>& sigs,
                                      const std::vector<Record>& proofs, Budget& b, uint32_t& ttl);
  Task<dnssec::Verdict> validateNegative(Answer& a, Budget& b, uint32_t& ttl);
  /// The chain of trust down to `zone` (or the zone holding the name `zone`): DS asked of the
  /// parent, DNSKEY of the zone, unsigned delegations proven by NSEC/NSEC3. Cached per zone.
  Task<ZoneTrust> trustOf(dns::Name zone, Budget& b, int depth);
  Task<ZoneTrust> walkTrust(const dns::Name& zone, Budget& b, int depth, uint32_t& ttl);
  /// Verifies each NSEC/NSEC3 RRset in `records` with the keys of `zone`; the ones that verify.
  std::vector<dnssec::RRset> verifiedProofs(const std::vector<Record>& records,
                                            const dns::Name& zone, const ZoneTrust& t) const;

  /// An outgoing question in flight, which identical ones join instead of asking again.
  struct InFlight {
    std::vector<std::coroutine_handle<>> waiters;
    const Reply* reply = nullptr;
  };
  struct Join {
    InFlight& f;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { f.waiters.push_back(h); }
    Reply await_resume() const { return *f.reply; }
  };

  Resolver& r_;
  EventLoop& loop_;
  std::mt19937 rng_;
  std::unordered_map<std::string, InFlight*> inFlight_;  ///< key: server, qname, qtype, rd
  int64_t primeRetryUsec_ = 0;  ///< monotonic: no priming before (it failed)
  std::unique_ptr<SharedMailbox> mailbox_;  ///< with a shared tier only
};

}  // namespace ballast::backends::resolver
