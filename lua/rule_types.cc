// SPDX-License-Identifier: GPL-2.0-only
/// Userdata of the rule engine, newNMG, newSuffixMatchNode and the DNSRCode, DNSQType,
/// DNSClass and DNSOpcode tables.
#include "lua/rule_types.hh"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace rules = core::rules;

int64_t checkInteger(lua_State* L, int idx, const char* fn, const char* what, int64_t min,
                     int64_t max) {
  double d = checkNumber(L, idx, fn, what);
  if (std::floor(d) != d || d < double(min) || d > double(max))
    throw ConfigError(std::string(fn) + ": " + what + " must be a whole number from " +
                      std::to_string(min) + " to " + std::to_string(max));
  return int64_t(d);
}

std::vector<dns::proxy::Value> toProxyValues(lua_State* L, int idx, const char* fn) {
  if (lua_type(L, idx) != LUA_TTABLE)
    throw ConfigError(std::string(fn) + ": expects a table of types and values");
  std::vector<dns::proxy::Value> out;
  if (idx < 0) idx = lua_gettop(L) + idx + 1;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    double t = lua_type(L, -2) == LUA_TNUMBER ? lua_tonumber(L, -2) : -1;
    bool ok = std::floor(t) == t && t >= 0 && t <= 255 && lua_type(L, -1) == LUA_TSTRING;
    std::string content;
    if (ok) {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      content.assign(s, len);
    }
    lua_pop(L, 1);
    if (!ok) {
      lua_pop(L, 1);
      throw ConfigError(std::string(fn) +
                        ": each key must be a type from 0 to 255 and each value a string");
    }
    out.push_back({uint8_t(t), std::move(content)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.type < b.type; });
  return out;
}

uint16_t toQType(lua_State* L, int idx, const char* fn) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    auto t = dns::qtypeFromString(lua_tostring(L, idx));
    if (!t) throw ConfigError(std::string(fn) + ": unknown qtype '" + lua_tostring(L, idx) + "'");
    return *t;
  }
  return uint16_t(checkInteger(L, idx, fn, "the qtype", 0, 65535));
}

core::NetmaskGroup toNetmaskGroup(lua_State* L, int idx, const char* fn) {
  if (auto* g = testUserdata<core::NetmaskGroup>(L, idx, kNmgMeta)) return *g;
  core::NetmaskGroup nmg;
  try {
    for (const auto& m : checkStrings(L, idx, fn, "the netmasks")) nmg.add(m);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  return nmg;
}

rules::SelectorPtr toSelector(lua_State* L, int idx, const char* fn) {
  if (auto* s = testUserdata<rules::SelectorPtr>(L, idx, kSelectorMeta)) return *s;
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TTABLE)
    throw ConfigError(std::string(fn) +
                      ": expects a selector (a rule, a netmask, a domain, or a list of them)");
  try {
    return rules::makeRule(checkStrings(L, idx, fn, "the rule"));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
}

namespace {

int newNMG(lua_State* L, Host&) {
  pushUserdata(L, kNmgMeta, core::NetmaskGroup{});
  return 1;
}

int nmgAddMask(lua_State* L, Host&) {
  auto& g = checkUserdata<core::NetmaskGroup>(L, 1, kNmgMeta);
  try {
    for (const auto& m : checkStrings(L, 2, "addMask", "the netmask")) g.add(m);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("addMask: ") + e.what());
  }
  return 0;
}

int nmgMatch(lua_State* L, Host&) {
  auto& g = checkUserdata<core::NetmaskGroup>(L, 1, kNmgMeta);
  std::string a = checkString(L, 2, "match", "the address");
  lua_pushboolean(L, g.match(core::Address::parse(a)));
  return 1;
}

int nmgSize(lua_State* L, Host&) {
  lua_pushinteger(L, lua_Integer(checkUserdata<core::NetmaskGroup>(L, 1, kNmgMeta).size()));
  return 1;
}

int newSuffixMatchNode(lua_State* L, Host&) {
  pushUserdata(L, kSmnMeta, rules::SuffixMatchNode{});
  return 1;
}

int smnAdd(lua_State* L, Host&) {
  auto& s = checkUserdata<rules::SuffixMatchNode>(L, 1, kSmnMeta);
  try {
    for (const auto& n : checkStrings(L, 2, "add", "the name")) s.add(dns::Name::fromString(n));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("add: ") + e.what());
  }
  return 0;
}

int smnCheck(lua_State* L, Host&) {
  auto& s = checkUserdata<rules::SuffixMatchNode>(L, 1, kSmnMeta);
  dns::Name n = dns::Name::fromString(checkString(L, 2, "check", "the name"));
  std::vector<uint8_t> pkt(12);
  pkt.insert(pkt.end(), n.wire().begin(), n.wire().end());
  lua_pushboolean(L, s.check(dns::NameRef(pkt, 12)));
  return 1;
}

/// The strings of the list at the top of the stack (an SVC parameter's value).
std::vector<std::string> svcStrings(lua_State* L, const std::string& key) {
  std::vector<std::string> out;
  if (lua_type(L, -1) != LUA_TTABLE)
    throw ConfigError("newSVCRecordParameters: " + key + " expects a list of strings");
  for (int k = 1;; ++k) {
    lua_rawgeti(L, -1, k);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      return out;
    }
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      throw ConfigError("newSVCRecordParameters: " + key + " expects a list of strings");
    }
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    out.emplace_back(s, len);
    lua_pop(L, 1);
  }
}

/// One parameter of newSVCRecordParameters' table: key at -2, value at -1.
void readSvcParam(lua_State* L, rules::SvcParams& p) {
  if (lua_type(L, -2) != LUA_TSTRING)
    throw ConfigError("newSVCRecordParameters: parameter names must be strings");
  std::string key = lua_tostring(L, -2);
  auto fail = [&](const char* what) {
    throw ConfigError("newSVCRecordParameters: " + key + " expects " + what);
  };
  auto hints = [&](bool v4) {
    std::vector<core::Address> out;
    for (const auto& s : svcStrings(L, key)) {
      auto a = core::Address::parse(s, 0);
      if (a.isV4() != v4) fail(v4 ? "IPv4 addresses" : "IPv6 addresses");
      out.push_back(a);
    }
    return out;
  };
  try {
    if (key == "mandatory") {
      for (const auto& k : svcStrings(L, key)) p.mandatory.push_back(rules::svcKeyFromName(k));
    } else if (key == "alpn") {
      p.alpn = svcStrings(L, key);
    } else if (key == "noDefaultAlpn") {
      if (lua_type(L, -1) != LUA_TBOOLEAN) fail("a boolean");
      p.noDefaultAlpn = lua_toboolean(L, -1);
    } else if (key == "port") {
      double d = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : -1;
      if (std::floor(d) != d || d < 0 || d > 65535) fail("a port number");
      p.port = uint16_t(d);
    } else if (key == "ipv4hint") {
      p.ipv4hint = hints(true);
    } else if (key == "ipv6hint") {
      p.ipv6hint = hints(false);
    } else if (key == "ech") {
      if (lua_type(L, -1) != LUA_TSTRING) fail("a string");
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      p.ech = std::string(s, len);
    } else {
      uint16_t k = rules::svcKeyFromName(key);
      if (k <= rules::svckey::kIpv6Hint) fail("the option of its own name (see the dnsdist docs)");
      if (lua_type(L, -1) != LUA_TSTRING) fail("a raw string");
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      p.other[k] = std::string(s, len);
    }
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("newSVCRecordParameters: ") + e.what());
  }
}

/// newSVCRecordParameters(priority, target [, {params}]).
int newSVCRecordParameters(lua_State* L, Host&) {
  const char* fn = "newSVCRecordParameters";
  rules::SvcParams p;
  p.priority = uint16_t(checkInteger(L, 1, fn, "the priority", 0, 65535));
  try {
    p.target = dns::Name::fromString(checkString(L, 2, fn, "the target"));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  if (!lua_isnoneornil(L, 3)) {
    if (lua_type(L, 3) != LUA_TTABLE)
      throw ConfigError(std::string(fn) + ": expects a table of parameters");
    lua_pushnil(L);
    while (lua_next(L, 3) != 0) {
      readSvcParam(L, p);
      lua_pop(L, 1);
    }
  }
  try {
    rules::svcRdata(p);  // refuse now what would not make a record
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  pushUserdata(L, kSvcMeta, std::move(p));
  return 1;
}

int describeSelector(lua_State* L) {
  lua_pushstring(L, (*static_cast<rules::SelectorPtr*>(lua_touserdata(L, 1)))->describe().c_str());
  return 1;
}
int describeAction(lua_State* L) {
  lua_pushstring(L, (*static_cast<rules::ActionPtr*>(lua_touserdata(L, 1)))->describe().c_str());
  return 1;
}
/// action:printStats() and action:getStats(): the counters an action keeps (TeeAction's),
/// one "name value" line each / a table; nothing for an action that keeps none.
int actionPrintStats(lua_State* L, Host& h) {
  std::string out;
  for (const auto& [name, value] : checkUserdata<rules::ActionPtr>(L, 1, kActionMeta)->stats())
    out += fmt::format("{}\t{}\n", name, value);
  h.out(out);
  return 0;
}
int actionGetStats(lua_State* L, Host&) {
  lua_newtable(L);
  for (const auto& [name, value] : checkUserdata<rules::ActionPtr>(L, 1, kActionMeta)->stats()) {
    lua_pushnumber(L, double(value));
    lua_setfield(L, -2, name.c_str());
  }
  return 1;
}
int describeResponseAction(lua_State* L) {
  lua_pushstring(
      L, (*static_cast<rules::ResponseActionPtr*>(lua_touserdata(L, 1)))->describe().c_str());
  return 1;
}

void setTable(lua_State* L, const char* name,
              std::initializer_list<std::pair<const char*, int>> entries) {
  lua_newtable(L);
  for (const auto& [k, v] : entries) {
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
  }
  lua_setglobal(L, name);
}

}  // namespace

void registerDnsConstants(lua_State* L) {
  setTable(L, "DNSRCode", {{"NOERROR", 0},  {"FORMERR", 1}, {"SERVFAIL", 2},  {"NXDOMAIN", 3},
                           {"NOTIMP", 4},   {"REFUSED", 5}, {"YXDOMAIN", 6},  {"YXRRSET", 7},
                           {"NXRRSET", 8},  {"NOTAUTH", 9}, {"NOTZONE", 10},  {"BADVERS", 16},
                           {"BADSIG", 16},  {"BADKEY", 17}, {"BADTIME", 18},  {"BADMODE", 19},
                           {"BADNAME", 20}, {"BADALG", 21}, {"BADTRUNC", 22}, {"BADCOOKIE", 23}});
  setTable(L, "DNSClass", {{"IN", 1}, {"CHAOS", 3}, {"NONE", 254}, {"ANY", 255}});
  setTable(L, "DNSOpcode",
           {{"Query", 0}, {"IQuery", 1}, {"Status", 2}, {"Notify", 4}, {"Update", 5}});
  setTable(L, "DNSQType", {{"A", 1},     {"NS", 2},     {"CNAME", 5}, {"SOA", 6},     {"PTR", 12},
                           {"MX", 15},   {"TXT", 16},   {"AAAA", 28}, {"SRV", 33},    {"NAPTR", 35},
                           {"DS", 43},   {"RRSIG", 46}, {"NSEC", 47}, {"DNSKEY", 48}, {"NSEC3", 50},
                           {"SVCB", 64}, {"HTTPS", 65}, {"ANY", 255}, {"AXFR", 252},  {"IXFR", 251},
                           {"CAA", 257}});
  setTable(L, "DNSAction",
           {{"Allow", kAllow},
            {"Delay", kDelay},
            {"Drop", kDrop},
            {"HeaderModify", kHeaderModify},
            {"Nxdomain", kNxdomain},
            {"Pool", kPool},
            {"Refused", kRefused},
            {"Spoof", kSpoofed},
            {"Spoofed", kSpoofed},  // the name ballast used first; kept for old files
            {"SpoofRaw", kSpoofRaw},
            {"Truncate", kTruncate},
            {"ServFail", kServFail},
            {"None", kNone},
            {"NoOp", kNoOp},
            {"NoRecurse", kNoRecurse}});
  setTable(L, "DNSSection", {{"Question", 0}, {"Answer", 1}, {"Authority", 2}, {"Additional", 3}});
  setTable(L, "EDNSOptionCode",
           {{"NSID", 3},
            {"DAU", 5},
            {"DHU", 6},
            {"N3U", 7},
            {"ECS", 8},
            {"EXPIRE", 9},
            {"COOKIE", 10},
            {"TCPKEEPALIVE", 11},
            {"PADDING", 12},
            {"CHAIN", 13},
            {"KEYTAG", 14}});
  setTable(L, "DNSResponseAction",
           {{"Allow", kAllow},
            {"Delay", kDelay},
            {"Drop", kDrop},
            {"HeaderModify", kHeaderModify},
            {"None", kNone},
            {"ServFail", kServFail}});
}

void registerRuleTypes(lua_State* L) {
  registerUserdataType<rules::SelectorPtr>(L, kSelectorMeta, {}, describeSelector);
  registerUserdataType<rules::ActionPtr>(
      L, kActionMeta, {{"printStats", wrap<actionPrintStats>}, {"getStats", wrap<actionGetStats>}},
      describeAction);
  registerUserdataType<rules::ResponseActionPtr>(L, kResponseActionMeta, {},
                                                 describeResponseAction);
  registerUserdataType<RuleActionValue>(L, kRuleActionMeta, {});
  registerUserdataType<rules::SvcParams>(L, kSvcMeta, {});
  registerUserdataType<core::NetmaskGroup>(L, kNmgMeta,
                                           {{"addMask", wrap<nmgAddMask>},
                                            {"addMasks", wrap<nmgAddMask>},
                                            {"match", wrap<nmgMatch>},
                                            {"size", wrap<nmgSize>}});
  registerUserdataType<rules::SuffixMatchNode>(L, kSmnMeta,
                                               {{"add", wrap<smnAdd>}, {"check", wrap<smnCheck>}});
  static const Binding b[] = {
      {"newNMG", wrap<newNMG>},
      {"newSuffixMatchNode", wrap<newSuffixMatchNode>},
      {"newSVCRecordParameters", wrap<newSVCRecordParameters>},
  };
  registerAll(L, std::begin(b), std::end(b));
  registerDnsConstants(L);
}

}  // namespace ballast::lua
