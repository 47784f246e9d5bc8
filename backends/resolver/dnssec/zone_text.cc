// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/zone_text.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <stdexcept>
#include <string>

#include "backends/resolver/dnssec/encoding.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver::dnssec {

namespace {

struct Token {
  std::string text;
  bool quoted = false;
};

[[noreturn]] void fail(const std::string& why) {
  throw std::invalid_argument(why);
}

/// Splits `text` into records: each a list of tokens and its first line.
struct RawRecord {
  std::vector<Token> tokens;
  size_t line = 0;
  bool ownerBlank = false;  // the line started with whitespace: owner of the previous record
};

std::vector<RawRecord> tokenize(std::string_view text) {
  std::vector<RawRecord> out;
  RawRecord cur;
  int depth = 0;
  size_t line = 1;
  bool atLineStart = true;
  size_t i = 0;
  auto flush = [&] {
    if (!cur.tokens.empty()) out.push_back(std::move(cur));
    cur = RawRecord();
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
      if (depth == 0) flush();
      atLineStart = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      if (atLineStart && depth == 0 && cur.tokens.empty()) cur.ownerBlank = true;
      atLineStart = false;
      ++i;
      continue;
    }
    atLineStart = false;
    if (c == ';') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (cur.tokens.empty() && cur.line == 0) cur.line = line;
    if (c == '(') {
      ++depth;
      ++i;
      continue;
    }
    if (c == ')') {
      if (depth == 0) fail("line " + std::to_string(line) + ": unbalanced ')'");
      --depth;
      ++i;
      continue;
    }
    Token t;
    if (c == '"') {
      t.quoted = true;
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) t.text += text[i++];
        if (text[i] == '\n') ++line;
        t.text += text[i++];
      }
      if (i >= text.size()) fail("line " + std::to_string(line) + ": unterminated string");
      ++i;
    } else {
      while (i < text.size() &&
             std::string_view(" \t\r\n;()").find(text[i]) == std::string_view::npos) {
        t.text += text[i++];
      }
    }
    if (cur.line == 0) cur.line = line;
    cur.tokens.push_back(std::move(t));
  }
  if (depth != 0) fail("line " + std::to_string(line) + ": unbalanced '('");
  flush();
  return out;
}

template <typename T>
T number(const std::string& s, const char* what) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    fail(std::string("bad ") + what + " '" + s + "'");
  return v;
}

dns::Name nameOf(const std::string& s, const dns::Name& origin) {
  if (s == "@") return origin;
  if (!s.empty() && s.back() == '.') return dns::Name::fromString(s);
  std::string full = s + "." + (origin.isRoot() ? "" : origin.toString());
  return dns::Name::fromString(full);
}

uint16_t typeOf(const std::string& s) {
  auto t = dns::qtypeFromString(s);
  if (!t) fail("unknown type '" + s + "'");
  return *t;
}

class RdataWriter {
 public:
  RdataWriter(const std::vector<Token>& t, size_t first, const dns::Name& origin)
      : t_(t), i_(first), origin_(origin) {}
  bool more() const { return i_ < t_.size(); }
  const std::string& next(const char* what) {
    if (i_ >= t_.size()) fail(std::string("missing ") + what);
    return t_[i_++].text;
  }
  std::string rest(const char* what) {
    if (i_ >= t_.size()) fail(std::string("missing ") + what);
    std::string s;
    while (i_ < t_.size()) s += t_[i_++].text;
    return s;
  }
  void u8(const char* what) { out.push_back(number<uint8_t>(next(what), what)); }
  void u16(uint16_t v) {
    out.push_back(uint8_t(v >> 8));
    out.push_back(uint8_t(v));
  }
  void u16(const char* what) { u16(number<uint16_t>(next(what), what)); }
  void u32(uint32_t v) {
    u16(uint16_t(v >> 16));
    u16(uint16_t(v));
  }
  void u32(const char* what) { u32(number<uint32_t>(next(what), what)); }
  void name(const char* what) {
    const dns::Name n = nameOf(next(what), origin_);  // wire() views it: keep it alive
    auto w = n.wire();
    out.insert(out.end(), w.begin(), w.end());
  }
  void bytes(const std::vector<uint8_t>& b) { out.insert(out.end(), b.begin(), b.end()); }
  void typeBitmap() {
    std::vector<uint16_t> types;
    while (more()) types.push_back(typeOf(next("type")));
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    size_t i = 0;
    while (i < types.size()) {
      uint8_t window = uint8_t(types[i] >> 8);
      uint8_t bits[32] = {0};
      size_t len = 0;
      for (; i < types.size() && (types[i] >> 8) == window; ++i) {
        uint8_t low = uint8_t(types[i]);
        bits[low / 8] |= uint8_t(0x80 >> (low % 8));
        len = low / 8 + 1u;
      }
      out.push_back(window);
      out.push_back(uint8_t(len));
      out.insert(out.end(), bits, bits + len);
    }
  }
  std::vector<uint8_t> out;

 private:
  const std::vector<Token>& t_;
  size_t i_;
  const dns::Name& origin_;
};

std::vector<uint8_t> decoded(std::optional<std::vector<uint8_t>> v, const char* what) {
  if (!v) fail(std::string("bad ") + what);
  if (v->empty()) fail(std::string("empty ") + what);
  return std::move(*v);
}

/// RFC 3597's generic form: \# length hex.
void writeGeneric(RdataWriter& w) {
  w.next("\\#");
  size_t len = number<size_t>(w.next("length"), "length");
  auto b = len == 0 ? std::vector<uint8_t>() : decoded(fromHex(w.rest("data")), "hex data");
  if (b.size() != len) fail("RFC 3597 length does not match the data");
  w.bytes(b);
}

void writeRrsig(RdataWriter& w) {
  w.u16(typeOf(w.next("type covered")));
  w.u8("algorithm");
  w.u8("labels");
  w.u32("original TTL");
  for (const char* what : {"expiration", "inception"}) {
    uint32_t v = 0;
    if (!parseRrsigTime(w.next(what), v)) fail(std::string("bad ") + what);
    w.u32(v);
  }
  w.u16("key tag");
  w.name("signer");
  w.bytes(decoded(fromBase64(w.rest("signature")), "base64 signature"));
}

void writeNsec3(bool param, RdataWriter& w) {
  w.u8("hash algorithm");
  w.u8("flags");
  w.u16("iterations");
  const std::string& salt = w.next("salt");
  auto s = salt == "-" ? std::vector<uint8_t>() : decoded(fromHex(salt), "hex salt");
  if (s.size() > 255) fail("salt longer than 255 bytes");
  w.out.push_back(uint8_t(s.size()));
  w.bytes(s);
  if (param) return;
  auto next = decoded(fromBase32Hex(w.next("next hashed owner")), "base32hex next owner");
  if (next.empty() || next.size() > 255) fail("bad next hashed owner length");
  w.out.push_back(uint8_t(next.size()));
  w.bytes(next);
  w.typeBitmap();
}

void writeRdata(uint16_t type, RdataWriter& w, const std::vector<Token>& toks, size_t at) {
  namespace t = dns::qtype;
  if (toks[at].text == "\\#") return writeGeneric(w);
  switch (type) {
    case t::A:
    case t::AAAA: {
      uint8_t buf[16];
      const std::string& s = w.next("address");
      if (inet_pton(type == t::A ? AF_INET : AF_INET6, s.c_str(), buf) != 1) {
        fail("bad address '" + s + "'");
      }
      w.bytes(std::vector<uint8_t>(buf, buf + (type == t::A ? 4 : 16)));
      return;
    }
    case t::NS:
    case t::CNAME:
    case t::DNAME:
    case t::PTR:
      w.name("target");
      return;
    case t::MX:
      w.u16("preference");
      w.name("exchange");
      return;
    case t::SOA:
      w.name("mname");
      w.name("rname");
      for (int i = 0; i < 5; ++i) w.u32("SOA number");
      return;
    case t::TXT:
      while (w.more()) {
        const std::string& s = w.next("string");
        if (s.size() > 255) fail("string longer than 255 bytes");
        w.out.push_back(uint8_t(s.size()));
        w.out.insert(w.out.end(), s.begin(), s.end());
      }
      return;
    case t::DS:
    case t::CDS:
      w.u16("key tag");
      w.u8("algorithm");
      w.u8("digest type");
      w.bytes(decoded(fromHex(w.rest("digest")), "hex digest"));
      return;
    case t::DNSKEY:
    case t::CDNSKEY:
      w.u16("flags");
      w.u8("protocol");
      w.u8("algorithm");
      w.bytes(decoded(fromBase64(w.rest("public key")), "base64 public key"));
      return;
    case t::RRSIG:
      return writeRrsig(w);
    case t::NSEC:
      w.name("next name");
      w.typeBitmap();
      return;
    case t::NSEC3:
    case t::NSEC3PARAM:
      return writeNsec3(type == t::NSEC3PARAM, w);
    default:
      fail("type " + dns::qtypeToString(type) + " needs the \\# form");
  }
}

bool isNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool parseRrsigTime(std::string_view s, uint32_t& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  if (s.size() != 14) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || v > UINT32_MAX) return false;
    out = uint32_t(v);
    return true;
  }
  auto field = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = field(0, 4) - 1900;
  tm.tm_mon = field(4, 2) - 1;
  tm.tm_mday = field(6, 2);
  tm.tm_hour = field(8, 2);
  tm.tm_min = field(10, 2);
  tm.tm_sec = field(12, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return false;
  }
  // Serial arithmetic makes the field wrap every 136 years (RFC 4034 3.1.5): keep the low bits.
  out = uint32_t(uint64_t(timegm(&tm)));
  return true;
}

std::vector<TextRecord> parseZoneText(std::string_view text, const dns::Name& origin) {
  std::vector<TextRecord> out;
  for (const RawRecord& raw : tokenize(text)) {
    try {
      const auto& t = raw.tokens;
      TextRecord rec;
      rec.line = raw.line;
      size_t i = 0;
      if (raw.ownerBlank) {
        if (out.empty()) fail("no previous owner name");
        rec.owner = out.back().owner;
      } else {
        rec.owner = nameOf(t[i++].text, origin);
      }
      // TTL and class, in either order, both optional.
      for (int k = 0; k < 2 && i < t.size(); ++k) {
        if (isNumber(t[i].text)) {
          rec.ttl = number<uint32_t>(t[i++].text, "TTL");
        } else if (auto c = dns::qclassFromString(t[i].text);
                   c && !dns::qtypeFromString(t[i].text)) {
          rec.klass = *c;
          ++i;
        }
      }
      if (i >= t.size()) fail("missing type");
      rec.type = typeOf(t[i++].text);
      RdataWriter w(t, i, origin);
      if (i >= t.size()) fail("missing RDATA");
      writeRdata(rec.type, w, t, i);
      if (w.more()) fail("trailing data after the RDATA");
      if (w.out.size() > 0xffff) fail("RDATA longer than 65535 bytes");
      rec.rdata = std::move(w.out);
      out.push_back(std::move(rec));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("line " + std::to_string(raw.line) + ": " + e.what());
    }
  }
  return out;
}

TextRecord parseRecord(std::string_view text) {
  auto v = parseZoneText(text);
  if (v.size() != 1) throw std::invalid_argument("expected exactly one record");
  return v.front();
}

}  // namespace ballast::backends::resolver::dnssec
