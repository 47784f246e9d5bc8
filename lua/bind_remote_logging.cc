// SPDX-License-Identifier: GPL-2.0-only
/// Remote logging (logging/): newRemoteLogger, newFrameStreamUnixLogger,
/// newFrameStreamTcpLogger and the logger object; RemoteLogAction, RemoteLogResponseAction,
/// DnstapLogAction, DnstapLogResponseAction; and the message objects their alterFunction
/// receives (DNSDistProtoBufMessage, DnstapMessage), valid only during that call. The
/// alterFunction runs in the shared state under its lock, as dnsdist runs it.
#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <stdexcept>

#include "dns/name.hh"
#include "logging/fstrm.hh"
#include "logging/log_actions.hh"
#include "lua/binding.hh"
#include "lua/bindings.hh"
#include "lua/dnsquestion.hh"
#include "lua/ipcipher.hh"
#include "lua/lua_rules.hh"
#include "lua/rule_types.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

namespace rules = core::rules;
using LoggerPtr = std::shared_ptr<logging::Logger>;

constexpr const char* kLoggerMeta = "ballast.RemoteLogger";
constexpr const char* kPbMessageMeta = "ballast.DNSDistProtoBufMessage";
constexpr const char* kDnstapMessageMeta = "ballast.DnstapMessage";

/// What the alterFunction gets: the message being built, null once the action returned.
template <typename M>
struct MessageRef {
  M* m = nullptr;
};
using PbRef = MessageRef<logging::PbMessage>;
using DnstapRef = MessageRef<logging::DnstapMessage>;

template <typename M>
M& message(lua_State* L, const char* meta) {
  auto& r = checkUserdata<MessageRef<M>>(L, 1, meta);
  if (!r.m) throw ConfigError("the message can only be used inside its alterFunction");
  return *r.m;
}
logging::PbMessage& pb(lua_State* L) {
  return message<logging::PbMessage>(L, kPbMessageMeta);
}

void reportError(const char* msg) {
  static std::atomic<int> reported{0};
  if (reported.fetch_add(1, std::memory_order_relaxed) < 20)
    fmt::print(stderr, "Error in remote logging alterFunction: {}\n", msg ? msg : "unknown error");
}

/// The alterFunction at `idx` (none: an empty function), called with (DNSQuestion, message).
template <typename M>
std::function<void(rules::DQ&, M&)> alterFunction(lua_State* L, int idx, const char* fn,
                                                  const char* meta) {
  if (lua_isnoneornil(L, idx)) return {};
  if (lua_type(L, idx) != LUA_TFUNCTION)
    throw ConfigError(std::string(fn) + ": the alterFunction must be a function");
  lua_pushvalue(L, idx);
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);  // kept: rules may outlive their removal
  std::mutex* lock = sharedLock(L);
  return [L, ref, lock, meta](rules::DQ& dq, M& m) {
    std::lock_guard guard(*lock);
    int base = lua_gettop(L);
    pushDNSQuestion(L, &dq);
    pushUserdata(L, meta, MessageRef<M>{&m});
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushvalue(L, base + 1);
    lua_pushvalue(L, base + 2);
    if (lua_pcall(L, 2, 0, 0) != 0) reportError(lua_tostring(L, -1));
    static_cast<MessageRef<M>*>(lua_touserdata(L, base + 2))->m = nullptr;
    invalidateDNSQuestion(L, base + 1);
    lua_settop(L, base);
  };
}

LoggerPtr checkLogger(lua_State* L, int idx, const char* fn, bool dnstap) {
  auto* p = testUserdata<LoggerPtr>(L, idx, kLoggerMeta);
  if (!p)
    throw ConfigError(std::string(fn) + ": expects a logger (newRemoteLogger" +
                      (dnstap ? ", newFrameStreamUnixLogger or newFrameStreamTcpLogger)" : ")"));
  if (!dnstap && (*p)->dnstap())
    throw ConfigError(std::string(fn) +
                      " only takes a newRemoteLogger; a Frame Streams logger "
                      "goes with DnstapLogAction or DnstapLogResponseAction");
  return *p;
}

core::Address loggerAddress(lua_State* L, int idx, const char* fn) {
  std::string text = checkString(L, idx, fn, "the address");
  core::Address a;
  try {
    a = core::Address::parse(text, 0);
  } catch (const std::exception& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  if (a.port() == 0) throw ConfigError(std::string(fn) + ": '" + text + "' has no port");
  return a;
}

/// newRemoteLogger(address [, timeout=2 [, maxQueuedEntries=100 [, reconnectWaitTime=1]]]):
/// as dnsdist, the queue holds maxQueuedEntries * 100 bytes.
int newRemoteLogger(lua_State* L, Host&) {
  const char* fn = "newRemoteLogger";
  core::Address a = loggerAddress(L, 1, fn);
  auto opt = [&](int i, const char* what, int64_t max, int64_t def) {
    return lua_isnoneornil(L, i) ? def : checkInteger(L, i, fn, what, 0, max);
  };
  auto timeout = uint32_t(opt(2, "the timeout", 3600, 2));
  auto entries = uint64_t(opt(3, "maxQueuedEntries", int64_t(1) << 32, 100));
  auto wait = uint32_t(opt(4, "reconnectWaitTime", 255, 1));
  pushUserdata(L, kLoggerMeta,
               LoggerPtr(std::make_shared<logging::RemoteLogger>(a, timeout, entries * 100, wait)));
  return 1;
}

template <bool Unix>
int newFrameStreamLogger(lua_State* L, Host&) {
  const char* fn = Unix ? "newFrameStreamUnixLogger" : "newFrameStreamTcpLogger";
  std::string address =
      Unix ? checkString(L, 1, fn, "the socket path") : loggerAddress(L, 1, fn).toStringWithPort();
  logging::FrameStreamOptions options;
  if (!lua_isnoneornil(L, 2)) {
    Options o(L, 2, fn);
    auto put = [&](const char* name, std::optional<int64_t> v) {
      if (v) options[name] = unsigned(*v);
    };
    constexpr int64_t kMax = 0xffffffffLL;
    put("bufferHint", o.integer("bufferHint", 0, kMax));
    put("flushTimeout", o.integer("flushTimeout", 0, kMax));
    put("inputQueueSize", o.integer("inputQueueSize", 0, kMax));
    put("outputQueueSize", o.integer("outputQueueSize", 0, kMax));
    put("queueNotifyThreshold", o.integer("queueNotifyThreshold", 0, kMax));
    put("reopenInterval", o.integer("reopenInterval", 0, kMax));
    o.done();
  }
  try {
    pushUserdata(L, kLoggerMeta,
                 LoggerPtr(std::make_shared<logging::FrameStreamLogger>(Unix, address, options)));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  return 1;
}

int loggerToString(lua_State* L) {
  lua_pushstring(L, checkUserdata<LoggerPtr>(L, 1, kLoggerMeta)->toString().c_str());
  return 1;
}

/// RemoteLogAction's and RemoteLogResponseAction's options table at `idx`.
logging::RemoteLogOptions remoteLogOptions(lua_State* L, int idx, const char* fn) {
  logging::RemoteLogOptions out;
  if (lua_isnoneornil(L, idx)) return out;
  Options o(L, idx, fn);
  out.serverID = o.string("serverID").value_or("");
  std::string key = o.string("ipEncryptKey").value_or("");
  o.done();
  if (!key.empty()) {
    try {
      ipEncrypt(core::Address::parse("192.0.2.1"), key);  // rejects a key of the wrong size
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string(fn) + ": ipEncryptKey: " + e.what());
    }
    out.encryptRequestor = [key](const core::Address& a) { return ipEncrypt(a, key); };
  }
  return out;
}

int remoteLogAction(lua_State* L, Host&) {
  const char* fn = "RemoteLogAction";
  LoggerPtr logger = checkLogger(L, 1, fn, false);
  auto alter = alterFunction<logging::PbMessage>(L, 2, fn, kPbMessageMeta);
  pushUserdata(L, kActionMeta,
               logging::remoteLogAction(logger, std::move(alter), remoteLogOptions(L, 3, fn)));
  return 1;
}

int remoteLogResponseAction(lua_State* L, Host&) {
  const char* fn = "RemoteLogResponseAction";
  LoggerPtr logger = checkLogger(L, 1, fn, false);
  auto alter = alterFunction<logging::PbMessage>(L, 2, fn, kPbMessageMeta);
  bool includeCNAME = lua_isnoneornil(L, 3) ? false : checkBool(L, 3, fn);
  logging::RemoteLogOptions o = remoteLogOptions(L, 4, fn);
  o.includeCNAME = includeCNAME;
  pushUserdata(L, kResponseActionMeta,
               logging::remoteLogResponseAction(logger, std::move(alter), std::move(o)));
  return 1;
}

template <bool Response>
int dnstapLogAction(lua_State* L, Host&) {
  const char* fn = Response ? "DnstapLogResponseAction" : "DnstapLogAction";
  std::string identity = checkString(L, 1, fn, "the identity");
  LoggerPtr logger = checkLogger(L, 2, fn, true);
  auto alter = alterFunction<logging::DnstapMessage>(L, 3, fn, kDnstapMessageMeta);
  if constexpr (Response)
    pushUserdata(L, kResponseActionMeta,
                 logging::dnstapLogResponseAction(identity, logger, std::move(alter)));
  else
    pushUserdata(L, kActionMeta, logging::dnstapLogAction(identity, logger, std::move(alter)));
  return 1;
}

// DNSDistProtoBufMessage methods.

uint16_t u16(lua_State* L, int idx, const char* fn, const char* what) {
  return uint16_t(checkInteger(L, idx, fn, what, 0, 65535));
}
uint32_t u32(lua_State* L, int idx, const char* fn, const char* what) {
  return uint32_t(checkInteger(L, idx, fn, what, 0, 0xffffffffLL));
}

core::Address addressArg(lua_State* L, const char* fn) {
  core::Address a;
  try {
    a = core::Address::parse(checkString(L, 2, fn, "the address"), 0);
  } catch (const std::exception& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  if (!lua_isnoneornil(L, 3)) a.setPort(u16(L, 3, fn, "the port"));
  return a;
}

int pbSetTag(lua_State* L, Host&) {
  pb(L).tags.push_back(checkString(L, 2, "setTag", "the tag"));
  return 0;
}
/// setTagArray({tags}): the values, in the order of their keys.
int pbSetTagArray(lua_State* L, Host&) {
  logging::PbMessage& m = pb(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  for (int k = 1;; ++k) {
    lua_rawgeti(L, 2, k);
    if (lua_isnil(L, -1)) break;
    m.tags.push_back(checkString(L, -1, "setTagArray", "a tag"));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 0;
}
int pbSetProtobufResponseType(lua_State* L, Host&) {
  logging::PbMessage& m = pb(L);
  m.response = true;
  m.queryTimeSec = lua_isnoneornil(L, 2) ? 0 : u32(L, 2, "setProtobufResponseType", "the seconds");
  m.queryTimeUsec = lua_isnoneornil(L, 3) ? 0 : u32(L, 3, "setProtobufResponseType", "the usec");
  return 0;
}
int pbAddResponseRR(lua_State* L, Host&) {
  const char* fn = "addResponseRR";
  logging::PbMessage& m = pb(L);
  std::string name;
  try {
    name = dns::Name::fromString(checkString(L, 2, fn, "the name")).toString();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  m.rrs.push_back({name, u16(L, 3, fn, "the type"), u16(L, 4, fn, "the class"),
                   u32(L, 5, fn, "the TTL"), checkString(L, 6, fn, "the data")});
  return 0;
}
int pbSetEDNSSubnet(lua_State* L, Host&) {
  logging::PbMessage& m = pb(L);
  core::Netmask n;
  try {
    n = core::Netmask::parse(checkString(L, 2, "setEDNSSubnet", "the netmask"));
  } catch (const std::exception& e) {
    throw ConfigError(std::string("setEDNSSubnet: ") + e.what());
  }
  core::Address net = n.network();
  m.ednsSubnet.assign(reinterpret_cast<const char*>(net.bytes()), net.byteLength());
  return 0;
}
int pbSetQuestion(lua_State* L, Host&) {
  const char* fn = "setQuestion";
  logging::PbMessage& m = pb(L);
  try {
    m.qname = dns::Name::fromString(checkString(L, 2, fn, "the name")).toString();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(fn) + ": " + e.what());
  }
  m.qtype = u16(L, 3, fn, "the type");
  m.qclass = u16(L, 4, fn, "the class");
  return 0;
}
int pbSetBytes(lua_State* L, Host&) {
  pb(L).inBytes = uint64_t(checkInteger(L, 2, "setBytes", "the size", 0, int64_t(1) << 40));
  return 0;
}
int pbSetTime(lua_State* L, Host&) {
  logging::PbMessage& m = pb(L);
  m.timeSec = u32(L, 2, "setTime", "the seconds");
  m.timeUsec = u32(L, 3, "setTime", "the microseconds");
  return 0;
}
int pbSetQueryTime(lua_State* L, Host&) {
  logging::PbMessage& m = pb(L);
  m.queryTimeSec = u32(L, 2, "setQueryTime", "the seconds");
  m.queryTimeUsec = u32(L, 3, "setQueryTime", "the microseconds");
  return 0;
}
int pbSetResponseCode(lua_State* L, Host&) {
  pb(L).rcode = uint32_t(checkInteger(L, 2, "setResponseCode", "the rcode", 0, 255));
  return 0;
}
template <bool Requestor>
int pbSetAddress(lua_State* L, Host&) {
  logging::PbMessage& m = pb(L);
  core::Address a = addressArg(L, Requestor ? "setRequestor" : "setResponder");
  (Requestor ? m.from : m.to) = a;
  return 0;
}
int pbSetServerIdentity(lua_State* L, Host&) {
  pb(L).serverIdentity = checkString(L, 2, "setServerIdentity", "the identity");
  return 0;
}
int pbToDebugString(lua_State* L, Host&) {
  std::string s = pb(L).debugString();
  lua_pushlstring(L, s.data(), s.size());
  return 1;
}
int dnstapSetExtra(lua_State* L, Host&) {
  message<logging::DnstapMessage>(L, kDnstapMessageMeta).extra =
      checkString(L, 2, "setExtra", "the extra data");
  return 0;
}

}  // namespace

void registerRemoteLoggingBindings(lua_State* L) {
  registerUserdataType<LoggerPtr>(L, kLoggerMeta, {{"toString", loggerToString}}, loggerToString);
  registerUserdataType<PbRef>(L, kPbMessageMeta,
                              {{"setTag", wrap<pbSetTag>},
                               {"setTagArray", wrap<pbSetTagArray>},
                               {"setProtobufResponseType", wrap<pbSetProtobufResponseType>},
                               {"addResponseRR", wrap<pbAddResponseRR>},
                               {"setEDNSSubnet", wrap<pbSetEDNSSubnet>},
                               {"setQuestion", wrap<pbSetQuestion>},
                               {"setBytes", wrap<pbSetBytes>},
                               {"setTime", wrap<pbSetTime>},
                               {"setQueryTime", wrap<pbSetQueryTime>},
                               {"setResponseCode", wrap<pbSetResponseCode>},
                               {"setRequestor", wrap<pbSetAddress<true>>},
                               {"setRequestorFromString", wrap<pbSetAddress<true>>},
                               {"setResponder", wrap<pbSetAddress<false>>},
                               {"setResponderFromString", wrap<pbSetAddress<false>>},
                               {"setServerIdentity", wrap<pbSetServerIdentity>},
                               {"toDebugString", wrap<pbToDebugString>}});
  registerUserdataType<DnstapRef>(L, kDnstapMessageMeta, {{"setExtra", wrap<dnstapSetExtra>}});
  static const Binding b[] = {
      {"newRemoteLogger", wrap<newRemoteLogger>},
      {"newFrameStreamUnixLogger", wrap<newFrameStreamLogger<true>>},
      {"newFrameStreamTcpLogger", wrap<newFrameStreamLogger<false>>},
      {"RemoteLogAction", wrap<remoteLogAction>},
      {"RemoteLogResponseAction", wrap<remoteLogResponseAction>},
      {"DnstapLogAction", wrap<dnstapLogAction<false>>},
      {"DnstapLogResponseAction", wrap<dnstapLogAction<true>>},
  };
  registerAll(L, std::begin(b), std::end(b));
}

}  // namespace ballast::lua
