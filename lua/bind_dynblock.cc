// SPDX-License-Identifier: GPL-2.0-only
/// Dynamic blocks: newDynBlockRulesGroup and its methods, addDynBlocks, showDynBlocks,
/// clearDynBlocks, setDynBlocksAction, setDynBlocksPurgeInterval, the exceed*() helpers, and the
/// DNSAction table.
#include <fmt/format.h>

#include <memory>

#include "core/clock.hh"
#include "core/dynblock_group.hh"
#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/rule_types.hh"
#include "lua/stat_node.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

constexpr const char* kGroupMeta = "ballast.DynBlockRulesGroup";
using GroupPtr = std::shared_ptr<core::DynBlockGroup>;

core::DynBlockAction toBlockAction(lua_State* L, int idx, const char* fn,
                                   core::DynBlockAction def) {
  if (lua_isnoneornil(L, idx)) return def;
  switch (checkInteger(L, idx, fn, "the action", 0, 64)) {
    case kDrop:
      return core::DynBlockAction::Drop;
    case kRefused:
      return core::DynBlockAction::Refused;
    case kNxdomain:
      return core::DynBlockAction::NXDomain;
    case kTruncate:
      return core::DynBlockAction::Truncate;
    case kNoOp:
      return core::DynBlockAction::NoOp;
    case kNone:
      return def;
    default:
      throw ConfigError(
          std::string(fn) +
          ": the action must be DNSAction.Drop, Refused, Nxdomain, Truncate, NoOp or None");
  }
}

/// The rate arguments shared by the set*Rate methods, from `idx`: rate, seconds, reason,
/// blockingTime [, action [, warningRate]].
core::DynBlockRate readRate(lua_State* L, Host& h, int idx, const char* fn, bool ratio) {
  core::DynBlockRate r;
  r.rate = checkNumber(L, idx, fn, ratio ? "the ratio" : "the rate");
  if (r.rate < 0 || (ratio && r.rate > 1))
    throw ConfigError(std::string(fn) + (ratio ? ": the ratio must be from 0 to 1"
                                               : ": the rate must not be negative"));
  r.seconds = int(checkInteger(L, idx + 1, fn, "the number of seconds", 1, 3600 * 24));
  r.reason = checkString(L, idx + 2, fn, "the reason");
  r.blockSeconds = int(checkInteger(L, idx + 3, fn, "the blocking time", 1, 3600 * 24 * 365));
  int next = idx + 4;
  if (ratio)
    r.minResponses =
        size_t(checkInteger(L, next++, fn, "the minimum number of responses", 0, 1LL << 40));
  core::DynBlockAction def = h.runtime.config.load()->dynBlockAction;
  r.action = toBlockAction(L, next, fn, def);
  if (!lua_isnoneornil(L, next + 1))
    r.warningRate = checkNumber(L, next + 1, fn, "the warning rate");
  return r;
}

GroupPtr& group(lua_State* L) {
  return checkUserdata<GroupPtr>(L, 1, kGroupMeta);
}

int newDynBlockRulesGroup(lua_State* L, Host&) {
  pushUserdata(L, kGroupMeta, std::make_shared<core::DynBlockGroup>());
  return 1;
}

int setQueryRate(lua_State* L, Host& h) {
  group(L)->setQueryRate(readRate(L, h, 2, "setQueryRate", false));
  return 0;
}
int setRCodeRate(lua_State* L, Host& h) {
  auto rc = uint8_t(checkInteger(L, 2, "setRCodeRate", "the rcode", 0, 15));
  group(L)->setRCodeRate(rc, readRate(L, h, 3, "setRCodeRate", false));
  return 0;
}
int setRCodeRatio(lua_State* L, Host& h) {
  auto rc = uint8_t(checkInteger(L, 2, "setRCodeRatio", "the rcode", 0, 15));
  group(L)->setRCodeRatio(rc, readRate(L, h, 3, "setRCodeRatio", true));
  return 0;
}
int setQTypeRate(lua_State* L, Host& h) {
  uint16_t qt = toQType(L, 2, "setQTypeRate");
  group(L)->setQTypeRate(qt, readRate(L, h, 3, "setQTypeRate", false));
  return 0;
}
int setResponseByteRate(lua_State* L, Host& h) {
  group(L)->setResponseByteRate(readRate(L, h, 2, "setResponseByteRate", false));
  return 0;
}
int setMasks(lua_State* L, Host&) {
  group(L)->setMasks(int(checkInteger(L, 2, "setMasks", "the IPv4 mask", 0, 32)),
                     int(checkInteger(L, 3, "setMasks", "the IPv6 mask", 0, 128)));
  return 0;
}
/// dnsdist's setQuiet silences the log line of each new block; ballast writes none, so the
/// flag is read for its type only.
int setQuiet(lua_State* L, Host&) {
  group(L);
  checkBool(L, 2, "setQuiet");
  return 0;
}
int excludeRange(lua_State* L, Host&) {
  auto& g = group(L);
  toNetmaskGroup(L, 2, "excludeRange");  // validates every entry first
  for (const auto& m : checkStrings(L, 2, "excludeRange", "the ranges")) g->excludeRange(m);
  return 0;
}
int includeRange(lua_State* L, Host&) {
  auto& g = group(L);
  toNetmaskGroup(L, 2, "includeRange");
  for (const auto& m : checkStrings(L, 2, "includeRange", "the ranges")) g->includeRange(m);
  return 0;
}

// The visitor of setSuffixMatchRule(FFI) lives in the group userdata's environment table
// (the group itself is a core object that holds no Lua value), under these keys.
constexpr const char* kVisitorKey = "__ballast_suffix_visitor";
constexpr const char* kVisitorFfiKey = "__ballast_suffix_visitor_ffi";

/// setSuffixMatchRule(seconds, reason, blockingTime, action, visitor) and its FFI twin.
int suffixMatchRule(lua_State* L, Host& h, const char* fn, bool ffi) {
  auto& g = group(L);
  core::DynBlockRate r;
  r.seconds = int(checkInteger(L, 2, fn, "the number of seconds", 1, 3600 * 24));
  r.reason = checkString(L, 3, fn, "the reason");
  r.blockSeconds = int(checkInteger(L, 4, fn, "the blocking time", 1, 3600 * 24 * 365));
  r.action = toBlockAction(L, 5, fn, h.runtime.config.load()->dynBlockAction);
  if (lua_type(L, 6) != LUA_TFUNCTION)
    throw ConfigError(std::string(fn) + ": the visitor must be a function");
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, 6);
  lua_setfield(L, -2, kVisitorKey);
  lua_pushboolean(L, ffi);
  lua_setfield(L, -2, kVisitorFfiKey);
  lua_setfenv(L, 1);
  g->setSuffixMatchRule(std::move(r));
  return 0;
}
int setSuffixMatchRule(lua_State* L, Host& h) {
  return suffixMatchRule(L, h, "setSuffixMatchRule", false);
}
int setSuffixMatchRuleFFI(lua_State* L, Host& h) {
  return suffixMatchRule(L, h, "setSuffixMatchRuleFFI", true);
}

int excludeDomains(lua_State* L, Host&) {
  auto& g = group(L);
  std::vector<dns::Name> names;
  for (const auto& d : checkStrings(L, 2, "excludeDomains", "the domains")) {
    try {
      names.push_back(dns::Name::fromString(d));
    } catch (const std::exception& e) {
      throw ConfigError("excludeDomains: '" + d + "': " + e.what());
    }
  }
  for (const auto& n : names) g->excludeDomain(n);
  return 0;
}

/// The names the suffix match rule's visitor picks in the responses of its window, with the
/// reason it gave (empty: the rule's), leaving out the excluded domains.
std::vector<std::pair<dns::Name, std::string>> suffixDecisions(lua_State* L,
                                                               const core::DynBlockGroup& g,
                                                               const core::Rings& rings,
                                                               int64_t now) {
  std::vector<std::pair<dns::Name, std::string>> out;
  core::StatNode root = g.suffixTree(rings, now);
  if (root.empty()) return out;
  lua_getfenv(L, 1);
  lua_getfield(L, -1, kVisitorFfiKey);
  bool ffi = lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, -1, kVisitorKey);
  int fnIdx = lua_gettop(L);
  auto pick = [&](const core::StatNode& n, std::string reason) {
    if (n.fullname().empty()) return;  // the root
    dns::Name name = dns::Name::fromString(n.fullname());
    if (!g.domainExcluded(name)) out.emplace_back(std::move(name), std::move(reason));
  };
  if (!ffi) {
    visitStatNodes(L, fnIdx, root, 2, [&](const core::StatNode& n) {
      bool block = lua_toboolean(L, -2);
      std::string reason = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
      lua_pop(L, 2);
      if (block) pick(n, std::move(reason));
    });
  } else {
    root.visit([&](const core::StatNode& n, const core::StatNodeStats& self,
                   const core::StatNodeStats& all) {
      std::string reason;
      dnsdist_ffi_stat_node_t arg{&n, &self, &all, &reason};
      lua_pushvalue(L, fnIdx);
      lua_pushlightuserdata(L, &arg);
      if (lua_pcall(L, 1, 1, 0) != 0) {
        std::string err = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error in the visitor";
        lua_pop(L, 1);
        throw ConfigError(err);
      }
      bool block = lua_toboolean(L, -1);
      lua_pop(L, 1);
      if (block) pick(n, std::move(reason));
    });
  }
  lua_pop(L, 2);
  return out;
}

/// Evaluates the group on the rings now and publishes the new blocks (and drops the
/// expired ones); publishes nothing when nothing changed.
int apply(lua_State* L, Host& h) {
  GroupPtr g = group(L);
  int64_t now = core::monotonicUsec();
  auto cfg = h.runtime.config.load();
  auto decisions = g->evaluate(*cfg->rings, now);
  std::vector<std::pair<dns::Name, std::string>> names;
  if (g->suffixMatchRule()) names = suffixDecisions(L, *g, *cfg->rings, now);
  if (decisions.empty() && names.empty() && !cfg->dynBlocks->withoutExpired(now)) return 0;
  h.target().update([&](core::RuntimeConfig& c) {
    auto next = core::DynBlockGroup::applyDecisions(*c.dynBlocks, decisions, now);
    if (!names.empty()) {
      const core::DynBlockRate& r = *g->suffixMatchRule();
      next =
          (next ? *next : *c.dynBlocks)
              .withNames(names, r.reason, now + int64_t(r.blockSeconds) * 1000000, r.action, now);
    }
    if (!next) next = c.dynBlocks->withoutExpired(now);
    if (next) c.dynBlocks = std::move(next);
  });
  return 0;
}

int groupToString(lua_State* L, Host&) {
  lua_pushstring(L, group(L)->describe().c_str());
  return 1;
}

/// addDynBlocks(addresses, message [, seconds [, action]]): `addresses` is a table whose
/// keys (as exceed*() return) or values are addresses or netmasks.
int addDynBlocks(lua_State* L, Host& h) {
  if (lua_type(L, 1) != LUA_TTABLE) throw ConfigError("addDynBlocks: expects a table of addresses");
  std::string reason = checkString(L, 2, "addDynBlocks", "the message");
  int64_t seconds = lua_isnoneornil(L, 3)
                        ? 10
                        : checkInteger(L, 3, "addDynBlocks", "the duration", 1, 3600 * 24 * 365);
  std::vector<std::pair<core::Address, int>> nets;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    int which = lua_type(L, -2) == LUA_TSTRING ? -2 : -1;
    if (lua_type(L, which) != LUA_TSTRING) {
      lua_pop(L, 2);
      throw ConfigError("addDynBlocks: addresses must be strings");
    }
    std::string text = lua_tostring(L, which);
    lua_pop(L, 1);
    try {
      core::Netmask m = core::Netmask::parse(text);
      std::string s = m.toString();
      nets.emplace_back(core::Address::parse(s.substr(0, s.find('/')), 0), m.bits());
    } catch (const std::invalid_argument& e) {
      lua_pop(L, 1);
      throw ConfigError(std::string("addDynBlocks: ") + e.what());
    }
  }
  int64_t now = core::monotonicUsec();
  h.target().update([&](core::RuntimeConfig& c) {
    core::DynBlockAction a = toBlockAction(L, 4, "addDynBlocks", c.dynBlockAction);
    c.dynBlocks = c.dynBlocks->with(nets, reason, now + seconds * 1000000, a, false, now);
  });
  return 0;
}

int showDynBlocks(lua_State*, Host& h) {
  int64_t now = core::monotonicUsec();
  std::string out = fmt::format("{:<24} {:>8} {:>8} {:<8} {:<10} {}\n", "What", "Seconds", "Blocks",
                                "Warning", "Action", "Reason");
  for (const auto& b : h.runtime.config.load()->dynBlocks->all()) {
    if (b->untilUsec <= now) continue;
    out +=
        fmt::format("{:<24} {:>8} {:>8} {:<8} {:<10} {}\n", b->network,
                    (b->untilUsec - now + 999999) / 1000000, b->blocks.value(),
                    b->warning ? "true" : "false", core::dynBlockActionName(b->action), b->reason);
  }
  h.out(out);
  return 0;
}

int clearDynBlocks(lua_State*, Host& h) {
  h.target().update(
      [](core::RuntimeConfig& c) { c.dynBlocks = std::make_shared<core::DynBlockTable>(); });
  return 0;
}

int setDynBlocksAction(lua_State* L, Host& h) {
  core::DynBlockAction a = toBlockAction(L, 1, "setDynBlocksAction", core::DynBlockAction::Drop);
  h.target().update([&](core::RuntimeConfig& c) { c.dynBlockAction = a; });
  return 0;
}

int setDynBlocksPurgeInterval(lua_State* L, Host& h) {
  auto sec =
      uint32_t(checkInteger(L, 1, "setDynBlocksPurgeInterval", "the interval", 0, 3600 * 24 * 365));
  h.target().update([&](core::RuntimeConfig& c) { c.settings.dynBlocksPurgeIntervalSec = sec; });
  return 0;
}

/// exceed*(rate, seconds): {address = count} of the clients over the rate in the rings.
template <typename Set>
int exceed(lua_State* L, Host& h, const char* fn, int first, Set&& set) {
  core::DynBlockRate r;
  r.rate = checkNumber(L, first, fn, "the rate");
  r.seconds = int(checkInteger(L, first + 1, fn, "the number of seconds", 1, 3600 * 24));
  core::DynBlockGroup g;
  set(g, r);
  lua_newtable(L);
  for (const auto& d : g.evaluate(*h.runtime.config.load()->rings, core::monotonicUsec())) {
    if (d.warning) continue;
    lua_pushnumber(L, double(d.count));
    lua_setfield(L, -2, d.network.toString().c_str());
  }
  return 1;
}
int exceedQRate(lua_State* L, Host& h) {
  return exceed(L, h, "exceedQRate", 1, [](auto& g, auto r) { g.setQueryRate(r); });
}
int exceedServFails(lua_State* L, Host& h) {
  return exceed(L, h, "exceedServFails", 1,
                [](auto& g, auto r) { g.setRCodeRate(dns::rcode::ServFail, r); });
}
int exceedNXDOMAINs(lua_State* L, Host& h) {
  return exceed(L, h, "exceedNXDOMAINs", 1,
                [](auto& g, auto r) { g.setRCodeRate(dns::rcode::NXDomain, r); });
}
int exceedRespByterate(lua_State* L, Host& h) {
  return exceed(L, h, "exceedRespByterate", 1, [](auto& g, auto r) { g.setResponseByteRate(r); });
}
int exceedQTypeRate(lua_State* L, Host& h) {
  uint16_t qt = toQType(L, 1, "exceedQTypeRate");
  return exceed(L, h, "exceedQTypeRate", 2, [qt](auto& g, auto r) { g.setQTypeRate(qt, r); });
}

}  // namespace

void registerDynBlockBindings(lua_State* L) {
  registerUserdataType<GroupPtr>(L, kGroupMeta,
                                 {{"setQueryRate", wrap<setQueryRate>},
                                  {"setRCodeRate", wrap<setRCodeRate>},
                                  {"setRCodeRatio", wrap<setRCodeRatio>},
                                  {"setQTypeRate", wrap<setQTypeRate>},
                                  {"setResponseByteRate", wrap<setResponseByteRate>},
                                  {"setMasks", wrap<setMasks>},
                                  {"setQuiet", wrap<setQuiet>},
                                  {"setSuffixMatchRule", wrap<setSuffixMatchRule>},
                                  {"setSuffixMatchRuleFFI", wrap<setSuffixMatchRuleFFI>},
                                  {"excludeDomains", wrap<excludeDomains>},
                                  {"excludeRange", wrap<excludeRange>},
                                  {"includeRange", wrap<includeRange>},
                                  {"apply", wrap<apply>},
                                  {"toString", wrap<groupToString>}});
  static const Binding b[] = {
      {"newDynBlockRulesGroup", wrap<newDynBlockRulesGroup>},
      {"dynBlockRulesGroup", wrap<newDynBlockRulesGroup>},  // dnsdist 1.7's spelling
      {"addDynBlocks", wrap<addDynBlocks>},
      {"showDynBlocks", wrap<showDynBlocks>},
      {"clearDynBlocks", wrap<clearDynBlocks>},
      {"setDynBlocksAction", wrap<setDynBlocksAction>},
      {"setDynBlocksPurgeInterval", wrap<setDynBlocksPurgeInterval>},
      {"exceedQRate", wrap<exceedQRate>},
      {"exceedServFails", wrap<exceedServFails>},
      {"exceedNXDOMAINs", wrap<exceedNXDOMAINs>},
      {"exceedRespByterate", wrap<exceedRespByterate>},
      {"exceedQTypeRate", wrap<exceedQTypeRate>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
