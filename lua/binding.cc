// SPDX-License-Identifier: GPL-2.0-only
#include "lua/binding.hh"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "lua/api_list.hh"

namespace ballast::lua {

namespace {
const char kHostKey = 0;  // its address is the registry key
}

Host& host(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kHostKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  auto* h = static_cast<Host*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return *h;
}

void setHost(lua_State* L, Host* h) {
  lua_pushlightuserdata(L, const_cast<char*>(&kHostKey));
  lua_pushlightuserdata(L, h);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

namespace {
constexpr const char kChunkPrefix[] = "ballast-file-";
}

int loadConfigFile(lua_State* L, Host& h, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    lua_pushstring(L, ("cannot open configuration file '" + path + "'").c_str());
    return LUA_ERRFILE;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string code = text.str();
  if (code.rfind("#", 0) == 0) code.insert(0, "--");  // a #! line, as luaL_loadfile allows
  h.files.push_back(path);
  std::string chunk = "=" + std::string(kChunkPrefix) + std::to_string(h.files.size() - 1);
  return luaL_loadbuffer(L, code.data(), code.size(), chunk.c_str());
}

/// Replaces every "<prefix>N" (N digits) in `message` by `name(N)`.
template <typename Fn>
std::string replaceNumbered(const std::string& message, std::string_view prefix, Fn&& name) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = message.find(prefix, pos)) != std::string::npos;) {
    size_t digits = hit + prefix.size(), end = digits;
    while (end < message.size() && message[end] >= '0' && message[end] <= '9') ++end;
    out.append(message, pos, hit - pos);
    if (end == digits)
      out.append(prefix);
    else
      out += name(std::stoul(message.substr(digits, end - digits)), message.substr(hit, end - hit));
    pos = end;
  }
  return out + message.substr(pos);
}

std::string explainLuaError(const Host& h, std::string message) {
  // "attempt to call global 'x' (a nil value)" means the configuration used a function
  // ballast does not have.
  static constexpr std::string_view kCall = "attempt to call global '", kNil = "' (a nil value)";
  if (size_t a = message.find(kCall); a != std::string::npos) {
    size_t b = message.find(kNil, a + kCall.size());
    if (b != std::string::npos) {
      std::string name = message.substr(a + kCall.size(), b - a - kCall.size());
      // A dnsdist function lua/api.txt lists as refused says why; any other stays unknown.
      if (auto reason = refusedFunctionReason(name))
        message = message.substr(0, a) + name +
                  " is not supported by ballast: " + std::string(*reason) +
                  message.substr(b + kNil.size());
      else
        message = message.substr(0, a) + "unknown function '" + name + "'" +
                  message.substr(b + kNil.size());
    }
  }
  return replaceNumbered(message, kChunkPrefix, [&](size_t i, const std::string& original) {
    return i < h.files.size() ? h.files[i] : original;
  });
}

void registerAll(lua_State* L, const Binding* begin, const Binding* end) {
  for (const Binding* b = begin; b != end; ++b) lua_register(L, b->name, b->fn);
}

void requireConfiguring(const Host& h, const char* name) {
  if (!h.configuring) throw ConfigError(std::string(name) + " cannot be used at runtime!");
}

namespace {

/// The text of an object marked by setTextConversion (lua/userdata.hh), if `idx` is one.
bool objectText(lua_State* L, int idx, std::string& out) {
  if (lua_type(L, idx) != LUA_TUSERDATA || !luaL_getmetafield(L, idx, "__ballast_text"))
    return false;
  lua_pushvalue(L, idx < 0 && idx > LUA_REGISTRYINDEX ? idx - 1 : idx);
  lua_call(L, 1, 1);
  size_t len = 0;
  const char* s = lua_tolstring(L, -1, &len);
  out.assign(s ? s : "", s ? len : 0);
  lua_pop(L, 1);
  return true;
}

}  // namespace

std::string checkString(lua_State* L, int idx, const char* fn, const char* what) {
  if (std::string text; objectText(L, idx, text)) return text;
  if (lua_type(L, idx) != LUA_TSTRING)
    throw ConfigError(std::string(fn) + ": " + what + " must be a string");
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return std::string(s, len);
}

bool checkBool(lua_State* L, int idx, const char* fn) {
  if (lua_type(L, idx) != LUA_TBOOLEAN)
    throw ConfigError(std::string(fn) + ": expects true or false");
  return lua_toboolean(L, idx);
}

double checkNumber(lua_State* L, int idx, const char* fn, const char* what) {
  if (lua_type(L, idx) != LUA_TNUMBER)
    throw ConfigError(std::string(fn) + ": " + what + " must be a number");
  return lua_tonumber(L, idx);
}

std::vector<std::string> checkStrings(lua_State* L, int idx, const char* fn, const char* what) {
  std::vector<std::string> out;
  auto text = [L](int i) {
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);
    return std::string(s, len);  // binary-safe: SpoofRawAction's RDATA holds NULs
  };
  if (lua_type(L, idx) == LUA_TSTRING) {
    out.push_back(text(idx));
    return out;
  }
  if (std::string t; objectText(L, idx, t)) {
    out.push_back(std::move(t));
    return out;
  }
  if (lua_type(L, idx) == LUA_TUSERDATA && luaL_getmetafield(L, idx, "__ballast_strings")) {
    lua_pushvalue(L, idx < 0 && idx > LUA_REGISTRYINDEX ? idx - 1 : idx);
    lua_call(L, 1, 1);
    try {
      out = checkStrings(L, -1, fn, what);
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
    return out;
  }
  if (lua_type(L, idx) != LUA_TTABLE)
    throw ConfigError(std::string(fn) + ": " + what + " must be a string or a list of strings");
  int abs = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_pushnil(L);
  while (lua_next(L, abs) != 0) {
    if (std::string t; objectText(L, -1, t)) {
      out.push_back(std::move(t));
      lua_pop(L, 1);
      continue;
    }
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 2);
      throw ConfigError(std::string(fn) + ": " + what + " must contain only strings");
    }
    out.push_back(text(-1));
    lua_pop(L, 1);
  }
  return out;
}

Options::Options(lua_State* L, int idx, const char* fn) : L_(L), idx_(idx), fn_(fn) {
  if (lua_isnoneornil(L, idx)) {
    idx_ = 0;
    return;
  }
  if (lua_type(L, idx) != LUA_TTABLE)
    throw ConfigError(std::string(fn) + ": options must be a table");
  if (idx < 0) idx_ = lua_gettop(L) + idx + 1;
  lua_pushnil(L);
  while (lua_next(L, idx_) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      throw ConfigError(std::string(fn) + ": option names must be strings");
    }
    keys_[lua_tostring(L, -1)] = false;
  }
}

bool Options::push(const char* key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  it->second = true;
  lua_getfield(L_, idx_, key);
  return true;
}

std::string Options::where(const char* key) const {
  return std::string(fn_) + ": option '" + key + "'";
}

std::optional<std::string> Options::string(const char* key) {
  if (!push(key)) return std::nullopt;
  if (lua_type(L_, -1) != LUA_TSTRING) {
    lua_pop(L_, 1);
    throw ConfigError(where(key) + " must be a string");
  }
  std::string s = lua_tostring(L_, -1);
  lua_pop(L_, 1);
  return s;
}

std::optional<double> Options::number(const char* key) {
  if (!push(key)) return std::nullopt;
  if (lua_type(L_, -1) != LUA_TNUMBER) {
    lua_pop(L_, 1);
    throw ConfigError(where(key) + " must be a number");
  }
  double d = lua_tonumber(L_, -1);
  lua_pop(L_, 1);
  return d;
}

std::optional<int64_t> Options::integer(const char* key, int64_t min, int64_t max) {
  auto d = number(key);
  if (!d) return std::nullopt;
  if (std::floor(*d) != *d || *d < double(min) || *d > double(max))
    throw ConfigError(where(key) + " must be a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max));
  return int64_t(*d);
}

std::optional<bool> Options::boolean(const char* key) {
  if (!push(key)) return std::nullopt;
  if (lua_type(L_, -1) != LUA_TBOOLEAN) {
    lua_pop(L_, 1);
    throw ConfigError(where(key) + " must be true or false");
  }
  bool b = lua_toboolean(L_, -1);
  lua_pop(L_, 1);
  return b;
}

std::optional<std::vector<std::string>> Options::strings(const char* key) {
  if (!push(key)) return std::nullopt;
  try {
    auto v = checkStrings(L_, -1, fn_, (std::string("option '") + key + "'").c_str());
    lua_pop(L_, 1);
    return v;
  } catch (...) {
    lua_pop(L_, 1);
    throw;
  }
}

std::optional<std::vector<int64_t>> Options::integers(const char* key, int64_t min,
                                                     int64_t max) {
  if (!push(key)) return std::nullopt;
  std::vector<int64_t> out;
  bool ok = lua_istable(L_, -1);
  for (size_t i = 1; ok; ++i) {
    lua_rawgeti(L_, -1, int(i));
    if (lua_isnil(L_, -1)) {
      lua_pop(L_, 1);
      break;
    }
    double d = lua_isnumber(L_, -1) ? lua_tonumber(L_, -1) : -1e300;
    lua_pop(L_, 1);
    ok = d >= double(min) && d <= double(max) && d == double(int64_t(d));
    if (ok) out.push_back(int64_t(d));
  }
  lua_pop(L_, 1);
  if (!ok)
    throw ConfigError(fmt::format("{}: option '{}' must be an array of integers from {} to {}",
                                  fn_, key, min, max));
  return out;
}

bool Options::table(const char* key) {
  if (!push(key)) return false;
  if (lua_type(L_, -1) != LUA_TTABLE) {
    lua_pop(L_, 1);
    throw ConfigError(where(key) + " must be a table");
  }
  return true;
}

bool Options::function(const char* key) {
  if (!push(key)) return false;
  if (lua_type(L_, -1) != LUA_TFUNCTION) {
    lua_pop(L_, 1);
    throw ConfigError(where(key) + " must be a function");
  }
  return true;
}

void Options::done() {
  for (const auto& [key, read] : keys_)
    if (!read) throw ConfigError(std::string(fn_) + ": unknown option '" + key + "'");
}

}  // namespace ballast::lua
