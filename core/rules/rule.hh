// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Rules: a selector (does this query match?) and an action (what to do with it), kept in
/// ordered chains inside the runtime snapshot. Selectors and actions are immutable once
/// made; whatever state they keep between queries (qps buckets) is internally synchronised.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/address.hh"
#include "dns/message.hh"
#include "dns/name.hh"
#include "metrics/counter.hh"

namespace ballast::core {
struct QueryContext;
struct RuntimeConfig;
}  // namespace ballast::core

namespace ballast::core::rules {

/// What selectors and actions see of a query or a response (dnsdist's DNSQuestion and
/// DNSResponse). `packet` is parsed into `message`; an action that rewrites the packet sets
/// `length` and leaves `message` stale, which is fine: rules stop after such an action.
struct DQ {
  uint8_t* packet = nullptr;
  size_t length = 0;
  size_t capacity = 0;
  dns::MessageView message;
  dns::Name qname;  ///< the question's name, uncompressed once for every selector
  const Address* remote = nullptr;
  const Address* local = nullptr;
  bool tcp = false;
  bool response = false;
  QueryContext* query = nullptr;  ///< the query being processed; null for responses
  const RuntimeConfig* config = nullptr;
  int64_t nowUsec = 0;
  /// Where DelayAction / DelayResponseAction put their delay: the UDP client's
  /// Destination::delayMsec; null over TCP, DoT and DoH, which are never delayed.
  uint32_t* delayMsec = nullptr;
  /// Responses from a backend: where SetSkipCacheResponseAction says the answer is not to
  /// be cached; null for other responses (cache hits, self-answered).
  bool* skipCacheInsert = nullptr;
  /// The tags TagRule reads and SetTag(Response)Action writes: the query's (QueryContext::
  /// tags) for queries and self-answered responses, otherwise the response chain's own.
  std::vector<std::pair<std::string, std::string>>* tags = nullptr;
  /// The TLS server name the client sent (DoT, DoH); null when none or not over TLS.
  const std::string* sni = nullptr;
};

class Selector {
 public:
  virtual ~Selector() = default;
  virtual bool matches(const DQ& dq) const = 0;
  /// As showRules prints it.
  virtual std::string describe() const = 0;
};

/// What a query action decided (dnsdist's DNSAction.Action values that ballast acts on).
enum class Verdict : uint8_t {
  None,    ///< go on with the next rule
  Allow,   ///< stop the rules, forward the query
  Drop,    ///< drop it
  Answer,  ///< dq.packet[0..dq.length) is the answer to send
  Pool,    ///< the pool is set (q.poolName); stop the rules
};

class Action {
 public:
  virtual ~Action() = default;
  virtual Verdict apply(DQ& dq) const = 0;
  virtual std::string describe() const = 0;
  /// The counters an action keeps of its own (TeeAction's), named and ordered as dnsdist's
  /// printStats shows them; most keep none.
  virtual std::vector<std::pair<std::string, uint64_t>> stats() const { return {}; }
};

enum class ResponseVerdict : uint8_t {
  None,   ///< go on with the next rule
  Allow,  ///< stop the rules, send the response
  Drop,   ///< drop the response
};

class ResponseAction {
 public:
  virtual ~ResponseAction() = default;
  virtual ResponseVerdict apply(DQ& dr) const = 0;
  virtual std::string describe() const = 0;
};

/// One entry of a chain. Shared by every snapshot that lists it, so its match counter
/// survives other rule changes.
template <typename A>
struct Rule {
  std::shared_ptr<const Selector> selector;
  std::shared_ptr<const A> action;
  std::string name;
  std::string uuid;  ///< dnsdist's rule UUID (core/rules/rule_id.hh), shown by showUUIDs
  uint64_t id = 0;   ///< creation order, unique in the process ("Cr. Order" of showUUIDs)
  mutable metrics::Counter matches;
};

using QueryRule = Rule<Action>;
using ResponseRule = Rule<ResponseAction>;
using QueryChain = std::vector<std::shared_ptr<const QueryRule>>;
using ResponseChain = std::vector<std::shared_ptr<const ResponseRule>>;

/// Every chain of the snapshot (addAction, addResponseAction, addCacheHitResponseAction,
/// addSelfAnsweredResponseAction).
struct RuleChains {
  QueryChain query;
  ResponseChain response;
  ResponseChain cacheHit;
  ResponseChain selfAnswered;
};

/// A new rule id (process-wide, increasing).
uint64_t nextRuleId();

}  // namespace ballast::core::rules
