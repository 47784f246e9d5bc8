// SPDX-License-Identifier: GPL-2.0-only
/// Rule chain management, declared once per chain in kChains: add<X>Action, show<X>Rules,
/// rm<X>Rule, mv<X>Rule, top<X>Rule, clear<X>Rules, set<X>Rules (X: "", "Response",
/// "CacheHitResponse", "SelfAnsweredResponse"), and newRuleAction. Every change publishes
/// a new runtime snapshot.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <type_traits>

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
  static std::shared_ptr<const Rule> make(rules::SelectorPtr s, ActionPtr a, std::string name) {
    auto r = std::make_shared<Rule>();
    r->selector = std::move(s);
    r->action = std::move(a);
    r->name = std::move(name);
    r->id = rules::nextRuleId();
    return r;
  }
  /// The index of rule `idx` (a position or a name) in `c`; throws if there is none.
  static size_t find(lua_State* L, int idx, const Chain& c, const char* fn) {
    if (lua_type(L, idx) == LUA_TSTRING) {
      std::string name = lua_tostring(L, idx);
      for (size_t i = 0; i < c.size(); ++i)
        if (c[i]->name == name) return i;
      throw ConfigError(std::string(fn) + ": no rule named '" + name + "'");
    }
    int64_t n = checkInteger(L, idx, fn, "the rule number", 0, 1 << 30);
    if (size_t(n) >= c.size())
      throw ConfigError(fmt::format("{}: no rule {} ({} rules)", fn, n, c.size()));
    return size_t(n);
  }

  static int add(lua_State* L, Host& h) {
    const char* fn = "addAction";
    auto sel = toSelector(L, 1, fn);
    ActionPtr act = checkUserdata<ActionPtr>(L, 2, ChainTraits<Chain>::meta);
    Options o(L, 3, fn);
    std::string name = o.string("name").value_or("");
    o.done();
    auto r = make(std::move(sel), std::move(act), std::move(name));
    change(h, [&](Chain& c) { c.push_back(r); });
    return 0;
  }
  /// The showRules table of `rows` (position in the chain, rule).
  static std::string table(const std::vector<std::pair<size_t, const Rule*>>& rows, bool uuids) {
    std::string out = uuids ? fmt::format("{:<3} {:<30} {:<20} {:>9} {:<50} {}\n", "#", "Name",
                                          "UUID", "Matches", "Rule", "Action")
                            : fmt::format("{:<3} {:<30} {:>9} {:<50} {}\n", "#", "Name", "Matches",
                                          "Rule", "Action");
    for (const auto& [i, r] : rows) {
      if (uuids)
        out += fmt::format("{:<3} {:<30} {:<20} {:>9} {:<50} {}\n", i, r->name, r->id,
                           r->matches.value(), r->selector->describe(), r->action->describe());
      else
        out += fmt::format("{:<3} {:<30} {:>9} {:<50} {}\n", i, r->name, r->matches.value(),
                           r->selector->describe(), r->action->describe());
    }
    return out;
  }
  static bool showUuids(lua_State* L, int idx, const char* fn) {
    Options o(L, idx, fn);
    bool uuids = o.boolean("showUUIDs").value_or(false);
    o.integer("truncateRuleWidth", 0, 1 << 20);
    o.done();
    return uuids;
  }
  static int show(lua_State* L, Host& h) {
    bool uuids = showUuids(L, 1, "showRules");
    std::shared_ptr<const core::RuntimeConfig> keep;
    const Chain& c = current(h, keep);
    std::vector<std::pair<size_t, const Rule*>> rows;
    for (size_t i = 0; i < c.size(); ++i) rows.emplace_back(i, c[i].get());
    h.out(table(rows, uuids));
    return 0;
  }
  /// topRules([n [, options]]): the n rules (10 by default) that matched the most.
  static int topMatches(lua_State* L, Host& h) {
    size_t n = size_t(
        lua_isnoneornil(L, 1) ? 10 : checkInteger(L, 1, "topRules", "the count", 0, 1 << 30));
    bool uuids = showUuids(L, 2, "topRules");
    std::shared_ptr<const core::RuntimeConfig> keep;
    const Chain& c = current(h, keep);
    std::vector<std::pair<size_t, const Rule*>> rows;
    for (size_t i = 0; i < c.size(); ++i) rows.emplace_back(i, c[i].get());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second->matches.value() > b.second->matches.value();
    });
    if (rows.size() > n) rows.resize(n);
    h.out(table(rows, uuids));
    return 0;
  }
  static int rm(lua_State* L, Host& h) {
    change(h, [&](Chain& c) { c.erase(c.begin() + ptrdiff_t(find(L, 1, c, "rmRule"))); });
    return 0;
  }
  static int mv(lua_State* L, Host& h) {
    int64_t to = checkInteger(L, 2, "mvRule", "the destination", 0, 1 << 30);
    change(h, [&](Chain& c) {
      size_t from = find(L, 1, c, "mvRule");
      auto r = c[from];
      c.erase(c.begin() + ptrdiff_t(from));
      c.insert(c.begin() + ptrdiff_t(std::min(size_t(to), c.size())), std::move(r));
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
        next.push_back(make(ra->selector, ra->action, ra->name));
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
  Options o(L, 3, "newRuleAction");
  v.name = o.string("name").value_or("");
  o.done();
  pushUserdata(L, kRuleActionMeta, std::move(v));
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
}

}  // namespace

void registerRuleChainBindings(lua_State* L) {
  registerChain<Ops<rules::QueryChain, &rules::RuleChains::query>>(L, "");
  registerChain<Ops<rules::ResponseChain, &rules::RuleChains::response>>(L, "Response");
  registerChain<Ops<rules::ResponseChain, &rules::RuleChains::cacheHit>>(L, "CacheHitResponse");
  registerChain<Ops<rules::ResponseChain, &rules::RuleChains::selfAnswered>>(
      L, "SelfAnsweredResponse");
  lua_register(L, "newRuleAction", wrap<newRuleAction>);
}

}  // namespace ballast::lua
