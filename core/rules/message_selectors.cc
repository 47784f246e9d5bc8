// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/message_selectors.hh"

#include <fmt/format.h>
#include <re2/re2.h>

#include <stdexcept>

#include "core/backend.hh"
#include "core/runtime_config.hh"
#include "dns/header.hh"

namespace ballast::core::rules {

namespace {

const char* sectionName(uint8_t s) {
  static constexpr const char* kNames[] = {"question", "answer", "authority", "additional"};
  return s < 4 ? kNames[s] : "?";
}

uint16_t headerCount(const dns::MessageView& m, uint8_t section) {
  dns::HeaderView h = m.header();
  switch (section) {
    case 0:
      return h.qdcount();
    case 1:
      return h.ancount();
    case 2:
      return h.nscount();
    default:
      return h.arcount();
  }
}

void checkArgs(uint8_t section, uint16_t min, uint16_t max) {
  if (section > 3)
    throw std::invalid_argument(fmt::format("section {} is not one of 0 (question) to 3", section));
  if (min > max) throw std::invalid_argument(fmt::format("minimum {} above maximum {}", min, max));
}

template <typename Fn>
class FnSelector : public Selector {
 public:
  FnSelector(std::string d, Fn fn) : d_(std::move(d)), fn_(std::move(fn)) {}
  bool matches(const DQ& dq) const override { return fn_(dq); }
  std::string describe() const override { return d_; }

 private:
  std::string d_;
  Fn fn_;
};

template <typename Fn>
SelectorPtr make(std::string d, Fn fn) {
  return std::make_shared<FnSelector<Fn>>(std::move(d), std::move(fn));
}

}  // namespace

unsigned countRecordsOfType(const dns::MessageView& m, uint8_t section, uint16_t type) {
  unsigned n = 0;
  if (section == 0) {
    // The parse checked every question; walk them for their types.
    auto p = m.packet();
    size_t o = dns::kHeaderSize;
    for (unsigned i = 0; i < m.header().qdcount() && o < p.size(); ++i) {
      while (o < p.size()) {
        uint8_t len = p[o];
        if ((len & 0xc0) == 0xc0) {
          o += 2;
          break;
        }
        o += 1 + len;
        if (len == 0) break;
      }
      if (o + 4 > p.size()) break;
      if (uint16_t((p[o] << 8) | p[o + 1]) == type) ++n;
      o += 4;
    }
    return n;
  }
  for (const auto& r : m)
    if (uint8_t(r.section) == section && r.type == type) ++n;
  return n;
}

bool hasEdnsOption(const dns::MessageView& m, uint16_t code) {
  if (!m.edns().present) return false;
  bool found = false;
  dns::forEachEdnsOption(m.ednsOptions(), [&](uint16_t c, auto) { found = found || c == code; });
  return found;
}

SelectorPtr recordsCountRule(uint8_t section, uint16_t min, uint16_t max) {
  checkArgs(section, min, max);
  return make(
      fmt::format("records count in {} section in [{}, {}]", sectionName(section), min, max),
      [section, min, max](const DQ& dq) {
        uint16_t n = headerCount(dq.message, section);
        return n >= min && n <= max;
      });
}

SelectorPtr recordsTypeCountRule(uint8_t section, uint16_t type, uint16_t min, uint16_t max) {
  checkArgs(section, min, max);
  return make(fmt::format("records of type {} in {} section count in [{}, {}]", type,
                          sectionName(section), min, max),
              [section, type, min, max](const DQ& dq) {
                if (headerCount(dq.message, section) < min) return false;  // cheap first
                unsigned n = countRecordsOfType(dq.message, section, type);
                return n >= min && n <= max;
              });
}

SelectorPtr ednsOptionRule(uint16_t code) {
  return make(fmt::format("ednsoptcode=={}", code),
              [code](const DQ& dq) { return hasEdnsOption(dq.message, code); });
}

SelectorPtr poolOutstandingRule(std::string pool, uint64_t limit) {
  std::string d = fmt::format("pool '{}' outstanding > {}", pool, limit);
  return make(std::move(d), [pool = std::move(pool), limit](const DQ& dq) {
    const Pool* p = dq.config ? dq.config->findPool(pool) : nullptr;
    if (!p) return false;
    uint64_t load = 0;
    for (const Backend* b : p->servers) load += b->outstanding();
    return load > limit;
  });
}

SelectorPtr re2Rule(const std::string& regex) {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_log_errors(false);
  auto re = std::make_shared<const RE2>(regex, o);
  if (!re->ok())
    throw std::invalid_argument(fmt::format("bad RE2 expression '{}': {}", regex, re->error()));
  return make("RE2 match: " + regex, [re](const DQ& dq) {
    std::string s = dq.qname.toString();
    if (s.size() > 1 && s.back() == '.') s.pop_back();
    return RE2::FullMatch(s, *re);
  });
}

}  // namespace ballast::core::rules
