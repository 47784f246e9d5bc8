// SPDX-License-Identifier: GPL-2.0-only
#include "logging/log_actions.hh"

#include <time.h>

#include <utility>

#include "core/clock.hh"
#include "core/query_context.hh"
#include "dns/header.hh"
#include "dns/rdata.hh"
#include "dns/types.hh"

namespace ballast::logging {

namespace rules = core::rules;

namespace {

struct WallTime {
  int64_t sec = 0;
  uint32_t nsec = 0;
};

WallTime wallNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, uint32_t(ts.tv_nsec)};
}

/// When the query arrived, on the wall clock: its monotonic arrival time moved by how long
/// ago that was. A response does not carry its query here: now.
WallTime queryTime(const rules::DQ& dq, WallTime now) {
  if (!dq.query || dq.query->receivedUsec == 0) return now;
  int64_t ago = core::monotonicUsec() - dq.query->receivedUsec;
  if (ago < 0) ago = 0;
  int64_t ns = now.sec * 1000000000 + now.nsec - ago * 1000;
  return {ns / 1000000000, uint32_t(ns % 1000000000)};
}

Transport transportOf(const rules::DQ& dq) {
  if (dq.query && dq.query->http) return Transport::Doh;
  if (dq.query && dq.query->destination.tls) return Transport::Dot;
  return dq.tcp ? Transport::Tcp : Transport::Udp;
}

/// The answer section's A and AAAA records (CNAMEs too, their target as text), as dnsdist
/// logs them.
void addAnswerRecords(const rules::DQ& dq, bool includeCNAME, PbMessage& m) {
  std::vector<uint8_t> rdata;
  for (const dns::RecordView& r : dq.message) {
    if (r.section != dns::Section::Answer) continue;
    bool addr = r.type == dns::qtype::A || r.type == dns::qtype::AAAA;
    if (!addr && !(includeCNAME && r.type == dns::qtype::CNAME)) continue;
    PbMessage::RR rr{r.name.toString(), r.type, r.klass, r.ttl, {}};
    if (addr) {
      rr.rdata.assign(reinterpret_cast<const char*>(dq.packet) + r.rdataOffset, r.rdataLength);
    } else {
      dns::Name target;
      if (!dns::canonicalRdata(dq.message, r, rdata) || !dns::rdataTarget(r.type, rdata, target))
        continue;
      rr.rdata = target.toString();
    }
    m.rrs.push_back(std::move(rr));
  }
}

template <typename Base, typename V>
class LogAction final : public Base {
 public:
  using Fn = std::function<void(rules::DQ&)>;
  LogAction(std::string prefix, std::shared_ptr<Logger> logger, Fn fn)
      : prefix_(std::move(prefix)), logger_(std::move(logger)), fn_(std::move(fn)) {}
  V apply(rules::DQ& dq) const override {
    fn_(dq);
    return V::None;
  }
  /// With the logger's counters as they are now, as dnsdist shows them.
  std::string describe() const override { return prefix_ + logger_->toString(); }

 private:
  std::string prefix_;
  std::shared_ptr<Logger> logger_;
  Fn fn_;
};

/// The pb actions' work, shared by queries and responses.
auto pbLogger(std::shared_ptr<Logger> logger, PbAlter alter, RemoteLogOptions o, bool response) {
  return [logger = std::move(logger), alter = std::move(alter), o = std::move(o),
          response](rules::DQ& dq) {
    PbMessage m = makePbMessage(dq, o.includeCNAME);
    m.response = response;
    if (!o.serverID.empty()) m.serverIdentity = o.serverID;
    if (o.encryptRequestor) m.from = o.encryptRequestor(m.from);
    if (alter) alter(dq, m);
    thread_local std::string buf;
    m.encode(buf);
    logger->queue(buf);
  };
}

auto dnstapLogger(std::string identity, std::shared_ptr<Logger> logger, DnstapAlter alter,
                  bool response) {
  return [identity = std::move(identity), logger = std::move(logger), alter = std::move(alter),
          response](rules::DQ& dq) {
    DnstapMessage m = makeDnstapMessage(dq, identity);
    if (response) m.type = DnstapType::ClientResponse;
    if (alter) alter(dq, m);
    thread_local std::string buf;
    m.encode(buf);
    logger->queue(buf);
  };
}

}  // namespace

PbMessage makePbMessage(const rules::DQ& dq, bool includeCNAME) {
  PbMessage m;
  WallTime now = wallNow();
  WallTime qt = queryTime(dq, now);
  m.response = dq.response;
  m.messageId = randomUuid();
  if (dq.remote) m.from = *dq.remote;
  if (dq.local) m.to = *dq.local;
  m.transport = transportOf(dq);
  m.inBytes = dq.length;
  m.timeSec = uint32_t(now.sec);
  m.timeUsec = now.nsec / 1000;
  m.id = dns::HeaderView(dq.packet).id();
  m.qname = dq.qname.toString();
  m.qtype = dq.message.question().qtype;
  m.qclass = dq.message.question().qclass;
  m.queryTimeSec = uint32_t(qt.sec);
  m.queryTimeUsec = qt.nsec / 1000;
  if (dq.response) {
    m.rcode = dns::HeaderView(dq.packet).rcode();
    addAnswerRecords(dq, includeCNAME, m);
  }
  return m;
}

DnstapMessage makeDnstapMessage(const rules::DQ& dq, const std::string& identity) {
  DnstapMessage m;
  WallTime now = wallNow();
  WallTime qt = queryTime(dq, now);
  m.identity = identity;
  m.version = "ballast " BALLAST_VERSION;
  bool qr = dns::HeaderView(dq.packet).qr();
  m.type = qr ? DnstapType::ClientResponse : DnstapType::ClientQuery;
  m.transport = transportOf(dq);
  if (dq.remote) m.requestor = *dq.remote;
  if (dq.local) m.responder = *dq.local;
  m.queryTimeSec = qt.sec;
  m.queryTimeNsec = qt.nsec;
  if (dq.response) m.responseTime = std::make_pair(now.sec, now.nsec);
  m.packet.assign(reinterpret_cast<const char*>(dq.packet), dq.length);
  return m;
}

rules::ActionPtr remoteLogAction(std::shared_ptr<Logger> logger, PbAlter alter,
                                 RemoteLogOptions options) {
  return std::make_shared<LogAction<rules::Action, rules::Verdict>>(
      "remote log to ", logger, pbLogger(logger, std::move(alter), std::move(options), false));
}

rules::ResponseActionPtr remoteLogResponseAction(std::shared_ptr<Logger> logger, PbAlter alter,
                                                 RemoteLogOptions options) {
  return std::make_shared<LogAction<rules::ResponseAction, rules::ResponseVerdict>>(
      "remote log response to ", logger,
      pbLogger(logger, std::move(alter), std::move(options), true));
}

rules::ActionPtr dnstapLogAction(std::string identity, std::shared_ptr<Logger> logger,
                                 DnstapAlter alter) {
  return std::make_shared<LogAction<rules::Action, rules::Verdict>>(
      "remote log as dnstap to ", logger,
      dnstapLogger(std::move(identity), logger, std::move(alter), false));
}

rules::ResponseActionPtr dnstapLogResponseAction(std::string identity,
                                                 std::shared_ptr<Logger> logger,
                                                 DnstapAlter alter) {
  return std::make_shared<LogAction<rules::ResponseAction, rules::ResponseVerdict>>(
      "log response as dnstap to ", logger,
      dnstapLogger(std::move(identity), logger, std::move(alter), true));
}

}  // namespace ballast::logging
