// SPDX-License-Identifier: GPL-2.0-only
#include "core/stats.hh"

#include "dns/types.hh"

namespace ballast::core {

void GlobalStats::countFrontendRcode(uint8_t rcode) {
  switch (rcode) {
    case dns::rcode::NoError: frontendNoError.inc(); break;
    case dns::rcode::NXDomain: frontendNXDomain.inc(); break;
    case dns::rcode::ServFail: frontendServFail.inc(); break;
    default: break;
  }
}

void GlobalStats::registerIn(metrics::Registry& r) const {
  r.add("queries", queries, "Number of received queries");
  r.add("responses", responses, "Number of responses received from backends");
  r.add("rdqueries", rdQueries, "Number of received queries with the recursion desired bit set");
  r.add("servfail-responses", servfailResponses, "Number of SERVFAIL answers received from backends");
  r.add("frontend-noerror", frontendNoError, "Number of NoError answers sent to clients");
  r.add("frontend-nxdomain", frontendNXDomain, "Number of NXDomain answers sent to clients");
  r.add("frontend-servfail", frontendServFail, "Number of SERVFAIL answers sent to clients");
  r.add("downstream-timeouts", downstreamTimeouts, "Number of queries not answered in time by a backend");
  r.add("downstream-send-errors", downstreamSendErrors, "Number of errors sending a query to a backend");
  r.add("acl-drops", aclDrops, "Number of queries dropped because of the ACL");
  r.add("empty-queries", emptyQueries, "Number of empty queries received from clients");
  r.add("noncompliant-queries", nonCompliantQueries, "Number of queries dropped as non-compliant");
  r.add("noncompliant-responses", nonCompliantResponses, "Number of responses dropped as non-compliant");
  r.add("no-policy", noPolicy, "Number of queries dropped because no server was available");
  r.add("self-answered", selfAnswered, "Number of self-answered responses");
  r.add("cache-hits", cacheHits, "Number of answers sent from the packet cache");
  r.add("cache-misses", cacheMisses, "Number of queries not found in the packet cache of their pool");
  r.add("cache-stale-hits", cacheStaleHits,
        "Number of expired cache entries served because no backend answered");
  r.add("udp-outstanding-full", udpOutstandingFull,
        "Number of queries dropped because a backend had too many outstanding UDP queries");
  r.add("rule-drop", ruleDrop, "Number of queries dropped because of a rule");
  r.add("rule-nxdomain", ruleNXDomain, "Number of NXDomain answers returned because of a rule");
  r.add("rule-refused", ruleRefused, "Number of Refused answers returned because of a rule");
  r.add("rule-servfail", ruleServFail, "Number of SERVFAIL answers received because of a rule");
  r.add("rule-truncated", ruleTruncated, "Number of truncated answers returned because of a rule");
  r.add("dyn-blocked", dynBlocked, "Number of queries dropped because of a dynamic block");
  r.add("proxy-protocol-invalid", proxyProtocolInvalid,
        "Number of queries dropped because of an invalid or missing PROXY protocol header");
  r.addLatency(latency);
}

}  // namespace ballast::core
