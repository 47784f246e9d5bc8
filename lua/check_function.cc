// SPDX-License-Identifier: GPL-2.0-only
#include "lua/check_function.hh"

#include <cstring>
#include <mutex>
#include <string>

#include "core/rules/rule.hh"
#include "lua/binding.hh"
#include "lua/dnsquestion.hh"
#include "lua/lua_rules.hh"
#include "lua/userdata.hh"

namespace ballast::lua {

namespace {

constexpr const char* kNameMeta = "ballast.DNSName";  // lua/dnsquestion.cc's DNSName

/// The question at `idx` (a DNSName or a string), or an error message.
bool readName(lua_State* L, int idx, dns::Name& out, std::string& error) {
  if (auto* n = testUserdata<dns::Name>(L, idx, kNameMeta)) {
    out = *n;
    return true;
  }
  if (lua_type(L, idx) != LUA_TSTRING) {
    error = "the qname returned must be a DNSName or a string";
    return false;
  }
  try {
    out = dns::Name::fromString(lua_tostring(L, idx));
    return true;
  } catch (const std::exception& e) {
    error = std::string("invalid qname returned: ") + e.what();
    return false;
  }
}

bool readNumber(lua_State* L, int idx, const char* what, uint16_t& out, std::string& error) {
  if (lua_type(L, idx) != LUA_TNUMBER) {
    error = std::string("the ") + what + " returned must be a number";
    return false;
  }
  lua_Number v = lua_tonumber(L, idx);
  if (v < 0 || v > 65535 || v != lua_Number(int64_t(v))) {
    error = std::string("the ") + what + " returned is out of range";
    return false;
  }
  out = uint16_t(v);
  return true;
}

class LuaCheckFunction final : public core::CheckQueryBuilder {
 public:
  // The registry reference is never released, like LuaRule's: the backend holding this may
  // outlive the Lua state at shutdown.
  // Bound to the state that made it, under that state's lock: after a configuration
  // reload the shared state is a new one, where this reference means nothing.
  LuaCheckFunction(lua_State* L, int ref) : L_(L), lock_(sharedLock(L)), ref_(ref) {}

  bool build(dns::Name& qname, uint16_t& qtype, uint16_t& qclass, uint8_t* header,
             std::string& error) override {
    std::lock_guard lock(*lock_);
    return call(L_, qname, qtype, qclass, header, error);
  }

 private:
  bool call(lua_State* L, dns::Name& qname, uint16_t& qtype, uint16_t& qclass, uint8_t* header,
            std::string& error) {
    if (!lua_checkstack(L, 8)) {
      error = "Lua stack exhausted";
      return false;
    }
    int base = lua_gettop(L);
    // The DNSHeader is the rules' one, over a DNSQuestion holding only the header.
    core::rules::DQ dq;
    dq.packet = header;
    dq.length = 12;
    dq.capacity = 12;
    dq.qname = qname;
    pushDNSQuestion(L, &dq);  // at base + 1, invalidated after the call
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref_);
    lua_getfield(L, base + 1, "qname");
    lua_pushinteger(L, qtype);
    lua_pushinteger(L, qclass);
    lua_getfield(L, base + 1, "dh");
    int rc = lua_pcall(L, 4, 3, 0);
    invalidateDNSQuestion(L, base + 1);
    bool ok = false;
    if (rc != 0) {
      const char* msg = lua_tostring(L, -1);
      error = msg ? msg : "unknown error";
    } else {
      ok = readName(L, base + 2, qname, error) && readNumber(L, base + 3, "qtype", qtype, error) &&
           readNumber(L, base + 4, "qclass", qclass, error);
    }
    lua_settop(L, base);
    return ok;
  }

  lua_State* L_;
  std::mutex* lock_;
  int ref_;
};

}  // namespace

std::shared_ptr<core::CheckQueryBuilder> makeCheckFunction(lua_State* L, Host&) {
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return std::make_shared<LuaCheckFunction>(L, ref);
}

int newDNSName(lua_State* L, Host&) {
  std::string s = checkString(L, 1, "newDNSName", "the name");
  pushUserdata(L, kNameMeta, dns::Name::fromString(s));  // throws on a bad name
  return 1;
}

}  // namespace ballast::lua
