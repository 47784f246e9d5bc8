// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The PROXY protocol between ballast's addresses and the header's (dns/proxy_protocol):
/// what a frontend does with the header of a client in setProxyProtocolACL, and the header
/// a backend with useProxyProtocol puts before a query.
#include <cstdint>
#include <span>
#include <vector>

#include "core/address.hh"
#include "core/query_context.hh"
#include "core/runtime_config.hh"
#include "core/stats.hh"
#include "dns/proxy_protocol.hh"

namespace ballast::core {

Address addressOf(const dns::proxy::Endpoint& e);
dns::proxy::Endpoint endpointOf(const Address& a);

/// Queries from `peer` must start with a PROXY header (setProxyProtocolACL).
inline bool needsProxyHeader(const Address& peer, const RuntimeConfig& cfg) {
  return !cfg.proxyProtocolACL.empty() && cfg.proxyProtocolACL.match(peer);
}

/// A header parsed from a client: a PROXY header's addresses become d.client and d.local,
/// the real ones move to d.peer and d.peerLocal; a LOCAL header leaves `d` as it is. Its
/// values are appended to `values`.
void applyProxyHeader(const dns::proxy::Header& h, Destination& d,
                      std::vector<dns::proxy::Value>& values);

/// UDP: q holds a datagram from a client that must send a header. The header is applied
/// to q and cut off the front of q.packet. False, counted in proxy-protocol-invalid, when
/// the datagram does not start with a whole valid header within the configured maximum.
bool takeProxyHeader(QueryContext& q, const RuntimeConfig& cfg, GlobalStats& stats);

/// Appends the header a backend with useProxyProtocol sends: PROXY with the client's
/// address, the local one and `values`; LOCAL when `client` is null (health checks).
/// False when the values do not fit in a header (the query is then not sent).
bool writeProxyHeader(std::vector<uint8_t>& out, const Address* client, const Address* local,
                      bool stream, const std::vector<dns::proxy::Value>* values);

}  // namespace ballast::core
