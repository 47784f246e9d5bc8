// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Selectors on the shape of the message (record counts, EDNS options), on a pool's load,
/// and RE2 expressions on the qname (dnsdist's RecordsCountRule, RecordsTypeCountRule,
/// EDNSOptionRule, PoolOutstandingRule, RE2Rule).
#include <cstdint>
#include <string>

#include "core/rules/selectors.hh"
#include "dns/message.hh"

namespace ballast::core::rules {

/// How many entries of `type` section `section` (0 question ... 3 additional) of a parsed
/// message holds; OPT counts in the additional section, as in dnsdist.
unsigned countRecordsOfType(const dns::MessageView& m, uint8_t section, uint16_t type);
/// True when the message's OPT record carries an option of `code`.
bool hasEdnsOption(const dns::MessageView& m, uint16_t code);

/// The header's count of `section` (0 to 3) is in [min, max].
SelectorPtr recordsCountRule(uint8_t section, uint16_t min, uint16_t max);
/// The records of `type` in `section` number from min to max.
SelectorPtr recordsTypeCountRule(uint8_t section, uint16_t type, uint16_t min, uint16_t max);
SelectorPtr ednsOptionRule(uint16_t code);
/// The queries in flight to the servers of `pool` add up to more than `limit`.
SelectorPtr poolOutstandingRule(std::string pool, uint64_t limit);
/// RE2 expression matching the whole qname, without its final dot (case as sent).
/// Throws std::invalid_argument with RE2's reason.
SelectorPtr re2Rule(const std::string& regex);

}  // namespace ballast::core::rules
