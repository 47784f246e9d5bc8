// SPDX-License-Identifier: GPL-2.0-only
/// Rule chain management, declared once per chain in kChains: add<X>Action, show<X>Rules,
/// rm<X>Rule, mv<X>Rule, top<X>Rule, clear<X>Rules, set<X>Rules (X: "", "Response",
/// "CacheHitResponse", "SelfAnsweredResponse"), and newRuleAction. Every change publishes
/// a new runtime snapshot.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <type_traits>

#include "core/rules/rule_id.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

namespace rules = core::rules;

/// What differs between the chains: where the chain lives and which action type it takes.
template <typename Chain>
struct ChainTraits;
template <>
struct ChainTraits<rules::QueryChain> {
  using ActionPtr = rules::ActionPtr;
  static constexpr const char* meta = kActionMeta;
};
template <>
struct ChainTraits<rules::ResponseChain> {
  using ActionPtr = rules::ResponseActionPtr;
  static constexpr const char* meta = kResponseActionMeta;
};

/// The `name` and `uuid` options of add*Action and newRuleAction (table at `idx`).
struct RuleOptions {
  std::string name, uuid;
};
RuleOptions readRuleOptions(lua_State* L, int idx, const char* fn) {
  Options o(L, idx, fn);
  RuleOptions out;
  out.name = o.string("name").value_or("");
  if (auto u = o.string("uuid")) {
    auto canonical = rules::canonicalUuid(*u);
    if (!canonical) throw ConfigError(fmt::format("{}: uuid '{}' is not a UUID", fn, *u));
    out.uuid = *canonical;
  }
  o.done();
  if (out.uuid.empty()) out.uuid = rules::randomUuid();
  return out;
}

/// The options of show*Rules and top*Rules: showUUIDs, truncateRuleWidth (-1: whole).
struct ShowOptions {
  bool uuids = false;
  size_t width = std::string::npos;
};
ShowOptions readShowOptions(lua_State* L, int idx, const char* fn) {
  Options o(L, idx, fn);
  ShowOptions out;
  out.uuids = o.boolean("showUUIDs").value_or(false);
  if (auto w = o.integer("truncateRuleWidth", -1, 1 << 20); w && *w >= 0) out.width = size_t(*w);
  o.done();
  return out;
}

template <typename Chain, Chain rules::RuleChains::*Member>
struct Ops {
  using Rule = std::remove_const_t<typename Chain::value_type::element_type>;
  using ActionPtr = typename ChainTraits<Chain>::ActionPtr;

  static void change(Host& h, const std::function<void(Chain&)>& fn) {
    h.target().update([&](core::RuntimeConfig& c) { fn(c.rules.*Member); });
  }
  static const Chain& current(Host& h, std::shared_ptr<const core::RuntimeConfig>& keep) {
    keep = h.runtime.config.load();
    return keep->rules.*Member;
  }
  static std::shared_ptr<const Rule> make(rules::SelectorPtr s, ActionPtr a, RuleOptions o) {
    auto r = std::make_shared<Rule>();
    r->selector = std::move(s);
    r->action = std::move(a);
    r->name = std::move(o.name);
    r->uuid = std::move(o.uuid);
    r->id = rules::nextRuleId();
    return r;
  }
  /// The index of rule `idx` (a position) in `c`; throws if there is none.
  static size_t position(lua_State* L, int idx, const Chain& c, const char* fn) {
    int64_t n = checkInteger(L, idx, fn, "the rule number", 0, 1 << 30);
    if (size_t(n) >= c.size())
      throw ConfigError(fmt::format("{}: no rule {} ({} rules)", fn, n, c.size()));
    return size_t(n);
  }

  static int add(lua_State* L, Host& h) {
    const char* fn = "addAction";
    auto sel = toSelector(L, 1, fn);
    ActionPtr act = checkUserdata<ActionPtr>(L, 2, ChainTraits<Chain>::meta);
    auto r = make(std::move(sel), std::move(act), readRuleOptions(L, 3, fn));
    change(h, [&](Chain& c) { c.push_back(r); });
    return 0;
  }
  /// dnsdist's rules table of `rows` (number, rule): the number counts the rows shown.
  static std::string table(const std::vector<const Rule*>& rows, const ShowOptions& o) {
    std::string out = o.uuids
                          ? fmt::format("{:<3} {:<30} {:<38} {:>9} {:>9} {:<56} {}\n", "#", "Name",
                                        "UUID", "Cr. Order", "Matches", "Rule", "Action")
                          : fmt::format("{:<3} {:<30} {:>9} {:<56} {}\n", "#", "Name", "Matches",
                                        "Rule", "Action");
    size_t i = 0;
    for (const Rule* r : rows) {
      std::string rule = r->selector->describe().substr(0, o.width);
      if (o.uuids)
        out += fmt::format("{:<3} {:<30} {:<38} {:>9} {:>9} {:<56} {}\n", i, r->name, r->uuid,
                           r->id, r->matches.value(), rule, r->action->describe());
      else
        out += fmt::format("{:<3} {:<30} {:>9} {:<56} {}\n", i, r->name, r->matches.value(), rule,
                           r->action->describe());
      ++i;
    }
    return out;
  }
  static int show(lua_State* L, Host& h) {
    auto o = readShowOptions(L, 1, "showRules");
    std::shared_ptr<const core::RuntimeConfig> keep;
    std::vector<const Rule*> rows;
    for (const auto& r : current(h, keep)) rows.push_back(r.get());
    h.out(table(rows, o));
    return 0;
  }
  /// The `n` rules that matched the most, most first (ties in chain order), as dnsdist.
  static std::vector<const Rule*> topRows(const Chain& c, size_t n) {
    std::vector<const Rule*> rows;
    for (const auto& r : c) rows.push_back(r.get());
    std::stable_sort(rows.begin(), rows.end(), [](const Rule* a, const Rule* b) {
      return a->matches.value() > b->matches.value();
    });
    if (rows.size() > n) rows.resize(n);
    return rows;
  }
  static size_t topCount(lua_State* L, const char* fn) {
    return size_t(lua_isnoneornil(L, 1) ? 10 : checkInteger(L, 1, fn, "the count", 0, 1 << 30));
  }
  /// topRules([n [, options]]): the table of the n rules (10 by default) that matched the most.
  static int topMatches(lua_State* L, Host& h) {
    size_t n = topCount(L, "topRules");
    auto o = readShowOptions(L, 2, "topRules");
    std::shared_ptr<const core::RuntimeConfig> keep;
    h.out(table(topRows(current(h, keep), n), o));
    return 0;
  }
  /// getTopRules([n]): the same rules as a list of tables (name, uuid, creationOrder,
  /// matches, rule, action), for a script to read.
  static int getTop(lua_State* L, Host& h) {
    size_t n = topCount(L, "getTopRules");
    std::shared_ptr<const core::RuntimeConfig> keep;
    lua_newtable(L);
    int k = 1;
    for (const Rule* r : topRows(current(h, keep), n)) {
      lua_newtable(L);
      lua_pushstring(L, r->name.c_str());
      lua_setfield(L, -2, "name");
      lua_pushstring(L, r->uuid.c_str());
      lua_setfield(L, -2, "uuid");
      lua_pushnumber(L, double(r->id));
      lua_setfield(L, -2, "creationOrder");
      lua_pushnumber(L, double(r->matches.value()));
      lua_setfield(L, -2, "matches");
      lua_pushstring(L, r->selector->describe().c_str());
      lua_setfield(L, -2, "rule");
      lua_pushstring(L, r->action->describe().c_str());
      lua_setfield(L, -2, "action");
      lua_rawseti(L, -2, k++);
    }
    return 1;
  }
  /// rmRule(id): a position, or a string naming a UUID or (when it is not one) a name; every
  /// rule of that name goes, as in dnsdist.
  static int rm(lua_State* L, Host& h) {
    if (lua_type(L, 1) != LUA_TSTRING) {
      change(h, [&](Chain& c) { c.erase(c.begin() + ptrdiff_t(position(L, 1, c, "rmRule"))); });
      return 0;
    }
    std::string id = lua_tostring(L, 1);
    auto uuid = rules::canonicalUuid(id);
    change(h, [&](Chain& c) {
      auto gone = std::remove_if(c.begin(), c.end(), [&](const auto& r) {
        return uuid ? r->uuid == *uuid : r->name == id;
      });
      if (gone == c.end()) throw ConfigError(fmt::format("rmRule: no rule matched '{}'", id));
      c.erase(gone, c.end());
    });
    return 0;
  }
  /// mvRule(from, to): rule `from` goes in front of rule `to`; `to` may be one past the last.
  static int mv(lua_State* L, Host& h) {
    int64_t from = checkInteger(L, 1, "mvRule", "the rule number", 0, 1 << 30);
    int64_t to = checkInteger(L, 2, "mvRule", "the destination", 0, 1 << 30);
    change(h, [&](Chain& c) {
      if (size_t(from) >= c.size() || size_t(to) > c.size())
        throw ConfigError(
            fmt::format("mvRule: cannot move rule {} to {} ({} rules)", from, to, c.size()));
      auto r = c[size_t(from)];
      c.erase(c.begin() + ptrdiff_t(from));
      size_t at = size_t(to);
      if (at > c.size())
        at = c.size();
      else if (from < to)
        --at;
      c.insert(c.begin() + ptrdiff_t(at), std::move(r));
    });
    return 0;
  }
  static int top(lua_State*, Host& h) {
    change(h, [&](Chain& c) {
      if (!c.empty()) std::rotate(c.rbegin(), c.rbegin() + 1, c.rend());
    });
    return 0;
  }
  static int clear(lua_State*, Host& h) {
    change(h, [&](Chain& c) { c.clear(); });
    return 0;
  }
  /// setRules({newRuleAction(...), ...}): the whole chain at once.
  static int set(lua_State* L, Host& h) {
    if (lua_type(L, 1) != LUA_TTABLE)
      throw ConfigError("setRules: expects a list of newRuleAction()");
    Chain next;
    for (int k = 1;; ++k) {
      lua_rawgeti(L, 1, k);
      if (lua_isnil(L, -1)) break;
      auto* ra = testUserdata<RuleActionValue>(L, -1, kRuleActionMeta);
      if (!ra) throw ConfigError(fmt::format("setRules: entry {} is not a newRuleAction()", k));
      if constexpr (std::is_same_v<Chain, rules::QueryChain>) {
        next.push_back(make(ra->selector, ra->action, {ra->name, ra->uuid}));
      } else {
        throw ConfigError("setRules: response chains take addResponseAction entries one by one");
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    change(h, [&](Chain& c) { c = std::move(next); });
    return 0;
  }
};

int newRuleAction(lua_State* L, Host&) {
  RuleActionValue v;
  v.selector = toSelector(L, 1, "newRuleAction");
  v.action = checkUserdata<rules::ActionPtr>(L, 2, kActionMeta);
  auto o = readRuleOptions(L, 3, "newRuleAction");
  v.name = std::move(o.name);
  v.uuid = std::move(o.uuid);
  pushUserdata(L, kRuleActionMeta, std::move(v));
  return 1;
}

/// getAction(n): the action of query rule n.
int getAction(lua_State* L, Host& h) {
  auto keep = h.runtime.config.load();
  const auto& c = keep->rules.query;
  int64_t n = checkInteger(L, 1, "getAction", "the rule number", 0, 1 << 30);
  if (size_t(n) >= c.size())
    throw ConfigError(fmt::format("getAction: no rule {} ({} rules)", n, c.size()));
  pushUserdata(L, kActionMeta, c[size_t(n)]->action);
  return 1;
}

/// The management functions of one chain, named after its infix.
template <typename O>
void registerChain(lua_State* L, const std::string& infix) {
  lua_register(L, ("add" + infix + "Action").c_str(), wrap<O::add>);
  lua_register(L, ("show" + infix + "Rules").c_str(), wrap<O::show>);
  lua_register(L, ("rm" + infix + "Rule").c_str(), wrap<O::rm>);
  lua_register(L, ("mv" + infix + "Rule").c_str(), wrap<O::mv>);
  lua_register(L, ("top" + infix + "Rule").c_str(), wrap<O::top>);
  lua_register(L, ("mv" + infix + "RuleToTop").c_str(), wrap<O::top>);  // dnsdist 1.6's name
  lua_register(L, ("clear" + infix + "Rules").c_str(), wrap<O::clear>);
  lua_register(L, ("top" + infix + "Rules").c_str(), wrap<O::topMatches>);
  lua_register(L, ("set" + infix + "Rules").c_str(), wrap<O::set>);
  lua_register(L, ("getTop" + infix + "Rules").c_str(), wrap<O::getTop>);
}

}  // namespace

void registerRuleChainBindings(lua_State* L) {
  registerChain<Ops<rules::QueryChain, &rules::RuleChains::query>>(L, "");
  registerChain<Ops<rules::ResponseChain, &rules::RuleChains::response>>(L, "Response");
  registerChain<Ops<rules::ResponseChain, &rules::RuleChains::cacheHit>>(L, "CacheHitResponse");
  registerChain<Ops<rules::ResponseChain, &rules::RuleChains::selfAnswered>>(
      L, "SelfAnsweredResponse");
  lua_register(L, "newRuleAction", wrap<newRuleAction>);
  lua_register(L, "getAction", wrap<getAction>);
  // The docs of dnsdist 1.7 and its code disagree on these names; both are bound.
  using CacheHit = Ops<rules::ResponseChain, &rules::RuleChains::cacheHit>;
  using SelfAnswered = Ops<rules::ResponseChain, &rules::RuleChains::selfAnswered>;
  lua_register(L, "getCacheHitResponseRules", wrap<CacheHit::getTop>);
  lua_register(L, "topCacheHitRules", wrap<CacheHit::topMatches>);
  lua_register(L, "getTopSelfAnsweredRules", wrap<SelfAnswered::getTop>);
}

}  // namespace ballast::lua
