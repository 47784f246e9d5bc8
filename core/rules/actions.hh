// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The C++ actions on queries and on responses (dnsdist's *Action objects). Factories throw
/// std::invalid_argument with the reason; applying never throws.
#include <memory>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/rules/rule.hh"
#include "dns/name.hh"

namespace ballast::core::rules {

using ActionPtr = std::shared_ptr<const Action>;
using ResponseActionPtr = std::shared_ptr<const ResponseAction>;

ActionPtr allowAction();
ActionPtr dropAction();
ActionPtr noneAction();
ActionPtr rcodeAction(uint8_t rcode);
/// An extended rcode (above 15): the low 4 bits in the header, the rest in the OPT record
/// (the query must have one to carry it).
ActionPtr ercodeAction(uint16_t rcode);
/// Over UDP: an empty answer with TC set, so the client retries over TCP. Nothing over TCP.
ActionPtr tcAction();
/// Answers with A/AAAA records from `addresses` (those matching the qtype).
ActionPtr spoofAction(std::vector<Address> addresses, uint32_t ttl);
ActionPtr spoofCnameAction(dns::Name target, uint32_t ttl);
/// Answers with one record of the query's type per raw RDATA.
ActionPtr spoofRawAction(std::vector<std::string> rdatas, uint32_t ttl);
ActionPtr poolAction(std::string pool, bool stop);
/// Sends to `pool` at most `qps` queries per second; the rest go on with the next rules.
ActionPtr qpsPoolAction(double qps, std::string pool, bool stop);
/// One line per query on stdout (empty file name) or appended to `file`.
ActionPtr logAction(const std::string& file, bool append);
ActionPtr setSkipCacheAction();
ActionPtr setTagAction(std::string name, std::string value);
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
