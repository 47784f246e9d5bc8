// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/actions.hh"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "core/backend.hh"
#include "core/qps_limiter.hh"
#include "core/rules/mac_address.hh"
#include "core/runtime_config.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::core::rules {

namespace {

/// An action from a lambda and its description.
template <typename Base, typename Verdict, typename Fn>
class FnAction : public Base {
 public:
  FnAction(std::string d, Fn fn) : d_(std::move(d)), fn_(std::move(fn)) {}
  Verdict apply(DQ& dq) const override { return fn_(dq); }
  std::string describe() const override { return d_; }

 private:
  std::string d_;
  Fn fn_;
};

template <typename Fn>
ActionPtr make(std::string d, Fn fn) {
  return std::make_shared<FnAction<Action, Verdict, Fn>>(std::move(d), std::move(fn));
}

template <typename Fn>
ResponseActionPtr makeResponse(std::string d, Fn fn) {
  return std::make_shared<FnAction<ResponseAction, ResponseVerdict, Fn>>(std::move(d),
                                                                         std::move(fn));
}

/// The EDNS payload size of self-made answers (setPayloadSizeOnSelfGeneratedAnswers).
uint16_t selfPayload(const DQ& dq) {
  return dq.config ? dq.config->settings.payloadSizeSelfGenerated : 1232;
}

/// Whether a self-made answer to this query carries an OPT record.
bool selfEdns(const DQ& dq) {
  return dq.message.edns().present && (!dq.config || dq.config->settings.addEDNSToSelfGenerated);
}

Verdict answer(DQ& dq, uint8_t rcode) {
  dq.length = selfGeneratedResponse(dq.packet, dq.length, dq.capacity, dq.message, rcode,
                                    dq.config ? &dq.config->settings : nullptr);
  return Verdict::Answer;
}

/// Builds an answer of `records` (type, rdata writer) in a per-thread buffer (reused, so no
/// allocation once warm) and copies it over the query when it fits.
template <typename Fill>
Verdict spoof(DQ& dq, const ResponseFlags& flags, Fill&& fill) {
  thread_local std::vector<uint8_t> buf;
  const auto& q = dq.message.question();
  dns::HeaderView qh(dq.packet);
  try {
    dns::MessageWriter w(buf, qh.id(), dq.qname, q.qtype, q.qclass);
    w.header().setQr(true);
    w.header().setOpcode(qh.opcode());
    w.header().setRd(qh.rd());
    w.header().setRa(flags.ra.value_or(qh.rd()));
    w.header().setAa(flags.aa.value_or(false));
    w.header().setAd(flags.ad.value_or(false));
    w.header().setCd(qh.cd());
    fill(w);
    if (selfEdns(dq)) w.addOpt(selfPayload(dq), dq.message.edns().dnssecOk);
  } catch (const std::exception&) {
    return answer(dq, dns::rcode::ServFail);
  }
  if (buf.size() > dq.capacity) return answer(dq, dns::rcode::ServFail);
  std::memcpy(dq.packet, buf.data(), buf.size());
  dq.length = buf.size();
  return Verdict::Answer;
}

/// A line per packet, to stdout or a file opened once (dnsdist's LogAction).
class Logger {
 public:
  Logger(const std::string& file, bool append) : name_(file) {
    if (file.empty()) return;
    f_ = fopen(file.c_str(), append ? "a" : "w");
    if (!f_)
      throw std::invalid_argument("cannot open '" + file + "' for writing: " + strerror(errno));
  }
  ~Logger() {
    if (f_) fclose(f_);
  }
  void write(const std::string& line) const {
    std::lock_guard lock(mutex_);
    FILE* out = f_ ? f_ : stdout;
    fputs(line.c_str(), out);
    fflush(out);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  FILE* f_ = nullptr;
  mutable std::mutex mutex_;
};

std::string packetLine(const DQ& dq, const char* what) {
  return fmt::format("{} from {} for {} {} with id {}\n", what, dq.remote->toStringWithPort(),
                     dq.qname.toString(), dns::qtypeToString(dq.message.question().qtype),
                     dns::HeaderView(dq.packet).id());
}

/// Rewrites the TTL of every record but OPT with `fn(type, ttl)`.
template <typename Fn>
void editTtls(DQ& dr, Fn&& fn) {
  for (const auto& r : dr.message) {
    if (r.type == dns::qtype::OPT) continue;
    uint32_t ttl = fn(r.type, r.ttl);
    if (ttl == r.ttl) continue;
    uint8_t* p = dr.packet + r.ttlOffset;
    p[0] = uint8_t(ttl >> 24);
    p[1] = uint8_t(ttl >> 16);
    p[2] = uint8_t(ttl >> 8);
    p[3] = uint8_t(ttl);
  }
}

/// Rewrites the query with EDNS option `code` set to `data` (replacing options of that
/// code, adding an OPT when there is none) and parses it again so later rules see it.
/// Leaves the query as it was when the result would not fit.
void setEdnsOption(DQ& dq, uint16_t code, const std::string& data) {
  thread_local std::vector<uint8_t> buf;
  const dns::Edns& e = dq.message.edns();
  auto put16 = [](std::vector<uint8_t>& b, size_t v) {
    b.push_back(uint8_t(v >> 8));
    b.push_back(uint8_t(v));
  };
  size_t optStart = e.present ? e.recordOffset : dq.message.messageEnd();
  size_t optEnd = e.present ? size_t(e.optionsOffset) + e.optionsLength : optStart;
  buf.assign(dq.packet, dq.packet + optStart);
  // The OPT record: root owner, type, payload, the TTL field (ercode, version, flags).
  buf.push_back(0);
  put16(buf, dns::qtype::OPT);
  if (e.present) {
    buf.insert(buf.end(), dq.packet + e.recordOffset + 3, dq.packet + e.recordOffset + 9);
  } else {
    put16(buf, 512);
    put16(buf, 0);
    put16(buf, 0);
  }
  size_t rdlenAt = buf.size();
  put16(buf, 0);
  if (e.present)
    dns::forEachEdnsOption(dq.message.ednsOptions(), [&](uint16_t c, std::span<const uint8_t> d) {
      if (c == code) return;
      put16(buf, c);
      put16(buf, d.size());
      buf.insert(buf.end(), d.begin(), d.end());
    });
  put16(buf, code);
  put16(buf, data.size());
  buf.insert(buf.end(), data.begin(), data.end());
  size_t rdlen = buf.size() - rdlenAt - 2;
  if (rdlen > 65535) return;
  buf[rdlenAt] = uint8_t(rdlen >> 8);
  buf[rdlenAt + 1] = uint8_t(rdlen);
  // What followed the OPT (a TSIG) and any trailing bytes stay after it.
  buf.insert(buf.end(), dq.packet + optEnd, dq.packet + dq.length);
  if (!e.present) {
    dns::HeaderView h(buf.data());
    dns::HeaderRef(buf.data()).setArcount(uint16_t(h.arcount() + 1));
  }
  if (buf.size() > dq.capacity || buf.size() > 65535) return;
  std::memcpy(dq.packet, buf.data(), buf.size());
  dq.length = buf.size();
  dns::MessageView m;
  if (dns::MessageView::parse({dq.packet, dq.length}, m) == dns::ParseError::None) dq.message = m;
}

}  // namespace

size_t selfGeneratedResponse(uint8_t* packet, size_t len, size_t capacity,
                             const dns::MessageView& query, uint8_t rcode,
                             const Settings* settings) {
  Settings defaults;
  const Settings& s = settings ? *settings : defaults;
  // As dnsdist: an answer made here leaves the query's RA bit as it was (clear from any
  // normal client); only spoofed answers copy RD into RA (spoof()).
  const bool ra = dns::HeaderView(packet).ra();
  len = dns::makeResponseInPlace(packet, len, capacity, query, rcode, ra,
                                 s.payloadSizeSelfGenerated);
  // makeResponseInPlace puts an OPT back when the query had one; take it off again when
  // the settings say so, unless an extended rcode needs it.
  if (query.edns().present && !s.addEDNSToSelfGenerated && rcode <= 15) {
    dns::HeaderRef(packet).setArcount(0);
    len = query.questionEnd();
  }
  return len;
}

ActionPtr allowAction() {
  return make("allow", [](DQ&) { return Verdict::Allow; });
}
ActionPtr dropAction() {
  return make("drop", [](DQ&) { return Verdict::Drop; });
}
ActionPtr noneAction() {
  return make("no op", [](DQ&) { return Verdict::None; });
}

namespace {

/// The header bits `flags` gives (ResponseConfig), on an answer made in place.
void applyFlags(uint8_t* packet, const ResponseFlags& flags) {
  dns::HeaderRef h(packet);
  if (flags.aa) h.setAa(*flags.aa);
  if (flags.ad) h.setAd(*flags.ad);
  if (flags.ra) h.setRa(*flags.ra);
}

}  // namespace

ActionPtr rcodeAction(uint8_t rcode, ResponseFlags flags) {
  if (rcode > 15)
    throw std::invalid_argument("RCodeAction: rcode must be 0-15 (ERCodeAction for more)");
  return make("set rcode " + dns::rcodeToString(rcode), [rcode, flags](DQ& dq) {
    Verdict v = answer(dq, rcode);
    applyFlags(dq.packet, flags);
    return v;
  });
}

ActionPtr ercodeAction(uint16_t rcode, ResponseFlags flags) {
  if (rcode > 255) throw std::invalid_argument("ERCodeAction: extended rcode must be 0-255");
  return make(fmt::format("set ercode {}", rcode), [rcode, flags](DQ& dq) {
    Verdict v = answer(dq, uint8_t(rcode));
    applyFlags(dq.packet, flags);
    return v;
  });
}

ActionPtr tcAction() {
  return make("tc=1 answer", [](DQ& dq) {
    if (dq.tcp) return Verdict::None;
    Verdict v = answer(dq, dns::rcode::NoError);
    dns::HeaderRef(dq.packet).setTc(true);
    return v;
  });
}

ActionPtr spoofAction(std::vector<Address> addresses, SpoofOptions o) {
  if (addresses.empty()) throw std::invalid_argument("SpoofAction: no address to answer with");
  std::string d = "spoof in ";
  for (size_t i = 0; i < addresses.size(); ++i) d += (i ? ", " : "") + addresses[i].toString();
  return make(std::move(d), [addresses = std::move(addresses), o](DQ& dq) {
    uint16_t qt = dq.message.question().qtype;
    return spoof(dq, o.flags, [&](dns::MessageWriter& w) {
      for (const auto& a : addresses) {
        uint16_t t = a.isV4() ? dns::qtype::A : dns::qtype::AAAA;
        if (qt != t && qt != dns::qtype::ANY) continue;
        w.startRecord(dq.qname, t, dq.message.question().qclass, o.ttl, dns::Section::Answer);
        w.putBytes({a.bytes(), a.byteLength()});
        w.commit();
      }
    });
  });
}

ActionPtr spoofCnameAction(dns::Name target, SpoofOptions o) {
  return make("spoof in " + target.toString(), [target, o](DQ& dq) {
    return spoof(dq, o.flags, [&](dns::MessageWriter& w) {
      w.startRecord(dq.qname, dns::qtype::CNAME, dq.message.question().qclass, o.ttl,
                    dns::Section::Answer);
      w.putName(target);
      w.commit();
    });
  });
}

ActionPtr spoofRawAction(std::vector<std::string> rdatas, SpoofOptions o) {
  if (rdatas.empty()) throw std::invalid_argument("SpoofRawAction: no RDATA to answer with");
  for (const auto& r : rdatas)
    if (r.size() > 65535)
      throw std::invalid_argument("SpoofRawAction: RDATA longer than 65535 bytes");
  return make(fmt::format("spoof {} raw record(s)", rdatas.size()),
              [rdatas = std::move(rdatas), o](DQ& dq) {
                const auto& q = dq.message.question();
                return spoof(dq, o.flags, [&](dns::MessageWriter& w) {
                  for (const auto& r : rdatas) {
                    w.startRecord(dq.qname, q.qtype, q.qclass, o.ttl, dns::Section::Answer);
                    w.putBytes({reinterpret_cast<const uint8_t*>(r.data()), r.size()});
                    w.commit();
                  }
                });
              });
}

ActionPtr spoofSvcAction(const std::vector<SvcParams>& records, SpoofOptions o) {
  if (records.empty()) throw std::invalid_argument("SpoofSVCAction: no SVC record to answer with");
  std::vector<std::string> rdatas;
  // The hints also go in the additional section, once per (owner, address) as dnsdist.
  std::vector<std::pair<dns::Name, Address>> hints;
  for (const auto& r : records) {
    rdatas.push_back(svcRdata(r));
    for (const auto* list : {&r.ipv4hint, &r.ipv6hint})
      for (const auto& a : *list) {
        std::pair<dns::Name, Address> h{r.target, a};
        bool seen = false;
        for (const auto& [n, x] : hints) seen = seen || (n == h.first && x == h.second);
        if (!seen) hints.push_back(std::move(h));
      }
  }
  std::stable_partition(hints.begin(), hints.end(), [](const auto& h) { return h.second.isV4(); });
  return make(fmt::format("spoof {} SVC record(s)", rdatas.size()),
              [rdatas = std::move(rdatas), hints = std::move(hints), o](DQ& dq) {
                const auto& q = dq.message.question();
                return spoof(dq, o.flags, [&](dns::MessageWriter& w) {
                  for (const auto& r : rdatas) {
                    w.startRecord(dq.qname, q.qtype, q.qclass, o.ttl, dns::Section::Answer);
                    w.putBytes({reinterpret_cast<const uint8_t*>(r.data()), r.size()});
                    w.commit();
                  }
                  for (const auto& [owner, a] : hints) {
                    w.startRecord(owner.isRoot() ? dq.qname : owner,
                                  a.isV4() ? dns::qtype::A : dns::qtype::AAAA, dns::qclass::IN,
                                  o.ttl, dns::Section::Additional);
                    w.putBytes({a.bytes(), a.byteLength()});
                    w.commit();
                  }
                });
              });
}

ActionPtr negativeAndSoaAction(bool nxd, SoaFields soa, ResponseFlags flags) {
  std::string d = fmt::format("set {} with SOA {}", nxd ? "NXD" : "NODATA", soa.zone.toString());
  return make(std::move(d), [nxd, soa = std::move(soa), flags](DQ& dq) {
    Verdict v = spoof(dq, flags, [&](dns::MessageWriter& w) {
      w.startRecord(soa.zone, dns::qtype::SOA, dq.message.question().qclass, soa.ttl,
                    dns::Section::Additional);
      w.putName(soa.mname);
      w.putName(soa.rname);
      for (uint32_t v : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) w.putU32(v);
      w.commit();
    });
    if (nxd && dns::HeaderView(dq.packet).rcode() == dns::rcode::NoError)
      dns::HeaderRef(dq.packet).setRcode(dns::rcode::NXDomain);
    return v;
  });
}

ActionPtr qpsAction(double qps) {
  if (qps <= 0) throw std::invalid_argument("QPSAction: qps must be positive");
  auto limiter = std::make_shared<QpsLimiter>(qps, qps);
  return make(fmt::format("qps limit to {}", qps), [limiter](DQ& dq) {
    return limiter->check(dq.nowUsec) ? Verdict::None : Verdict::Drop;
  });
}

ActionPtr setEdnsOptionAction(uint16_t code, std::string data) {
  if (data.size() > 65535 - 4)
    throw std::invalid_argument("SetEDNSOptionAction: the option data is too long");
  return make(fmt::format("add EDNS Option (code={})", code),
              [code, data = std::move(data)](DQ& dq) {
                setEdnsOption(dq, code, data);
                return Verdict::None;
              });
}

ActionPtr setMacAddrAction(uint16_t code, std::function<std::string(const Address&)> lookup) {
  if (!lookup) lookup = neighbourMac;
  return make(fmt::format("add EDNS MAC (code={})", code),
              [code, lookup = std::move(lookup)](DQ& dq) {
                std::string mac = dq.remote ? lookup(*dq.remote) : std::string();
                if (!mac.empty()) setEdnsOption(dq, code, mac);
                return Verdict::None;
              });
}

ActionPtr poolAction(std::string pool, bool stop) {
  std::string d = "to pool " + (pool.empty() ? std::string("<default>") : pool);
  return make(std::move(d), [pool = std::move(pool), stop](DQ& dq) {
    dq.query->poolName = pool;
    return stop ? Verdict::Pool : Verdict::None;
  });
}

ActionPtr qpsPoolAction(double qps, std::string pool, bool stop) {
  if (qps <= 0) throw std::invalid_argument("QPSPoolAction: qps must be positive");
  auto limiter = std::make_shared<QpsLimiter>(qps, qps);
  std::string d = fmt::format("max {} to pool {}", qps, pool);
  return make(std::move(d), [limiter, pool = std::move(pool), stop](DQ& dq) {
    if (!limiter->check(dq.nowUsec)) return Verdict::None;
    dq.query->poolName = pool;
    return stop ? Verdict::Pool : Verdict::None;
  });
}

ActionPtr logAction(const std::string& file, bool append) {
  auto log = std::make_shared<Logger>(file, append);
  return make("log to " + (file.empty() ? std::string("stdout") : file), [log](DQ& dq) {
    log->write(packetLine(dq, "Packet"));
    return Verdict::None;
  });
}

ActionPtr setSkipCacheAction() {
  return make("skip cache", [](DQ& dq) {
    dq.query->skipCache = true;
    return Verdict::None;
  });
}

ActionPtr setTempFailureCacheTTLAction(uint32_t ttl) {
  return make("set tempfailure cache ttl to " + std::to_string(ttl), [ttl](DQ& dq) {
    dq.query->tempFailureTTL = ttl;
    return Verdict::None;
  });
}

ResponseActionPtr setSkipCacheResponseAction() {
  return makeResponse("skip cache", [](DQ& dr) {
    if (dr.skipCacheInsert) *dr.skipCacheInsert = true;
    return ResponseVerdict::None;
  });
}

namespace {
void setTag(std::vector<std::pair<std::string, std::string>>* tags, const std::string& name,
            const std::string& value) {
  if (!tags) return;
  for (auto& [k, v] : *tags)
    if (k == name) {
      v = value;
      return;
    }
  tags->emplace_back(name, value);
}
}  // namespace

ActionPtr setTagAction(std::string name, std::string value) {
  std::string d = "set tag '" + name + "' to value '" + value + "'";
  return make(std::move(d), [name = std::move(name), value = std::move(value)](DQ& dq) {
    setTag(dq.tags ? dq.tags : &dq.query->tags, name, value);
    return Verdict::None;
  });
}

ResponseActionPtr setTagResponseAction(std::string name, std::string value) {
  std::string d = "set tag '" + name + "' to value '" + value + "'";
  return makeResponse(std::move(d), [name = std::move(name), value = std::move(value)](DQ& dr) {
    setTag(dr.tags, name, value);
    return ResponseVerdict::None;
  });
}

ActionPtr setProxyProtocolValuesAction(std::vector<dns::proxy::Value> values) {
  std::string d = "set proxy protocol values:";
  for (const auto& v : values) d += fmt::format(" {}", v.type);
  return make(std::move(d), [values = std::move(values)](DQ& dq) {
    dq.query->proxyValues = values;
    return Verdict::None;
  });
}

ActionPtr setAdditionalProxyProtocolValueAction(uint8_t type, std::string value) {
  std::string d = fmt::format("add a proxy protocol value of type {}", type);
  return make(std::move(d), [type, value = std::move(value)](DQ& dq) {
    dq.query->proxyValues.push_back({type, value});
    return Verdict::None;
  });
}

ActionPtr setNoRecurseAction() {
  return make("set rd=0", [](DQ& dq) {
    dns::HeaderRef(dq.packet).setRd(false);
    return Verdict::None;
  });
}

ActionPtr delayAction(uint32_t msec) {
  return make(fmt::format("delay by {} ms", msec), [msec](DQ& dq) {
    if (dq.delayMsec) *dq.delayMsec = msec;
    return Verdict::None;
  });
}

ActionPtr setDisableValidationAction() {
  return make("set cd=1", [](DQ& dq) {
    dns::HeaderRef(dq.packet).setCd(true);
    return Verdict::None;
  });
}

ActionPtr continueAction(ActionPtr inner) {
  std::string d = "continue after: " + inner->describe();
  return make(std::move(d), [inner = std::move(inner)](DQ& dq) {
    // Only actions that leave the query intact make sense here; an answering or dropping
    // inner action is ignored, as dnsdist does.
    (void)inner->apply(dq);
    return Verdict::None;
  });
}

ResponseActionPtr allowResponseAction() {
  return makeResponse("allow", [](DQ&) { return ResponseVerdict::Allow; });
}
ResponseActionPtr dropResponseAction() {
  return makeResponse("drop", [](DQ&) { return ResponseVerdict::Drop; });
}

ResponseActionPtr logResponseAction(const std::string& file, bool append) {
  auto log = std::make_shared<Logger>(file, append);
  return makeResponse("log to " + (file.empty() ? std::string("stdout") : file), [log](DQ& dr) {
    log->write(packetLine(dr, "Response"));
    return ResponseVerdict::None;
  });
}

ResponseActionPtr delayResponseAction(uint32_t msec) {
  return makeResponse(fmt::format("delay by {} ms", msec), [msec](DQ& dr) {
    if (dr.delayMsec) *dr.delayMsec = msec;
    return ResponseVerdict::None;
  });
}

ResponseActionPtr setMaxTTLResponseAction(uint32_t max) {
  return makeResponse(fmt::format("max TTL {}", max), [max](DQ& dr) {
    editTtls(dr, [max](uint16_t, uint32_t t) { return t > max ? max : t; });
    return ResponseVerdict::None;
  });
}

ResponseActionPtr setMinTTLResponseAction(uint32_t min) {
  return makeResponse(fmt::format("min TTL {}", min), [min](DQ& dr) {
    editTtls(dr, [min](uint16_t, uint32_t t) { return t < min ? min : t; });
    return ResponseVerdict::None;
  });
}

ResponseActionPtr limitTTLResponseAction(uint32_t min, uint32_t max, std::vector<uint16_t> types) {
  if (min > max) throw std::invalid_argument("LimitTTLResponseAction: minimum above maximum");
  return makeResponse(fmt::format("limit TTL to [{}, {}]", min, max), [min, max, types](DQ& dr) {
    editTtls(dr, [&](uint16_t type, uint32_t t) {
      if (!types.empty() && std::find(types.begin(), types.end(), type) == types.end()) return t;
      return t < min ? min : (t > max ? max : t);
    });
    return ResponseVerdict::None;
  });
}

}  // namespace ballast::core::rules
