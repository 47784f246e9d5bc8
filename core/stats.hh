// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The process-wide statistics of the query path, with dnsdist's names.
#include <cstdint>

#include "metrics/counter.hh"
#include "metrics/latency.hh"
#include "metrics/registry.hh"

namespace ballast::core {

struct GlobalStats {
  metrics::Counter queries;                ///< received from clients (before the ACL)
  metrics::Counter responses;              ///< received from backends
  metrics::Counter rdQueries;
  metrics::Counter servfailResponses;      ///< SERVFAIL received from backends
  metrics::Counter frontendNoError;        ///< answers sent to clients, by rcode
  metrics::Counter frontendNXDomain;
  metrics::Counter frontendServFail;
  metrics::Counter downstreamTimeouts;
  metrics::Counter downstreamSendErrors;
  metrics::Counter aclDrops;
  metrics::Counter emptyQueries;
  metrics::Counter nonCompliantQueries;
  metrics::Counter nonCompliantResponses;
  metrics::Counter noPolicy;               ///< no backend available
  metrics::Counter selfAnswered;
  metrics::Counter udpOutstandingFull;     ///< a backend's in-flight table was full
  metrics::Counter cacheHits;
  metrics::Counter cacheMisses;            ///< only where the pool has a cache
  metrics::Counter cacheStaleHits;         ///< expired entries served because backends failed
  metrics::Counter ruleDrop;               ///< rules (core/rules): dropped by a rule
  metrics::Counter ruleNXDomain;           ///< answered NXDOMAIN by a rule
  metrics::Counter ruleRefused;
  metrics::Counter ruleServFail;
  metrics::Counter ruleTruncated;          ///< answered with TC set by a rule
  metrics::Counter dynBlocked;             ///< stopped by a dynamic block
  metrics::Counter proxyProtocolInvalid;   ///< a client in setProxyProtocolACL sent no valid header
  metrics::LatencyStats latency;

  /// Counts an answer sent to a client in the frontend-* counter of its rcode.
  void countFrontendRcode(uint8_t rcode);
  void registerIn(metrics::Registry& r) const;
};

}  // namespace ballast::core
