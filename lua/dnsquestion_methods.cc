// SPDX-License-Identifier: GPL-2.0-only
/// The DNSQuestion / DNSResponse methods over the packet and the query's transport
/// (getContent, getDO, getEDNSOptions, getProtocol, getHTTP*, trailing data, spoof,
/// setHTTPResponse, setNegativeAndAdditionalSOA, editTTLs...), kept apart from the object's
/// fields in dnsquestion.cc. Everything reads what the query context already holds: nothing
/// here costs a query that does not call it.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/query_context.hh"
#include "core/rules/actions.hh"
#include "core/rules/http.hh"
#include "dns/header.hh"
#include "dns/message.hh"
#include "dns/types.hh"
#include "lua/binding.hh"
#include "lua/dnsquestion.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace rules = core::rules;

namespace {

constexpr const char* kEdnsViewMeta = "ballast.EDNSOptionView";

/// EDNSOptionView: the values of one EDNS option code, in the order the packet has them.
struct EdnsOptionView {
  std::vector<std::string> values;
};

void reparse(rules::DQ& dq) {
  dns::MessageView m;
  if (dns::MessageView::parse({dq.packet, dq.length}, m) == dns::ParseError::None) dq.message = m;
}

/// Runs a C++ step that may throw (a bad name or address) and turns the exception into a
/// Lua error once the C++ frames are gone.
template <typename F>
int guarded(lua_State* L, F&& f) {
  {
    std::string error;
    try {
      return f();
    } catch (const std::exception& e) {
      error = e.what();
    }
    lua_pushstring(L, error.c_str());
  }
  luaL_where(L, 1);
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

int dqGetContent(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  lua_pushlstring(L, reinterpret_cast<const char*>(dq.packet), dq.length);
  return 1;
}

int dqGetDO(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  lua_pushboolean(L, dq.message.edns().present && dq.message.edns().dnssecOk);
  return 1;
}

int dqGetEDNSOptions(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  lua_newtable(L);
  if (!dq.message.edns().present) return 1;
  int table = lua_gettop(L);
  dns::forEachEdnsOption(dq.message.ednsOptions(), [&](uint16_t code, std::span<const uint8_t> d) {
    lua_rawgeti(L, table, code);
    auto* view = testUserdata<EdnsOptionView>(L, -1, kEdnsViewMeta);
    if (!view) {
      lua_pop(L, 1);
      pushUserdata(L, kEdnsViewMeta, EdnsOptionView{});
      view = static_cast<EdnsOptionView*>(lua_touserdata(L, -1));
      lua_pushvalue(L, -1);
      lua_rawseti(L, table, code);
    }
    view->values.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
    lua_pop(L, 1);
  });
  return 1;
}

int viewCount(lua_State* L) {
  lua_pushinteger(L, lua_Integer(checkUserdata<EdnsOptionView>(L, 1, kEdnsViewMeta).values.size()));
  return 1;
}

int viewGetValues(lua_State* L) {
  const auto& v = checkUserdata<EdnsOptionView>(L, 1, kEdnsViewMeta).values;
  lua_createtable(L, int(v.size()), 0);
  for (size_t i = 0; i < v.size(); ++i) {
    lua_pushlstring(L, v[i].data(), v[i].size());
    lua_rawseti(L, -2, int(i + 1));
  }
  return 1;
}

/// dnsdist's names of the transports.
int dqGetProtocol(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  const char* p = "Do53 UDP";
  if (dq.query && dq.query->http)
    p = "DNS over HTTPS";
  else if (dq.query && dq.query->destination.tls)
    p = "DNS over TLS";
  else if (dq.tcp)
    p = "Do53 TCP";
  lua_pushstring(L, p);
  return 1;
}

const core::HttpRequest* http(rules::DQ& dq) {
  return dq.query ? dq.query->http : nullptr;
}

void pushView(lua_State* L, std::string_view s) {
  lua_pushlstring(L, s.data(), s.size());
}

int dqGetHTTPPath(lua_State* L) {
  auto* h = http(checkDNSQuestion(L, 1));
  pushView(L, h ? h->path : std::string_view());
  return 1;
}
int dqGetHTTPQueryString(lua_State* L) {
  auto* h = http(checkDNSQuestion(L, 1));
  pushView(L, h ? h->queryString : std::string_view());
  return 1;
}
int dqGetHTTPHost(lua_State* L) {
  auto* h = http(checkDNSQuestion(L, 1));
  pushView(L, h ? h->host : std::string_view());
  return 1;
}
int dqGetHTTPScheme(lua_State* L) {
  auto* h = http(checkDNSQuestion(L, 1));
  pushView(L, h ? h->scheme : std::string_view());
  return 1;
}
/// As dnsdist: the headers only when the bind keeps them (keepIncomingHeaders).
int dqGetHTTPHeaders(lua_State* L) {
  auto* h = http(checkDNSQuestion(L, 1));
  lua_newtable(L);
  if (h)
    for (const auto& [name, value] : h->headers) {
      lua_pushlstring(L, name.data(), name.size());
      lua_pushlstring(L, value.data(), value.size());
      lua_rawset(L, -3);
    }
  return 1;
}

int dqGetServerNameIndication(lua_State* L) {
  const std::string* sni = serverName(checkDNSQuestion(L, 1));
  if (sni)
    lua_pushlstring(L, sni->data(), sni->size());
  else
    lua_pushliteral(L, "");
  return 1;
}

int dqGetTrailingData(lua_State* L) {
  auto t = trailingData(checkDNSQuestion(L, 1));
  lua_pushlstring(L, t.data(), t.size());
  return 1;
}

/// Replaces the trailing data; false (nothing changed) when it does not fit.
int dqSetTrailingData(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  size_t len = 0;
  const char* tail = luaL_checklstring(L, 2, &len);
  lua_pushboolean(L, setTrailingData(dq, {tail, len}));
  return 1;
}

int dqSetTagArray(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!dq.query) return 0;
  lua_pushnil(L);
  while (lua_next(L, 2) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
      return luaL_error(L, "setTagArray: expects a table of names and string values");
    std::string name = lua_tostring(L, -2), value = lua_tostring(L, -1);
    lua_pop(L, 1);
    bool found = false;
    for (auto& [k, v] : dq.query->tags)
      if (k == name) {
        v = value;
        found = true;
      }
    if (!found) dq.query->tags.emplace_back(std::move(name), std::move(value));
  }
  return 0;
}

int dqSetEDNSOption(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  lua_Integer code = luaL_checkinteger(L, 2);
  size_t len = 0;
  const char* data = luaL_checklstring(L, 3, &len);
  if (code < 0 || code > 65535) return luaL_error(L, "setEDNSOption: code must be 0 to 65535");
  return guarded(L, [&] {
    rules::setEdnsOptionAction(uint16_t(code), std::string(data, len))->apply(dq);
    return 0;
  });
}

/// dq:spoof(ComboAddress | {ComboAddress...} | raw | {raw...}): the answer is written in
/// place; the function then returns DNSAction.HeaderModify, as dnsdist wants.
int dqSpoof(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  return guarded(L, [&] {
    std::vector<core::Address> addrs;
    std::vector<std::string> raws;
    auto one = [&](int idx) {
      if (auto* a = testUserdata<core::Address>(L, idx, kComboAddressMeta)) {
        addrs.push_back(*a);
      } else if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L, idx, &len);
        raws.emplace_back(s, len);
      } else {
        throw std::invalid_argument("spoof: expects ComboAddresses or raw strings");
      }
    };
    if (lua_type(L, 2) == LUA_TTABLE) {
      for (int i = 1;; ++i) {
        lua_rawgeti(L, 2, i);
        bool end = lua_isnil(L, -1);
        if (!end) {
          try {
            one(lua_gettop(L));
          } catch (...) {
            lua_pop(L, 1);
            throw;
          }
        }
        lua_pop(L, 1);
        if (end) break;
      }
    } else {
      one(2);
    }
    if (!addrs.empty() && !raws.empty())
      throw std::invalid_argument("spoof: mixes ComboAddresses and raw strings");
    if (addrs.empty() && raws.empty()) throw std::invalid_argument("spoof: nothing to answer with");
    if (!addrs.empty())
      rules::spoofAction(std::move(addrs))->apply(dq);
    else
      rules::spoofRawAction(std::move(raws))->apply(dq);
    reparse(dq);
    return 0;
  });
}

/// DoH only: the HTTP answer to send instead of DNS once the function returns
/// DNSAction.HeaderModify (QR set); ignored for other queries, as dnsdist does.
int dqSetHTTPResponse(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  lua_Integer status = luaL_checkinteger(L, 2);
  size_t len = 0;
  const char* body = luaL_checklstring(L, 3, &len);
  const char* type = luaL_optstring(L, 4, "");
  if (status < 200 || status > 599)
    return luaL_error(L, "setHTTPResponse: status must be 200 to 599");
  if (!dq.query || !dq.query->http) return 0;
  dq.query->http->status = int(status);
  dq.query->http->body.assign(body, len);
  dq.query->http->contentType = type;
  return 0;
}

/// Turns the query into NXDOMAIN (nxd) or NODATA with the SOA in the additional section.
int dqSetNegativeAndAdditionalSOA(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  return guarded(L, [&] {
    const char* fn = "setNegativeAndAdditionalSOA";
    auto u32 = [&](int idx, const char* what) {
      double n = checkNumber(L, idx, fn, what);
      if (n < 0 || n > 4294967295.0 || n != double(uint32_t(n)))
        throw ConfigError(std::string(fn) + ": " + what +
                          " must be a whole number from 0 to 4294967295");
      return uint32_t(n);
    };
    bool nxd = checkBool(L, 2, fn);
    rules::SoaFields soa;
    soa.zone = dns::Name::fromString(checkString(L, 3, fn, "the zone"));
    soa.ttl = u32(4, "ttl");
    soa.mname = dns::Name::fromString(checkString(L, 5, fn, "mname"));
    soa.rname = dns::Name::fromString(checkString(L, 6, fn, "rname"));
    soa.serial = u32(7, "serial");
    soa.refresh = u32(8, "refresh");
    soa.retry = u32(9, "retry");
    soa.expire = u32(10, "expire");
    soa.minimum = u32(11, "minimum");
    auto v = rules::negativeAndSoaAction(nxd, soa)->apply(dq);
    reparse(dq);
    lua_pushboolean(L, v == rules::Verdict::Answer);
    return 1;
  });
}

/// DNSResponse:editTTLs(func): func(section, qclass, qtype, ttl) for every record but the
/// OPT; a number returned is the record's new TTL.
int drEditTTLs(lua_State* L) {
  rules::DQ& dq = checkDNSQuestion(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  dns::MessageView m;
  if (dns::MessageView::parse({dq.packet, dq.length}, m) != dns::ParseError::None) return 0;
  for (const auto& r : m) {
    if (r.type == dns::qtype::OPT) continue;
    lua_pushvalue(L, 2);
    lua_pushinteger(L, int(r.section));
    lua_pushinteger(L, r.klass);
    lua_pushinteger(L, r.type);
    lua_pushnumber(L, r.ttl);
    lua_call(L, 4, 1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_Number n = lua_tonumber(L, -1);
      uint32_t ttl = n < 0 ? 0 : n > 4294967295.0 ? 0xffffffffu : uint32_t(n);
      uint8_t* p = dq.packet + r.ttlOffset;
      p[0] = uint8_t(ttl >> 24);
      p[1] = uint8_t(ttl >> 16);
      p[2] = uint8_t(ttl >> 8);
      p[3] = uint8_t(ttl);
    }
    lua_pop(L, 1);
  }
  return 0;
}

}  // namespace

std::string_view trailingData(const rules::DQ& dq) {
  size_t end = std::min(dq.message.messageEnd(), dq.length);
  return {reinterpret_cast<const char*>(dq.packet) + end, dq.length - end};
}

bool setTrailingData(rules::DQ& dq, std::string_view tail) {
  size_t end = std::min(dq.message.messageEnd(), dq.length);
  if (end + tail.size() > dq.capacity || end + tail.size() > 65535) return false;
  std::memcpy(dq.packet + end, tail.data(), tail.size());
  dq.length = end + tail.size();
  reparse(dq);
  return true;
}

const std::string* serverName(const rules::DQ& dq) {
  return dq.sni ? dq.sni : dq.query ? dq.query->destination.sni : nullptr;
}

void addDNSQuestionMethods(lua_State* L, int methods) {
  static const Binding kMethods[] = {
      {"getContent", dqGetContent},
      {"getDO", dqGetDO},
      {"getEDNSOptions", dqGetEDNSOptions},
      {"getProtocol", dqGetProtocol},
      {"getHTTPPath", dqGetHTTPPath},
      {"getHTTPQueryString", dqGetHTTPQueryString},
      {"getHTTPHost", dqGetHTTPHost},
      {"getHTTPScheme", dqGetHTTPScheme},
      {"getHTTPHeaders", dqGetHTTPHeaders},
      {"getServerNameIndication", dqGetServerNameIndication},
      {"getTrailingData", dqGetTrailingData},
      {"setTrailingData", dqSetTrailingData},
      {"setTagArray", dqSetTagArray},
      {"setEDNSOption", dqSetEDNSOption},
      {"spoof", dqSpoof},
      {"setHTTPResponse", dqSetHTTPResponse},
      {"setNegativeAndAdditionalSOA", dqSetNegativeAndAdditionalSOA},
      {"editTTLs", drEditTTLs},
  };
  for (const auto& m : kMethods) {
    lua_pushcfunction(L, m.fn);
    lua_setfield(L, methods, m.name);
  }
  registerUserdataType<EdnsOptionView>(L, kEdnsViewMeta,
                                       {{"count", viewCount}, {"getValues", viewGetValues}});
}

}  // namespace ballast::lua
