// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The C++ selectors (dnsdist's *Rule objects). Each factory validates its arguments and
/// throws std::invalid_argument with the reason; matching never throws nor allocates,
/// except RegexRule, which matches on the qname's text.
#include <memory>
#include <string>
#include <vector>

#include "core/netmask.hh"
#include "core/rules/rule.hh"
#include "dns/name.hh"

namespace ballast::core::rules {

/// A set of zones: a name matches when it is one of them or below one (newSuffixMatchNode).
class SuffixMatchNode {
 public:
  void add(const dns::Name& n) { zones_.push_back(n.toLower()); }
  /// Takes out `n` as added (not the names below it); SuffixMatchNode:remove.
  void remove(const dns::Name& n) { std::erase(zones_, n.toLower()); }
  bool check(const dns::NameRef& n) const;
  bool empty() const { return zones_.empty(); }
  std::string toString() const;

 private:
  std::vector<dns::Name> zones_;
};

using SelectorPtr = std::shared_ptr<const Selector>;

SelectorPtr allRule();
SelectorPtr qnameRule(const dns::Name& n);
SelectorPtr suffixRule(SuffixMatchNode smn, bool quiet = false);
SelectorPtr qnameSetRule(std::vector<dns::Name> names);
SelectorPtr qtypeRule(uint16_t qtype);
SelectorPtr qclassRule(uint16_t qclass);
SelectorPtr opcodeRule(uint8_t opcode);
SelectorPtr rdRule();
SelectorPtr tcpRule(bool tcp);
SelectorPtr dstPortRule(uint16_t port);
SelectorPtr netmaskGroupRule(NetmaskGroup nmg, bool source = true);
SelectorPtr regexRule(const std::string& regex);
SelectorPtr labelsCountRule(unsigned min, unsigned max);
SelectorPtr wireLengthRule(unsigned min, unsigned max);
/// At most `qps` queries per second (bursting to `burst`) from each client network (v4/v6
/// masks); a client over its budget matches.
SelectorPtr maxQpsIpRule(double qps, int v4Bits, int v6Bits, double burst);
/// Matches while the global rate stays within `qps` (bursting to `burst`), as dnsdist's
/// MaxQPSRule: the first `burst` queries match, then `qps` a second.
SelectorPtr maxQpsRule(double qps, double burst);
/// The message has bytes after its last record.
SelectorPtr trailingDataRule();
/// The message has an OPT record whose EDNS version is above `version`.
SelectorPtr ednsVersionRule(uint8_t version);
/// The query has the DO bit of its OPT record set.
SelectorPtr dnssecRule();
/// The client sent TLS SNI `name` (DoT and DoH; exact, case-insensitive).
SelectorPtr sniRule(std::string name);
SelectorPtr probaRule(double probability);
SelectorPtr andRule(std::vector<SelectorPtr> all);
SelectorPtr orRule(std::vector<SelectorPtr> any);
SelectorPtr notRule(SelectorPtr s);
/// The query carries tag `name` (with `value`, when given).
SelectorPtr tagRule(std::string name, std::string value, bool anyValue);
/// ProxyProtocolValueRule: the query carries a PROXY protocol value of `type` (with
/// `value` as its content unless `anyValue`).
SelectorPtr proxyProtocolValueRule(uint8_t type, std::string value, bool anyValue);
/// The pool has at least one server that is up.
SelectorPtr poolAvailableRule(std::string pool);
SelectorPtr rcodeRule(uint8_t rcode);
/// The extended rcode (the OPT record's upper 8 bits and the header's 4).
SelectorPtr ercodeRule(uint16_t rcode);

/// dnsdist's makeRule: each entry is a netmask if it parses as one, else a suffix.
SelectorPtr makeRule(const std::vector<std::string>& entries);

}  // namespace ballast::core::rules
