// SPDX-License-Identifier: GPL-2.0-only
/// Selectors and actions, each declared once in kSelectors / kActions / kResponseActions:
/// the table entry reads the Lua arguments and makes the core object; one generic binding
/// per table turns it into a userdata and the table's errors into Lua errors.
#include <fmt/format.h>

#include <stdexcept>

#include "core/rules/ecs_actions.hh"
#include "core/rules/http.hh"
#include "core/rules/kvs.hh"
#include "core/rules/message_selectors.hh"
#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/dnsquestion.hh"
#include "lua/lua_rules.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

namespace rules = core::rules;

/// The Lua arguments of one call: positional readers with defaults.
struct Args {
  lua_State* L;
  const char* fn;
  bool has(int i) const { return !lua_isnoneornil(L, i); }
  std::string str(int i, const char* what) const { return checkString(L, i, fn, what); }
  std::string optStr(int i, const char* what, std::string def = "") const {
    return has(i) ? str(i, what) : def;
  }
  double num(int i, const char* what) const { return checkNumber(L, i, fn, what); }
  double optNum(int i, const char* what, double def) const { return has(i) ? num(i, what) : def; }
  int64_t integer(int i, const char* what, int64_t min, int64_t max) const {
    return checkInteger(L, i, fn, what, min, max);
  }
  int64_t optInteger(int i, const char* what, int64_t min, int64_t max, int64_t def) const {
    return has(i) ? integer(i, what, min, max) : def;
  }
  bool optBool(int i, bool def) const { return has(i) ? checkBool(L, i, fn) : def; }
  dns::Name name(const std::string& text) const { return dns::Name::fromString(text); }
  rules::SelectorPtr selector(int i) const { return toSelector(L, i, fn); }
  std::vector<rules::SelectorPtr> selectors(int i) const {
    if (lua_type(L, i) != LUA_TTABLE)
      throw ConfigError(std::string(fn) + ": expects a list of selectors");
    std::vector<rules::SelectorPtr> out;
    for (int k = 1;; ++k) {
      lua_rawgeti(L, i, k);
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        break;
      }
      try {
        out.push_back(toSelector(L, lua_gettop(L), fn));
      } catch (...) {
        lua_pop(L, 1);
        throw;
      }
      lua_pop(L, 1);
    }
    if (out.empty()) throw ConfigError(std::string(fn) + ": the list of selectors is empty");
    return out;
  }
  rules::KeyValueStorePtr kvs(int i) const {
    return checkUserdata<rules::KeyValueStorePtr>(L, i, kKvsMeta);
  }
  rules::LookupKeyPtr lookupKey(int i) const {
    return checkUserdata<rules::LookupKeyPtr>(L, i, kLookupKeyMeta);
  }
  rules::ActionPtr action(int i) const {
    return checkUserdata<rules::ActionPtr>(L, i, kActionMeta);
  }
  /// dnsdist's ResponseConfig (aa, ad, ra) from the options table `o`.
  static rules::ResponseFlags flags(Options& o) {
    rules::ResponseFlags f;
    f.aa = o.boolean("aa");
    f.ad = o.boolean("ad");
    f.ra = o.boolean("ra");
    return f;
  }
  /// The options table at `i` of the Spoof* actions (aa, ad, ra, ttl).
  rules::SpoofOptions spoofOptions(int i) const {
    rules::SpoofOptions out;
    if (!has(i)) return out;
    Options o(L, i, fn);
    out.flags = flags(o);
    out.ttl = uint32_t(o.integer("ttl", 0, 0x7fffffff).value_or(60));
    o.done();
    return out;
  }
  /// The options table at `i` holding a ResponseConfig alone.
  rules::ResponseFlags flagsOption(int i) const {
    if (!has(i)) return {};
    Options o(L, i, fn);
    auto f = flags(o);
    o.done();
    return f;
  }
};

template <typename T>
struct Def {
  const char* name;
  T (*make)(const Args& a);
};

constexpr Def<rules::SelectorPtr> kSelectors[] = {
    {"AllRule", [](const Args&) { return rules::allRule(); }},
    {"QNameRule", [](const Args& a) { return rules::qnameRule(a.name(a.str(1, "the name"))); }},
    {"QNameSuffixRule",
     [](const Args& a) {
       rules::SuffixMatchNode s;
       for (const auto& n : checkStrings(a.L, 1, a.fn, "the suffixes")) s.add(a.name(n));
       return rules::suffixRule(std::move(s), a.optBool(2, false));
     }},
    {"SuffixMatchNodeRule",
     [](const Args& a) {
       if (auto* s = testUserdata<rules::SuffixMatchNode>(a.L, 1, kSmnMeta))
         return rules::suffixRule(*s, a.optBool(2, false));
       rules::SuffixMatchNode s;
       for (const auto& n : checkStrings(a.L, 1, a.fn, "the suffixes")) s.add(a.name(n));
       return rules::suffixRule(std::move(s), a.optBool(2, false));
     }},
    {"QNameSetRule",
     [](const Args& a) {
       std::vector<dns::Name> names;
       for (const auto& n : checkStrings(a.L, 1, a.fn, "the names")) names.push_back(a.name(n));
       return rules::qnameSetRule(std::move(names));
     }},
    {"QTypeRule", [](const Args& a) { return rules::qtypeRule(toQType(a.L, 1, a.fn)); }},
    {"QClassRule",
     [](const Args& a) {
       return rules::qclassRule(uint16_t(a.integer(1, "the qclass", 0, 65535)));
     }},
    {"OpcodeRule",
     [](const Args& a) { return rules::opcodeRule(uint8_t(a.integer(1, "the opcode", 0, 15))); }},
    {"RDRule", [](const Args&) { return rules::rdRule(); }},
    {"TCPRule", [](const Args& a) { return rules::tcpRule(checkBool(a.L, 1, a.fn)); }},
    {"DSTPortRule",
     [](const Args& a) {
       return rules::dstPortRule(uint16_t(a.integer(1, "the port", 0, 65535)));
     }},
    {"NetmaskGroupRule",
     [](const Args& a) {
       return rules::netmaskGroupRule(toNetmaskGroup(a.L, 1, a.fn), a.optBool(2, true));
     }},
    {"RegexRule",
     [](const Args& a) { return rules::regexRule(a.str(1, "the regular expression")); }},
    {"QNameLabelsCountRule",
     [](const Args& a) {
       return rules::labelsCountRule(unsigned(a.integer(1, "the minimum", 0, 127)),
                                     unsigned(a.integer(2, "the maximum", 0, 127)));
     }},
    {"QNameWireLengthRule",
     [](const Args& a) {
       return rules::wireLengthRule(unsigned(a.integer(1, "the minimum", 0, 255)),
                                    unsigned(a.integer(2, "the maximum", 0, 255)));
     }},
    {"MaxQPSIPRule",
     [](const Args& a) {
       double qps = a.num(1, "the qps");
       return rules::maxQpsIpRule(qps, int(a.optInteger(2, "the IPv4 mask", 0, 32, 32)),
                                  int(a.optInteger(3, "the IPv6 mask", 0, 128, 64)),
                                  a.optNum(4, "the burst", qps));
     }},
    {"MaxQPSRule",
     [](const Args& a) {
       double qps = a.num(1, "the qps");
       return rules::maxQpsRule(qps, a.optNum(2, "the burst", qps));
     }},
    {"ProbaRule", [](const Args& a) { return rules::probaRule(a.num(1, "the probability")); }},
    {"AndRule", [](const Args& a) { return rules::andRule(a.selectors(1)); }},
    {"OrRule", [](const Args& a) { return rules::orRule(a.selectors(1)); }},
    {"NotRule", [](const Args& a) { return rules::notRule(a.selector(1)); }},
    {"TagRule",
     [](const Args& a) {
       return rules::tagRule(a.str(1, "the tag name"), a.optStr(2, "the tag value"), !a.has(2));
     }},
    {"ProxyProtocolValueRule",
     [](const Args& a) {
       return rules::proxyProtocolValueRule(uint8_t(a.integer(1, "the type", 0, 255)),
                                            a.optStr(2, "the value"), !a.has(2));
     }},
    {"PoolAvailableRule",
     [](const Args& a) { return rules::poolAvailableRule(a.str(1, "the pool name")); }},
    {"RCodeRule",
     [](const Args& a) { return rules::rcodeRule(uint8_t(a.integer(1, "the rcode", 0, 15))); }},
    {"ERCodeRule",
     [](const Args& a) { return rules::ercodeRule(uint16_t(a.integer(1, "the rcode", 0, 4095))); }},
    {"HTTPPathRule", [](const Args& a) { return rules::httpPathRule(a.str(1, "the path")); }},
    {"HTTPPathRegexRule",
     [](const Args& a) { return rules::httpPathRegexRule(a.str(1, "the regular expression")); }},
    {"HTTPHeaderRule",
     [](const Args& a) {
       return rules::httpHeaderRule(a.str(1, "the header name"),
                                    a.str(2, "the regular expression"));
     }},
    {"TrailingDataRule", [](const Args&) { return rules::trailingDataRule(); }},
    {"EDNSVersionRule",
     [](const Args& a) {
       return rules::ednsVersionRule(uint8_t(a.integer(1, "the EDNS version", 0, 255)));
     }},
    {"DNSSECRule", [](const Args&) { return rules::dnssecRule(); }},
    {"SNIRule", [](const Args& a) { return rules::sniRule(a.str(1, "the server name")); }},
    {"makeRule", [](const Args& a) { return a.selector(1); }},
    {"EDNSOptionRule",
     [](const Args& a) {
       return rules::ednsOptionRule(uint16_t(a.integer(1, "the option code", 0, 65535)));
     }},
    {"RecordsCountRule",
     [](const Args& a) {
       return rules::recordsCountRule(uint8_t(a.integer(1, "the section", 0, 3)),
                                      uint16_t(a.integer(2, "the minimum", 0, 65535)),
                                      uint16_t(a.integer(3, "the maximum", 0, 65535)));
     }},
    {"RecordsTypeCountRule",
     [](const Args& a) {
       return rules::recordsTypeCountRule(uint8_t(a.integer(1, "the section", 0, 3)),
                                          toQType(a.L, 2, a.fn),
                                          uint16_t(a.integer(3, "the minimum", 0, 65535)),
                                          uint16_t(a.integer(4, "the maximum", 0, 65535)));
     }},
    {"PoolOutstandingRule",
     [](const Args& a) {
       return rules::poolOutstandingRule(a.str(1, "the pool name"),
                                         uint64_t(a.integer(2, "the limit", 0, 1LL << 40)));
     }},
    {"KeyValueStoreLookupRule",
     [](const Args& a) { return rules::kvsLookupRule(a.kvs(1), a.lookupKey(2)); }},
    {"KeyValueStoreRangeLookupRule",
     [](const Args& a) { return rules::kvsRangeLookupRule(a.kvs(1), a.lookupKey(2)); }},
    {"RE2Rule", [](const Args& a) { return rules::re2Rule(a.str(1, "the RE2 expression")); }},
    {"LuaRule", [](const Args& a) { return makeLuaRule(a.L, 1, false); }},
    {"LuaFFIRule", [](const Args& a) { return makeLuaRule(a.L, 1, true); }},
    {"LuaFFIPerThreadRule", [](const Args& a) { return makePerThreadRule(a.str(1, "the code")); }},
};

std::vector<core::Address> addresses(const Args& a, int i) {
  std::vector<core::Address> out;
  for (const auto& s : checkStrings(a.L, i, a.fn, "the addresses"))
    out.push_back(core::Address::parse(s, 0));
  return out;
}

rules::ActionPtr makeNegativeAndSoa(const Args& a) {
  auto u32 = [&](int i, const char* what) { return uint32_t(a.integer(i, what, 0, 0xffffffffLL)); };
  rules::SoaFields soa;
  soa.zone = a.name(a.str(2, "the zone"));
  soa.ttl = u32(3, "the TTL");
  soa.mname = a.name(a.str(4, "the mname"));
  soa.rname = a.name(a.str(5, "the rname"));
  soa.serial = u32(6, "the serial");
  soa.refresh = u32(7, "the refresh");
  soa.retry = u32(8, "the retry");
  soa.expire = u32(9, "the expire");
  soa.minimum = u32(10, "the minimum");
  return rules::negativeAndSoaAction(checkBool(a.L, 1, a.fn), std::move(soa), a.flagsOption(11));
}

rules::ActionPtr makeEcsPrefixLength(const Args& a) {
  return rules::setEcsPrefixLengthAction(uint8_t(a.integer(1, "the IPv4 prefix length", 0, 32)),
                                         uint8_t(a.integer(2, "the IPv6 prefix length", 0, 128)));
}

constexpr Def<rules::ActionPtr> kActions[] = {
    {"AllowAction", [](const Args&) { return rules::allowAction(); }},
    {"DropAction", [](const Args&) { return rules::dropAction(); }},
    {"NoneAction", [](const Args&) { return rules::noneAction(); }},
    {"RCodeAction",
     [](const Args& a) {
       return rules::rcodeAction(uint8_t(a.integer(1, "the rcode", 0, 15)), a.flagsOption(2));
     }},
    {"ERCodeAction",
     [](const Args& a) {
       return rules::ercodeAction(uint16_t(a.integer(1, "the rcode", 0, 255)), a.flagsOption(2));
     }},
    {"TCAction", [](const Args&) { return rules::tcAction(); }},
    {"SpoofAction",
     [](const Args& a) {
       // One string that is not an address is a CNAME target, as older dnsdist accepted.
       if (lua_type(a.L, 1) == LUA_TSTRING) {
         std::string s = a.str(1, "the address");
         try {
           core::Address::parse(s, 0);
         } catch (const std::invalid_argument&) {
           return rules::spoofCnameAction(a.name(s), a.spoofOptions(2));
         }
       }
       return rules::spoofAction(addresses(a, 1), a.spoofOptions(2));
     }},
    {"SpoofCNAMEAction",
     [](const Args& a) {
       return rules::spoofCnameAction(a.name(a.str(1, "the CNAME target")), a.spoofOptions(2));
     }},
    {"SpoofRawAction",
     [](const Args& a) {
       return rules::spoofRawAction(checkStrings(a.L, 1, a.fn, "the raw RDATA"), a.spoofOptions(2));
     }},
    {"KeyValueStoreLookupAction",
     [](const Args& a) {
       return rules::kvsLookupAction(a.kvs(1), a.lookupKey(2), a.str(3, "the destination tag"));
     }},
    {"KeyValueStoreRangeLookupAction",
     [](const Args& a) {
       return rules::kvsRangeLookupAction(a.kvs(1), a.lookupKey(2),
                                          a.str(3, "the destination tag"));
     }},
    {"SpoofSVCAction",
     [](const Args& a) {
       std::vector<rules::SvcParams> records;
       if (lua_type(a.L, 1) != LUA_TTABLE)
         throw ConfigError("SpoofSVCAction: expects a list of newSVCRecordParameters()");
       for (int k = 1;; ++k) {
         lua_rawgeti(a.L, 1, k);
         if (lua_isnil(a.L, -1)) break;
         auto* p = testUserdata<rules::SvcParams>(a.L, -1, kSvcMeta);
         lua_pop(a.L, 1);
         if (!p)
           throw ConfigError(
               fmt::format("SpoofSVCAction: entry {} is not a newSVCRecordParameters()", k));
         records.push_back(*p);
       }
       lua_pop(a.L, 1);
       return rules::spoofSvcAction(records, a.spoofOptions(2));
     }},
    {"PoolAction",
     [](const Args& a) {
       return rules::poolAction(a.str(1, "the pool name"), a.optBool(2, true));
     }},
    {"QPSPoolAction",
     [](const Args& a) {
       return rules::qpsPoolAction(a.num(1, "the qps"), a.str(2, "the pool name"),
                                   a.optBool(3, true));
     }},
    {"LogAction",
     [](const Args& a) {
       // dnsdist's binary and buffered flags change the format and flushing only.
       return rules::logAction(a.optStr(1, "the file name"), a.optBool(3, true));
     }},
    {"HTTPStatusAction",
     [](const Args& a) {
       return rules::httpStatusAction(int(a.integer(1, "the HTTP status", 200, 599)),
                                      a.str(2, "the body"), a.optStr(3, "the content type"),
                                      a.flagsOption(4));
     }},
    {"NegativeAndSOAAction", makeNegativeAndSoa},
    {"SetNegativeAndSOAAction", makeNegativeAndSoa},  // before dnsdist 1.6
    {"QPSAction", [](const Args& a) { return rules::qpsAction(a.num(1, "the qps")); }},
    {"SetEDNSOptionAction",
     [](const Args& a) {
       return rules::setEdnsOptionAction(uint16_t(a.integer(1, "the option code", 0, 65535)),
                                         a.str(2, "the option data"));
     }},
    {"SetMacAddrAction",
     [](const Args& a) {
       return rules::setMacAddrAction(uint16_t(a.integer(1, "the option code", 0, 65535)));
     }},
    {"MacAddrAction",  // before dnsdist 1.6
     [](const Args& a) {
       return rules::setMacAddrAction(uint16_t(a.integer(1, "the option code", 0, 65535)));
     }},
    {"SetSkipCacheAction", [](const Args&) { return rules::setSkipCacheAction(); }},
    {"SetTempFailureCacheTTLAction",
     [](const Args& a) {
       return rules::setTempFailureCacheTTLAction(
           uint32_t(a.integer(1, "the TTL", 0, 0xffffffffLL)));
     }},
    {"TempFailureCacheTTLAction",  // before dnsdist 1.6
     [](const Args& a) {
       return rules::setTempFailureCacheTTLAction(
           uint32_t(a.integer(1, "the TTL", 0, 0xffffffffLL)));
     }},
    {"SetTagAction",
     [](const Args& a) {
       return rules::setTagAction(a.str(1, "the tag name"), a.optStr(2, "the tag value"));
     }},
    {"SetProxyProtocolValuesAction",
     [](const Args& a) {
       return rules::setProxyProtocolValuesAction(toProxyValues(a.L, 1, a.fn));
     }},
    {"SetAdditionalProxyProtocolValueAction",
     [](const Args& a) {
       return rules::setAdditionalProxyProtocolValueAction(
           uint8_t(a.integer(1, "the type", 0, 255)), a.str(2, "the value"));
     }},
    {"SetNoRecurseAction", [](const Args&) { return rules::setNoRecurseAction(); }},
    // The names dnsdist 1.7 still accepts from before 1.6.
    {"NoRecurseAction", [](const Args&) { return rules::setNoRecurseAction(); }},
    {"DisableValidationAction", [](const Args&) { return rules::setDisableValidationAction(); }},
    {"SkipCacheAction", [](const Args&) { return rules::setSkipCacheAction(); }},
    {"TagAction",
     [](const Args& a) {
       return rules::setTagAction(a.str(1, "the tag name"), a.optStr(2, "the tag value"));
     }},
    {"SetDisableValidationAction", [](const Args&) { return rules::setDisableValidationAction(); }},
    {"DelayAction",
     [](const Args& a) {
       return rules::delayAction(uint32_t(a.integer(1, "the delay in milliseconds", 0, 3600000)));
     }},
    {"ContinueAction", [](const Args& a) { return rules::continueAction(a.action(1)); }},
    {"SetECSAction",
     [](const Args& a) {
       return rules::setEcsAction(a.str(1, "the IPv4 netmask"), a.optStr(2, "the IPv6 netmask"));
     }},
    {"SetECSPrefixLengthAction", makeEcsPrefixLength},
    {"ECSPrefixLengthAction", makeEcsPrefixLength},  // before dnsdist 1.6
    {"SetECSOverrideAction",
     [](const Args& a) { return rules::setEcsOverrideAction(checkBool(a.L, 1, a.fn)); }},
    {"ECSOverrideAction",
     [](const Args& a) { return rules::setEcsOverrideAction(checkBool(a.L, 1, a.fn)); }},
    {"SetDisableECSAction", [](const Args&) { return rules::setDisableEcsAction(); }},
    {"DisableECSAction", [](const Args&) { return rules::setDisableEcsAction(); }},
    {"TeeAction",
     [](const Args& a) {
       return rules::teeAction(core::Address::parse(a.str(1, "the remote address"), 53),
                               a.optBool(2, false));
     }},
    {"LuaAction", [](const Args& a) { return makeLuaAction(a.L, 1, false); }},
    {"LuaFFIAction", [](const Args& a) { return makeLuaAction(a.L, 1, true); }},
    {"LuaFFIPerThreadAction",
     [](const Args& a) { return makePerThreadAction(a.str(1, "the code")); }},
};

constexpr Def<rules::ResponseActionPtr> kResponseActions[] = {
    {"AllowResponseAction", [](const Args&) { return rules::allowResponseAction(); }},
    {"DropResponseAction", [](const Args&) { return rules::dropResponseAction(); }},
    {"SetSkipCacheResponseAction", [](const Args&) { return rules::setSkipCacheResponseAction(); }},
    {"SetTagResponseAction",
     [](const Args& a) {
       return rules::setTagResponseAction(a.str(1, "the tag name"), a.optStr(2, "the tag value"));
     }},
    {"TagResponseAction",  // before dnsdist 1.6
     [](const Args& a) {
       return rules::setTagResponseAction(a.str(1, "the tag name"), a.optStr(2, "the tag value"));
     }},
    {"LogResponseAction",
     [](const Args& a) {
       return rules::logResponseAction(a.optStr(1, "the file name"), a.optBool(2, true));
     }},
    {"DelayResponseAction",
     [](const Args& a) {
       return rules::delayResponseAction(
           uint32_t(a.integer(1, "the delay in milliseconds", 0, 3600000)));
     }},
    {"SetMaxTTLResponseAction",
     [](const Args& a) {
       return rules::setMaxTTLResponseAction(uint32_t(a.integer(1, "the TTL", 0, 0xffffffffLL)));
     }},
    {"SetMinTTLResponseAction",
     [](const Args& a) {
       return rules::setMinTTLResponseAction(uint32_t(a.integer(1, "the TTL", 0, 0xffffffffLL)));
     }},
    {"LuaResponseAction", [](const Args& a) { return makeLuaResponseAction(a.L, 1, false); }},
    {"LuaFFIResponseAction", [](const Args& a) { return makeLuaResponseAction(a.L, 1, true); }},
    {"LuaFFIPerThreadResponseAction",
     [](const Args& a) { return makePerThreadResponseAction(a.str(1, "the code")); }},
    {"LimitTTLResponseAction",
     [](const Args& a) {
       std::vector<uint16_t> types;
       if (a.has(3)) {
         for (int k = 1; lua_rawgeti(a.L, 3, k), !lua_isnil(a.L, -1); ++k) {
           types.push_back(toQType(a.L, -1, a.fn));
           lua_pop(a.L, 1);
         }
         lua_pop(a.L, 1);
       }
       return rules::limitTTLResponseAction(
           uint32_t(a.optInteger(1, "the minimum TTL", 0, 0xffffffffLL, 0)),
           uint32_t(a.optInteger(2, "the maximum TTL", 0, 0xffffffffLL, 0xffffffffLL)),
           std::move(types));
     }},
};

/// The generic binding of table `Table` (upvalue 1: the entry's index); `meta` names the
/// userdata made.
template <typename T, size_t N, const Def<T> (&Table)[N], const char* const& Meta>
int makeFromTable(lua_State* L) {
  const Def<T>& d = Table[lua_tointeger(L, lua_upvalueindex(1))];
  std::string error;
  try {
    T made = d.make(Args{L, d.name});
    pushUserdata(L, Meta, std::move(made));
    return 1;
  } catch (const ConfigError& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = std::string(d.name) + ": " + e.what();
  }
  luaL_where(L, 1);
  lua_pushstring(L, error.c_str());
  error = std::string();
  lua_concat(L, 2);
  return lua_error(L);
}

template <typename T, size_t N, const Def<T> (&Table)[N], const char* const& Meta>
void registerTable(lua_State* L) {
  for (size_t i = 0; i < N; ++i) {
    lua_pushinteger(L, lua_Integer(i));
    lua_pushcclosure(L, makeFromTable<T, N, Table, Meta>, 1);
    lua_setglobal(L, Table[i].name);
  }
}

}  // namespace

void registerRuleBindings(lua_State* L) {
  registerRuleTypes(L);
  registerKvsBindings(L);
  registerDNSQuestionTypes(L);
  registerTable<rules::SelectorPtr, std::size(kSelectors), kSelectors, kSelectorMeta>(L);
  registerTable<rules::ActionPtr, std::size(kActions), kActions, kActionMeta>(L);
  registerTable<rules::ResponseActionPtr, std::size(kResponseActions), kResponseActions,
                kResponseActionMeta>(L);
  registerRuleChainBindings(L);
}

}  // namespace ballast::lua
