// SPDX-License-Identifier: GPL-2.0-only
#include "lua/dnsquestion.hh"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/backend.hh"
#include "core/netmask.hh"
#include "core/runtime_config.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"
#include "lua/binding.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace rules = core::rules;

namespace {

constexpr const char* kDQMeta = "ballast.DNSQuestion";
constexpr const char* kNameMeta = kDNSNameMeta;
constexpr const char* kAddrMeta = kComboAddressMeta;
constexpr const char* kHeaderMeta = "ballast.DNSHeader";

struct DQRef {
  rules::DQ* dq;
};

rules::DQ& dqAt(lua_State* L, int idx);

}  // namespace

rules::DQ& checkDNSQuestion(lua_State* L, int idx) {
  return dqAt(L, idx);
}

namespace {

rules::DQ& dqAt(lua_State* L, int idx) {
  auto* r = static_cast<DQRef*>(luaL_checkudata(L, idx, kDQMeta));
  if (!r->dq) luaL_error(L, "this DNSQuestion belongs to a query already processed");
  return *r->dq;
}

// DNSName
int nameToString(lua_State* L) {
  lua_pushstring(L, checkUserdata<dns::Name>(L, 1, kNameMeta).toString().c_str());
  return 1;
}
int nameToStringNoDot(lua_State* L) {
  std::string s = checkUserdata<dns::Name>(L, 1, kNameMeta).toString();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  lua_pushstring(L, s.c_str());
  return 1;
}
int nameCountLabels(lua_State* L) {
  lua_pushinteger(L, lua_Integer(checkUserdata<dns::Name>(L, 1, kNameMeta).labelCount()));
  return 1;
}
int nameWireLength(lua_State* L) {
  lua_pushinteger(L, lua_Integer(checkUserdata<dns::Name>(L, 1, kNameMeta).wireLength()));
  return 1;
}
dns::Name nameArg(lua_State* L, int idx) {
  if (auto* n = testUserdata<dns::Name>(L, idx, kNameMeta)) return *n;
  try {
    return dns::Name::fromString(luaL_checkstring(L, idx));
  } catch (const std::exception& e) {
    luaL_error(L, "%s", e.what());
  }
  return {};
}
int nameIsPartOf(lua_State* L) {
  lua_pushboolean(L, checkUserdata<dns::Name>(L, 1, kNameMeta).isPartOf(nameArg(L, 2)));
  return 1;
}
/// Drops the first label; false (unchanged) on the root.
int nameChopOff(lua_State* L) {
  auto& n = checkUserdata<dns::Name>(L, 1, kNameMeta);
  if (n.isRoot()) {
    lua_pushboolean(L, 0);
    return 1;
  }
  auto w = n.wire();
  n = dns::Name::fromWire(w.subspan(size_t(w[0]) + 1));
  lua_pushboolean(L, 1);
  return 1;
}
/// The name in wire format.
int nameToDNSString(lua_State* L) {
  auto w = checkUserdata<dns::Name>(L, 1, kNameMeta).wire();
  lua_pushlstring(L, reinterpret_cast<const char*>(w.data()), w.size());
  return 1;
}
int nameEqual(lua_State* L) {
  lua_pushboolean(L, checkUserdata<dns::Name>(L, 1, kNameMeta) == nameArg(L, 2));
  return 1;
}

// ComboAddress
int addrToString(lua_State* L) {
  lua_pushstring(L, checkUserdata<core::Address>(L, 1, kAddrMeta).toString().c_str());
  return 1;
}
int addrToStringWithPort(lua_State* L) {
  lua_pushstring(L, checkUserdata<core::Address>(L, 1, kAddrMeta).toStringWithPort().c_str());
  return 1;
}
int addrGetPort(lua_State* L) {
  lua_pushinteger(L, checkUserdata<core::Address>(L, 1, kAddrMeta).port());
  return 1;
}
int addrIsIPv4(lua_State* L) {
  lua_pushboolean(L, checkUserdata<core::Address>(L, 1, kAddrMeta).isV4());
  return 1;
}
int addrIsIPv6(lua_State* L) {
  lua_pushboolean(L, checkUserdata<core::Address>(L, 1, kAddrMeta).isV6());
  return 1;
}

int addrEqual(lua_State* L) {
  auto* a = testUserdata<core::Address>(L, 1, kAddrMeta);
  auto* b = testUserdata<core::Address>(L, 2, kAddrMeta);
  lua_pushboolean(L, a && b && *a == *b);
  return 1;
}
int addrIsMappedIPv4(lua_State* L) {
  lua_pushboolean(L, core::isMappedV4(checkUserdata<core::Address>(L, 1, kAddrMeta)));
  return 1;
}
int addrMapToIPv4(lua_State* L) {
  const auto& a = checkUserdata<core::Address>(L, 1, kAddrMeta);
  if (!core::isMappedV4(a)) return luaL_error(L, "mapToIPv4: not an IPv4-mapped IPv6 address");
  pushUserdata(L, kAddrMeta, core::mapToV4(a));
  return 1;
}
/// Clears every bit after the first `bits`, in place.
int addrTruncate(lua_State* L) {
  auto& a = checkUserdata<core::Address>(L, 1, kAddrMeta);
  lua_Integer bits = luaL_checkinteger(L, 2);
  if (bits < 0) return luaL_error(L, "truncate: bits must not be negative");
  a = core::truncateAddress(a, unsigned(std::min<lua_Integer>(bits, 128)));
  return 0;
}

// DNSHeader: points at its DNSQuestion's DQRef (kept alive through the header's
// environment), so invalidating the question invalidates the header too.
struct HeaderRefUd {
  DQRef* question;
};
dns::HeaderRef header(lua_State* L) {
  auto* r = static_cast<HeaderRefUd*>(luaL_checkudata(L, 1, kHeaderMeta));
  if (!r->question->dq) luaL_error(L, "this DNSHeader belongs to a query already processed");
  return dns::HeaderRef(r->question->dq->packet);
}
#define BALLAST_FLAG(Get, Set, acc, setter) \
  int Get(lua_State* L) {                   \
    lua_pushboolean(L, header(L).acc());    \
    return 1;                               \
  }                                         \
  int Set(lua_State* L) {                   \
    header(L).setter(lua_toboolean(L, 2));  \
    return 0;                               \
  }
BALLAST_FLAG(hGetRD, hSetRD, rd, setRd)
BALLAST_FLAG(hGetCD, hSetCD, cd, setCd)
BALLAST_FLAG(hGetTC, hSetTC, tc, setTc)
BALLAST_FLAG(hGetQR, hSetQR, qr, setQr)
BALLAST_FLAG(hGetAA, hSetAA, aa, setAa)
BALLAST_FLAG(hGetAD, hSetAD, ad, setAd)
BALLAST_FLAG(hGetRA, hSetRA, ra, setRa)
#undef BALLAST_FLAG
int hGetID(lua_State* L) {
  lua_pushinteger(L, header(L).id());
  return 1;
}
int hGetRCODE(lua_State* L) {
  lua_pushinteger(L, header(L).rcode());
  return 1;
}
int hSetRCODE(lua_State* L) {
  header(L).setRcode(uint8_t(luaL_checkinteger(L, 2)));
  return 0;
}

// DNSQuestion methods
int dqGetTag(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  const char* name = luaL_checkstring(L, 2);
  if (dq.query)
    for (const auto& [k, v] : dq.query->tags)
      if (k == name) {
        lua_pushlstring(L, v.data(), v.size());
        return 1;
      }
  lua_pushnil(L);
  return 1;
}
int dqSetTag(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  std::string name = luaL_checkstring(L, 2), value = luaL_optstring(L, 3, "");
  if (!dq.query) return 0;
  for (auto& [k, v] : dq.query->tags)
    if (k == name) {
      v = value;
      return 0;
    }
  dq.query->tags.emplace_back(name, value);
  return 0;
}
int dqGetTagArray(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  lua_newtable(L);
  if (dq.query)
    for (const auto& [k, v] : dq.query->tags) {
      lua_pushlstring(L, v.data(), v.size());
      lua_setfield(L, -2, k.c_str());
    }
  return 1;
}

int dqAddProxyProtocolValue(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  lua_Integer type = luaL_checkinteger(L, 2);
  size_t len = 0;
  const char* value = luaL_checklstring(L, 3, &len);
  if (type < 0 || type > 255) return luaL_error(L, "addProxyProtocolValue: type must be 0 to 255");
  if (dq.query) dq.query->proxyValues.push_back({uint8_t(type), std::string(value, len)});
  return 0;
}
int dqSetProxyProtocolValues(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  std::string error;
  try {
    auto values = toProxyValues(L, 2, "setProxyProtocolValues");
    if (dq.query) dq.query->proxyValues = std::move(values);
    return 0;
  } catch (const std::exception& e) {
    error = e.what();
  }
  return luaL_error(L, "%s", error.c_str());
}
/// {[type] = content}: of several values of one type, the last.
int dqGetProxyProtocolValues(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  lua_newtable(L);
  if (dq.query)
    for (const auto& v : dq.query->proxyValues) {
      lua_pushlstring(L, v.content.data(), v.content.size());
      lua_rawseti(L, -2, v.type);
    }
  return 1;
}

int dqIndex(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));  // the methods
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  std::string key = luaL_checkstring(L, 2);
  dns::HeaderView h(dq.packet);
  if (key == "qname") {
    pushUserdata(L, kNameMeta, dq.qname);
  } else if (key == "qtype") {
    lua_pushinteger(L, dq.message.question().qtype);
  } else if (key == "qclass") {
    lua_pushinteger(L, dq.message.question().qclass);
  } else if (key == "len") {
    lua_pushinteger(L, lua_Integer(dq.length));
  } else if (key == "size") {
    lua_pushinteger(L, lua_Integer(dq.capacity));  // the buffer the message may grow into
  } else if (key == "opcode") {
    lua_pushinteger(L, h.opcode());
  } else if (key == "rcode") {
    lua_pushinteger(L, h.rcode());
  } else if (key == "tcp") {
    lua_pushboolean(L, dq.tcp);
  } else if (key == "remoteaddr") {
    pushUserdata(L, kAddrMeta, *dq.remote);
  } else if (key == "localaddr") {
    pushUserdata(L, kAddrMeta, *dq.local);
  } else if (key == "dh") {
    pushUserdata(L, kHeaderMeta, HeaderRefUd{static_cast<DQRef*>(lua_touserdata(L, 1))});
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_setfenv(L, -2);
  } else if (key == "skipCache") {
    lua_pushboolean(L, dq.query && dq.query->skipCache);
  } else if (key == "pool") {
    lua_pushstring(L, dq.query ? dq.query->poolName.c_str() : "");
  } else if (key == "useECS") {
    lua_pushboolean(L, dq.query && dq.query->useECS);
  } else if (key == "ecsOverride") {
    lua_pushboolean(L, dq.query && dq.query->ecsOverride);
  } else if (key == "ecsPrefixLength") {
    lua_pushinteger(L, dq.query ? dq.query->ecsPrefixLength : 0);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int dqNewIndex(lua_State* L) {
  rules::DQ& dq = dqAt(L, 1);
  std::string key = luaL_checkstring(L, 2);
  if (key == "skipCache" && dq.query) {
    dq.query->skipCache = lua_toboolean(L, 3);
  } else if (key == "pool" && dq.query) {
    dq.query->poolName = luaL_checkstring(L, 3);
  } else if (key == "useECS" && dq.query) {
    dq.query->useECS = lua_toboolean(L, 3);
  } else if (key == "ecsOverride" && dq.query) {
    dq.query->ecsOverride = lua_toboolean(L, 3);
  } else if (key == "ecsPrefixLength" && dq.query) {
    lua_Integer bits = luaL_checkinteger(L, 3);
    if (bits < 0 || bits > (dq.remote && dq.remote->isV4() ? 32 : 128))
      return luaL_error(L, "DNSQuestion: ecsPrefixLength out of range");
    dq.query->ecsPrefixLength = uint8_t(bits);
  } else {
    return luaL_error(L, "DNSQuestion: '%s' cannot be set", key.c_str());
  }
  return 0;
}

}  // namespace

void pushDNSQuestion(lua_State* L, rules::DQ* dq) {
  *static_cast<DQRef*>(lua_newuserdata(L, sizeof(DQRef))) = DQRef{dq};
  luaL_getmetatable(L, kDQMeta);
  lua_setmetatable(L, -2);
}

void invalidateDNSQuestion(lua_State* L, int idx) {
  static_cast<DQRef*>(lua_touserdata(L, idx))->dq = nullptr;
}

rules::Verdict verdictFromLua(int action, const std::string& arg, rules::DQ& dq) {
  auto answer = [&](uint8_t rcode) {
    dq.length = rules::selfGeneratedResponse(dq.packet, dq.length, dq.capacity, dq.message, rcode,
                                             dq.config ? &dq.config->settings : nullptr);
    return rules::Verdict::Answer;
  };
  switch (action) {
    case kAllow:
      return rules::Verdict::Allow;
    case kDrop:
      return rules::Verdict::Drop;
    case kNxdomain:
      return answer(dns::rcode::NXDomain);
    case kRefused:
      return answer(dns::rcode::Refused);
    case kServFail:
      return answer(dns::rcode::ServFail);
    case kTruncate:
      return rules::tcAction()->apply(dq);
    case kHeaderModify:
      dns::HeaderRef(dq.packet).setQr(true);
      return rules::Verdict::Answer;
    case kPool:
      if (!dq.query) return rules::Verdict::None;
      dq.query->poolName = arg;
      return rules::Verdict::Pool;
    case kSpoofed: {
      try {
        std::vector<core::Address> addrs;
        size_t start = 0;
        while (start <= arg.size()) {
          size_t end = arg.find(',', start);
          std::string one =
              arg.substr(start, end == std::string::npos ? std::string::npos : end - start);
          if (!one.empty()) addrs.push_back(core::Address::parse(one, 0));
          if (end == std::string::npos) break;
          start = end + 1;
        }
        return rules::spoofAction(std::move(addrs))->apply(dq);
      } catch (const std::invalid_argument&) {
        try {
          return rules::spoofCnameAction(dns::Name::fromString(arg))->apply(dq);
        } catch (const std::invalid_argument&) {
          return answer(dns::rcode::ServFail);
        }
      }
    }
    case kSpoofRaw:
      return rules::spoofRawAction({arg})->apply(dq);
    case kNoRecurse:
      dns::HeaderRef(dq.packet).setRd(false);
      return rules::Verdict::None;
    case kDelay: {
      // As DelayAction: only a UDP answer waits (delayMsec is null for stream clients).
      char* end = nullptr;
      unsigned long ms = std::strtoul(arg.c_str(), &end, 10);
      if (dq.delayMsec && end != arg.c_str() && *end == '\0' && ms <= 3'600'000)
        *dq.delayMsec = uint32_t(ms);
      return rules::Verdict::None;
    }
    default:
      return rules::Verdict::None;  // None, NoOp
  }
}

void registerDNSQuestionTypes(lua_State* L) {
  luaL_newmetatable(L, kDQMeta);
  lua_newtable(L);
  static const Binding kFieldMethods[] = {
      {"getTag", dqGetTag},
      {"setTag", dqSetTag},
      {"getTagArray", dqGetTagArray},
      {"addProxyProtocolValue", dqAddProxyProtocolValue},
      {"getProxyProtocolValues", dqGetProxyProtocolValues},
      {"setProxyProtocolValues", dqSetProxyProtocolValues},
  };
  for (const auto& m : kFieldMethods) {
    lua_pushcfunction(L, m.fn);
    lua_setfield(L, -2, m.name);
  }
  addDNSQuestionMethods(L, lua_gettop(L));
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__methods");
  lua_pushcclosure(L, dqIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, dqNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);
  registerUserdataType<dns::Name>(L, kNameMeta,
                                  {{"toString", nameToString},
                                   {"toStringNoDot", nameToStringNoDot},
                                   {"countLabels", nameCountLabels},
                                   {"wirelength", nameWireLength},
                                   {"isPartOf", nameIsPartOf},
                                   {"chopOff", nameChopOff},
                                   {"toDNSString", nameToDNSString},
                                   {"equal", nameEqual}},
                                  nameToString);
  registerUserdataType<core::Address>(L, kAddrMeta,
                                      {{"toString", addrToString},
                                       {"toStringWithPort", addrToStringWithPort},
                                       // dnsdist's older spellings, still documented in 1.7
                                       {"tostring", addrToString},
                                       {"tostringWithPort", addrToStringWithPort},
                                       {"getPort", addrGetPort},
                                       {"isIPv4", addrIsIPv4},
                                       {"isIPv6", addrIsIPv6},
                                       {"isMappedIPv4", addrIsMappedIPv4},
                                       {"mapToIPv4", addrMapToIPv4},
                                       {"truncate", addrTruncate}},
                                      addrToString);
  // dnsdist compares DNSNames (case-insensitively) and ComboAddresses with ==.
  luaL_getmetatable(L, kNameMeta);
  lua_pushcfunction(L, nameEqual);
  lua_setfield(L, -2, "__eq");
  lua_pop(L, 1);
  luaL_getmetatable(L, kAddrMeta);
  lua_pushcfunction(L, addrEqual);
  lua_setfield(L, -2, "__eq");
  lua_pop(L, 1);
  setTextConversion(L, kNameMeta, nameToString);
  setTextConversion(L, kAddrMeta, addrToString);
  registerUserdataType<HeaderRefUd>(L, kHeaderMeta,
                                    {{"getRD", hGetRD},
                                     {"setRD", hSetRD},
                                     {"getCD", hGetCD},
                                     {"setCD", hSetCD},
                                     {"getTC", hGetTC},
                                     {"setTC", hSetTC},
                                     {"getQR", hGetQR},
                                     {"setQR", hSetQR},
                                     {"getAA", hGetAA},
                                     {"setAA", hSetAA},
                                     {"getAD", hGetAD},
                                     {"setAD", hSetAD},
                                     {"getRA", hGetRA},
                                     {"setRA", hSetRA},
                                     {"getID", hGetID},
                                     {"getRCODE", hGetRCODE},
                                     {"setRCODE", hSetRCODE}});
}

}  // namespace ballast::lua
