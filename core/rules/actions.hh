// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The C++ actions on queries and on responses (dnsdist's *Action objects). Factories throw
/// std::invalid_argument with the reason; applying never throws.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/rules/rule.hh"
#include "core/rules/svc.hh"
#include "dns/name.hh"
#include "dns/proxy_protocol.hh"

namespace ballast::core {
struct Settings;
}

namespace ballast::core::rules {

/// Turns the query into an answer of `rcode` in place (dns::makeResponseInPlace) as the
/// settings of self-generated answers say: their EDNS payload size, and an OPT record only
/// when the query had one and setAddEDNSToSelfGeneratedResponses allows it (an extended
/// rcode keeps it). `settings` null: the defaults. Returns the new length.
size_t selfGeneratedResponse(uint8_t* packet, size_t len, size_t capacity,
                             const dns::MessageView& query, uint8_t rcode,
                             const Settings* settings);

/// The DNS header bits of a self-made answer (dnsdist's ResponseConfig: aa, ad, ra). Unset:
/// AA and AD cleared, RA copied from the query's RD.
struct ResponseFlags {
  std::optional<bool> aa, ad, ra;
};

/// The options of the Spoof* actions (ResponseConfig plus the records' TTL).
struct SpoofOptions {
  ResponseFlags flags;
  uint32_t ttl = 60;
};

/// The SOA record of NegativeAndSOAAction.
struct SoaFields {
  dns::Name zone, mname, rname;
  uint32_t ttl = 0, serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

using ActionPtr = std::shared_ptr<const Action>;
using ResponseActionPtr = std::shared_ptr<const ResponseAction>;

ActionPtr allowAction();
ActionPtr dropAction();
ActionPtr noneAction();
/// `flags` set AA, AD and RA when given (RA otherwise stays set, as ballast has always done).
ActionPtr rcodeAction(uint8_t rcode, ResponseFlags flags = {});
/// An extended rcode (above 15): the low 4 bits in the header, the rest in the OPT record
/// (the query must have one to carry it).
ActionPtr ercodeAction(uint16_t rcode, ResponseFlags flags = {});
/// Over UDP: an empty answer with TC set, so the client retries over TCP. Nothing over TCP.
ActionPtr tcAction();
/// Answers with A/AAAA records from `addresses` (those matching the qtype).
ActionPtr spoofAction(std::vector<Address> addresses, SpoofOptions o = {});
ActionPtr spoofCnameAction(dns::Name target, SpoofOptions o = {});
/// Answers with one record of the query's type per raw RDATA.
ActionPtr spoofRawAction(std::vector<std::string> rdatas, SpoofOptions o = {});
/// SpoofSVCAction: one record of the query's type (SVCB, HTTPS) per entry, and their
/// address hints as A/AAAA records in the additional section (owner: the target, or the
/// qname when the target is the root).
ActionPtr spoofSvcAction(const std::vector<SvcParams>& records, SpoofOptions o = {});
/// Answers NXDOMAIN (`nxd`) or NODATA with `soa` in the additional section, as dnsdist 1.7.
ActionPtr negativeAndSoaAction(bool nxd, SoaFields soa, ResponseFlags flags = {});
/// Drops queries above `qps` a second (bursting to as many); the others go on.
ActionPtr qpsAction(double qps);
/// Adds EDNS option `code` with `data` to the query, replacing an option of the same code;
/// a query without OPT gets one (payload 512, as dnsdist). Goes on with the next rule.
ActionPtr setEdnsOptionAction(uint16_t code, std::string data);
/// SetMacAddrAction: the client's MAC address (`lookup`, the kernel's neighbour table by
/// default) as EDNS option `code`, as setEdnsOptionAction adds it; nothing when there is
/// none. Goes on with the next rule.
ActionPtr setMacAddrAction(uint16_t code,
                           std::function<std::string(const Address&)> lookup = nullptr);
ActionPtr poolAction(std::string pool, bool stop);
/// Sends to `pool` at most `qps` queries per second; the rest go on with the next rules.
ActionPtr qpsPoolAction(double qps, std::string pool, bool stop);
/// One line per query on stdout (empty file name) or appended to `file`.
ActionPtr logAction(const std::string& file, bool append);
ActionPtr setSkipCacheAction();
/// SetTempFailureCacheTTLAction: how long a SERVFAIL or REFUSED answer to this query is
/// cached (instead of the cache's temporaryFailureTTL; 0: not at all).
ActionPtr setTempFailureCacheTTLAction(uint32_t ttl);
/// SetSkipCacheResponseAction: this answer is not stored in the cache.
ResponseActionPtr setSkipCacheResponseAction();
ActionPtr setTagAction(std::string name, std::string value);
/// SetTagResponseAction: tags the response for the response rules after it (TagRule); a
/// self-answered response shares its query's tags.
ResponseActionPtr setTagResponseAction(std::string name, std::string value);
/// SetProxyProtocolValuesAction: the PROXY protocol values sent to the backend become
/// `values` (those the client sent included).
ActionPtr setProxyProtocolValuesAction(std::vector<dns::proxy::Value> values);
/// SetAdditionalProxyProtocolValueAction: one more value, beside any of the same type.
ActionPtr setAdditionalProxyProtocolValueAction(uint8_t type, std::string value);
ActionPtr setNoRecurseAction();
ActionPtr setDisableValidationAction();
/// Holds the UDP answer to this query back `msec` milliseconds (the query itself goes to
/// its backend at once); goes on with the next rule. Nothing over TCP, DoT or DoH.
ActionPtr delayAction(uint32_t msec);
/// Runs `inner` for its side effects and goes on with the next rule whatever it says.
ActionPtr continueAction(ActionPtr inner);

ResponseActionPtr allowResponseAction();
ResponseActionPtr dropResponseAction();
ResponseActionPtr logResponseAction(const std::string& file, bool append);
/// Holds this UDP answer back `msec` milliseconds; goes on with the next rule. Nothing over
/// TCP, DoT or DoH.
ResponseActionPtr delayResponseAction(uint32_t msec);
/// TTLs above `max` are lowered to it.
ResponseActionPtr setMaxTTLResponseAction(uint32_t max);
/// TTLs below `min` are raised to it.
ResponseActionPtr setMinTTLResponseAction(uint32_t min);
/// TTLs clamped to [min, max], for records of `types` only when it is not empty.
ResponseActionPtr limitTTLResponseAction(uint32_t min, uint32_t max, std::vector<uint16_t> types);

}  // namespace ballast::core::rules
