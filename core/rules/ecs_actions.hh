// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The actions about EDNS Client Subnet (dnsdist's SetECSAction, SetECSPrefixLengthAction,
/// SetECSOverrideAction, SetDisableECSAction), which set what the pipeline adds to the
/// query (core/query_context.hh), and TeeAction, which copies queries to another server.
/// Factories throw std::invalid_argument with the reason.
#include <string>

#include "core/address.hh"
#include "core/rules/rule.hh"

namespace ballast::core::rules {

/// The subnet sent is `v4` (for every client when `v6` is empty, else for IPv4 clients) or
/// `v6` for IPv6 clients, instead of the client's own: "192.0.2.0/24", "2001:db8::/48", or
/// an address alone (a host mask).
std::shared_ptr<const Action> setEcsAction(const std::string& v4, const std::string& v6);
/// The prefix length the client's address is cut to, by its family.
std::shared_ptr<const Action> setEcsPrefixLengthAction(uint8_t v4, uint8_t v6);
/// Whether an ECS option the client sent is replaced (setECSOverride for these queries).
std::shared_ptr<const Action> setEcsOverrideAction(bool override);
/// No ECS for these queries, whatever the server says.
std::shared_ptr<const Action> setDisableEcsAction();

/// Sends a copy of each UDP query to `remote` (with the client's subnet when `addEcs`),
/// from one socket of its own; a thread of its own reads the answers and counts them by
/// rcode. Nothing goes back to the client. Queries over TCP, DoT and DoH are counted as
/// tcp-drops and not copied, as dnsdist does. Goes on with the next rule.
std::shared_ptr<const Action> teeAction(const Address& remote, bool addEcs);

}  // namespace ballast::core::rules
