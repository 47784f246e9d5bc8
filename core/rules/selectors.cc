// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/selectors.hh"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "core/backend.hh"
#include "core/qps_limiter.hh"
#include "core/rules/regex.hh"
#include "core/runtime_config.hh"
#include "dns/types.hh"

namespace ballast::core::rules {

bool SuffixMatchNode::check(const dns::NameRef& n) const {
  dns::Name name = n.toName();
  for (const auto& z : zones_)
    if (name.isPartOf(z)) return true;
  return false;
}

std::string SuffixMatchNode::toString() const {
  std::string out;
  for (const auto& z : zones_) out += (out.empty() ? "" : ", ") + z.toString();
  return out;
}

namespace {

/// A selector from a lambda and its description: most selectors are one expression.
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

class MaxQpsIp : public Selector {
 public:
  MaxQpsIp(double qps, int v4, int v6, double burst) : qps_(qps), burst_(burst), v4_(v4), v6_(v6) {}
  bool matches(const DQ& dq) const override {
    std::string key = maskedKey(*dq.remote);
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() > kMaxClients) buckets_.clear();  // bounded memory under a flood
      it = buckets_.emplace(key, std::make_unique<QpsLimiter>(qps_, burst_)).first;
    }
    return !it->second->check(dq.nowUsec);
  }
  std::string describe() const override {
    return fmt::format("IP (/{}, /{}) match for QPS over {} burst {}", v4_, v6_, qps_, burst_);
  }

 private:
  static constexpr size_t kMaxClients = 1 << 20;
  std::string maskedKey(const Address& a) const {
    int bits = a.isV4() ? v4_ : v6_;
    std::string k(reinterpret_cast<const char*>(a.bytes()), a.byteLength());
    for (size_t i = 0; i < k.size(); ++i) {
      int keep = std::clamp(bits - int(i) * 8, 0, 8);
      k[i] = char(uint8_t(k[i]) & uint8_t(0xff00 >> keep));
    }
    return k;
  }
  double qps_, burst_;
  int v4_, v6_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::unique_ptr<QpsLimiter>> buckets_;
};

class MaxQps : public Selector {
 public:
  MaxQps(double qps, double burst) : qps_(qps), limiter_(qps, burst) {}
  bool matches(const DQ& dq) const override { return limiter_.check(dq.nowUsec); }
  std::string describe() const override { return fmt::format("Max {} qps", qps_); }

 private:
  double qps_;
  mutable QpsLimiter limiter_;
};

std::string joinDescriptions(const std::vector<SelectorPtr>& v, const char* op) {
  std::string out = "(";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? op : "") + v[i]->describe();
  return out + ")";
}

void requireRange(unsigned min, unsigned max, const char* what) {
  if (min > max)
    throw std::invalid_argument(fmt::format("{}: minimum {} above maximum {}", what, min, max));
}

}  // namespace

SelectorPtr allRule() {
  return make("All", [](const DQ&) { return true; });
}

SelectorPtr qnameRule(const dns::Name& n) {
  return make("qname==" + n.toString(), [n](const DQ& dq) { return dq.qname == n; });
}

SelectorPtr suffixRule(SuffixMatchNode smn, bool quiet) {
  std::string d = quiet ? "qname in suffixes" : "qname in " + smn.toString();
  return make(std::move(d), [smn = std::move(smn)](const DQ& dq) {
    return smn.check(dq.message.question().name);
  });
}

SelectorPtr qnameSetRule(std::vector<dns::Name> names) {
  std::unordered_set<dns::Name, dns::NameHash> set(names.begin(), names.end());
  return make(fmt::format("qname in set of {} names", set.size()),
              [set = std::move(set)](const DQ& dq) { return set.count(dq.qname) != 0; });
}

SelectorPtr qtypeRule(uint16_t t) {
  return make("qtype==" + dns::qtypeToString(t),
              [t](const DQ& dq) { return dq.message.question().qtype == t; });
}

SelectorPtr qclassRule(uint16_t c) {
  return make("qclass==" + dns::qclassToString(c),
              [c](const DQ& dq) { return dq.message.question().qclass == c; });
}

SelectorPtr opcodeRule(uint8_t op) {
  return make(fmt::format("opcode=={}", op),
              [op](const DQ& dq) { return dq.message.header().opcode() == op; });
}

SelectorPtr rdRule() {
  return make("rd==1", [](const DQ& dq) { return dq.message.header().rd(); });
}

SelectorPtr tcpRule(bool tcp) {
  return make(fmt::format("tcp=={}", tcp), [tcp](const DQ& dq) { return dq.tcp == tcp; });
}

SelectorPtr dstPortRule(uint16_t port) {
  return make(fmt::format("dst port=={}", port),
              [port](const DQ& dq) { return dq.local->port() == port; });
}

SelectorPtr netmaskGroupRule(NetmaskGroup nmg, bool source) {
  std::string d;
  for (const auto& m : nmg.toStrings()) d += (d.empty() ? "" : ", ") + m;
  d = (source ? "Src: " : "Dst: ") + d;
  return make(std::move(d), [nmg = std::move(nmg), source](const DQ& dq) {
    return nmg.match(source ? *dq.remote : *dq.local);
  });
}

SelectorPtr regexRule(const std::string& text) {
  auto re = std::make_shared<const Regex>(text);
  return make("Regex: " + text, [re](const DQ& dq) { return re->search(dq.qname.toString()); });
}

SelectorPtr labelsCountRule(unsigned min, unsigned max) {
  requireRange(min, max, "QNameLabelsCountRule");
  return make(fmt::format("labels count in [{}, {}]", min, max), [min, max](const DQ& dq) {
    size_t n = dq.qname.labelCount();
    return n < min || n > max;  // dnsdist: matches when the count is outside the range
  });
}

SelectorPtr wireLengthRule(unsigned min, unsigned max) {
  requireRange(min, max, "QNameWireLengthRule");
  return make(fmt::format("wire length in [{}, {}]", min, max), [min, max](const DQ& dq) {
    size_t n = dq.qname.wireLength();
    return n < min || n > max;  // as dnsdist: outside the range
  });
}

SelectorPtr maxQpsIpRule(double qps, int v4Bits, int v6Bits, double burst) {
  if (qps <= 0) throw std::invalid_argument("MaxQPSIPRule: qps must be positive");
  if (v4Bits < 0 || v4Bits > 32 || v6Bits < 0 || v6Bits > 128)
    throw std::invalid_argument("MaxQPSIPRule: masks must be 0-32 (IPv4) and 0-128 (IPv6)");
  return std::make_shared<MaxQpsIp>(qps, v4Bits, v6Bits, burst > 0 ? burst : qps);
}

SelectorPtr maxQpsRule(double qps, double burst) {
  if (qps <= 0) throw std::invalid_argument("MaxQPSRule: qps must be positive");
  return std::make_shared<MaxQps>(qps, burst > 0 ? burst : qps);
}

SelectorPtr trailingDataRule() {
  return make("trailing data", [](const DQ& dq) { return dq.length > dq.message.messageEnd(); });
}

SelectorPtr ednsVersionRule(uint8_t version) {
  return make(fmt::format("EDNS version > {}", version), [version](const DQ& dq) {
    const auto& e = dq.message.edns();
    return e.present && e.version > version;
  });
}

SelectorPtr dnssecRule() {
  return make("DNSSEC", [](const DQ& dq) {
    const auto& e = dq.message.edns();
    return e.present && e.dnssecOk;
  });
}

SelectorPtr sniRule(std::string name) {
  std::string d = "SNI == " + name;
  for (auto& c : name) c = char(std::tolower(uint8_t(c)));
  return make(std::move(d), [name = std::move(name)](const DQ& dq) {
    if (!dq.sni || dq.sni->size() != name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i)
      if (std::tolower(uint8_t((*dq.sni)[i])) != uint8_t(name[i])) return false;
    return true;
  });
}

SelectorPtr probaRule(double p) {
  if (p < 0 || p > 1) throw std::invalid_argument("ProbaRule: probability must be from 0 to 1");
  return make(fmt::format("match with prob. {:.2f}", p), [p](const DQ&) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0, 1)(rng) < p;
  });
}

SelectorPtr andRule(std::vector<SelectorPtr> all) {
  std::string d = joinDescriptions(all, " && ");
  return make(std::move(d), [all = std::move(all)](const DQ& dq) {
    for (const auto& s : all)
      if (!s->matches(dq)) return false;
    return true;
  });
}

SelectorPtr orRule(std::vector<SelectorPtr> any) {
  std::string d = joinDescriptions(any, " || ");
  return make(std::move(d), [any = std::move(any)](const DQ& dq) {
    for (const auto& s : any)
      if (s->matches(dq)) return true;
    return false;
  });
}

SelectorPtr notRule(SelectorPtr s) {
  std::string d = "!(" + s->describe() + ")";
  return make(std::move(d), [s = std::move(s)](const DQ& dq) { return !s->matches(dq); });
}

SelectorPtr tagRule(std::string name, std::string value, bool anyValue) {
  std::string d = anyValue ? "tag '" + name + "' is set" : "tag '" + name + "' is '" + value + "'";
  return make(std::move(d),
              [name = std::move(name), value = std::move(value), anyValue](const DQ& dq) {
                if (!dq.tags) return false;
                for (const auto& [k, v] : *dq.tags)
                  if (k == name) return anyValue || v == value;
                return false;
              });
}

SelectorPtr proxyProtocolValueRule(uint8_t type, std::string value, bool anyValue) {
  std::string d = anyValue ? fmt::format("proxy protocol value of type {} is set", type)
                           : fmt::format("proxy protocol value of type {} is '{}'", type, value);
  return make(std::move(d), [type, value = std::move(value), anyValue](const DQ& dq) {
    if (!dq.query) return false;
    for (const auto& v : dq.query->proxyValues)
      if (v.type == type && (anyValue || v.content == value)) return true;
    return false;
  });
}

SelectorPtr poolAvailableRule(std::string pool) {
  std::string d = "pool '" + pool + "' is available";
  return make(std::move(d), [pool = std::move(pool)](const DQ& dq) {
    const Pool* p = dq.config->findPool(pool);
    if (!p) return false;
    for (const Backend* b : p->servers)
      if (b->isUp()) return true;
    return false;
  });
}

SelectorPtr rcodeRule(uint8_t rc) {
  return make("rcode==" + dns::rcodeToString(rc), [rc](const DQ& dq) {
    return dq.message.edns().extendedRcode == 0 && dq.message.header().rcode() == rc;
  });
}

SelectorPtr ercodeRule(uint16_t rc) {
  return make(fmt::format("ercode=={}", rc), [rc](const DQ& dq) {
    uint16_t full = uint16_t(dq.message.edns().extendedRcode << 4 | dq.message.header().rcode());
    return full == rc;
  });
}

SelectorPtr makeRule(const std::vector<std::string>& entries) {
  NetmaskGroup nmg;
  SuffixMatchNode smn;
  for (const auto& e : entries) {
    try {
      nmg.add(e);
    } catch (const std::invalid_argument&) {
      smn.add(dns::Name::fromString(e));
    }
  }
  if (!nmg.empty() && !smn.empty())
    throw std::invalid_argument("makeRule: mixes netmasks and domain names");
  return nmg.empty() ? suffixRule(std::move(smn)) : netmaskGroupRule(std::move(nmg));
}

}  // namespace ballast::core::rules
