// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/answer_writer.hh"

#include <algorithm>
#include <stdexcept>

#include "backends/resolver/instance.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::backends::resolver {

namespace {

constexpr uint8_t kEdeOption = 15;

void write(const Job& job, const Answer& a, uint16_t ednsBufferSize, const std::string& nsid,
           bool withRecords, std::vector<uint8_t>& out) {
  dns::MessageWriter w(out, job.id, job.qname, job.qtype, job.qclass);
  auto h = w.header();
  h.setQr(true);
  h.setRd(job.rd);
  h.setRa(true);
  h.setRcode(a.rcode);
  h.setCd(job.cd);
  // RFC 6840 5.7, as unbound: AD on a validated secure answer to a client that set AD or DO.
  h.setAd(a.validated && a.verdict.secure() && (job.ad || job.dnssecOk));
  // DNSSEC records only to DO clients (RFC 4035 3.2.1), unless asked for by type.
  auto shown = [&](const Record& r, bool answer) {
    if (job.dnssecOk) return true;
    if (r.type != dns::qtype::RRSIG && r.type != dns::qtype::NSEC && r.type != dns::qtype::NSEC3)
      return true;
    return answer && r.type == job.qtype;
  };
  // A failed resolution's partial chain would only mislead: SERVFAIL comes bare.
  if (withRecords && a.rcode != dns::rcode::ServFail) {
    for (const auto& r : a.answer) {
      if (!shown(r, true)) continue;
      w.startRecord(r.owner, r.type, dns::qclass::IN, r.ttl, dns::Section::Answer);
      w.putBytes(r.rdata);
      w.commit();
    }
    for (const auto& r : a.authority) {
      if (!shown(r, false)) continue;
      w.startRecord(r.owner, r.type, dns::qclass::IN, r.ttl, dns::Section::Authority);
      w.putBytes(r.rdata);
      w.commit();
    }
  } else if (!withRecords) {
    h.setTc(true);  // only a real truncation: a bare SERVFAIL over TCP would be the same
  }
  if (job.edns) {
    std::vector<uint8_t> options;
    if (job.wantsNsid && !nsid.empty()) {
      size_t n = std::min<size_t>(nsid.size(), 512);
      options = {0, 3, uint8_t(n >> 8), uint8_t(n)};
      options.insert(options.end(), nsid.begin(), nsid.begin() + long(n));
    }
    if (a.validated && a.verdict.bogus() && a.verdict.ede != dnssec::ede::kNone) {
      // Extended DNS Error (RFC 8914): the info code, then the reason as extra text.
      std::string_view why = a.verdict.reason;
      size_t n = 2 + why.size();
      options.insert(options.end(), {0, kEdeOption, uint8_t(n >> 8), uint8_t(n),
                                     uint8_t(a.verdict.ede >> 8), uint8_t(a.verdict.ede)});
      options.insert(options.end(), why.begin(), why.end());
    }
    w.addOpt(ednsBufferSize, job.dnssecOk, options);
  }
}

}  // namespace

void writeAnswer(const Job& job, const Answer& a, uint16_t ednsBufferSize, const std::string& nsid,
                 bool overUdp, std::vector<uint8_t>& out) {
  size_t limit = overUdp ? (job.edns ? std::min(job.udpSize, ednsBufferSize) : 512) : 65535;
  limit = std::max<size_t>(limit, 512);
  try {
    write(job, a, ednsBufferSize, nsid, true, out);
    if (out.size() <= limit) return;
  } catch (const std::length_error&) {
    // Over 65535 bytes: only possible with absurd RRsets; the client gets TC.
  }
  write(job, a, ednsBufferSize, nsid, false, out);
}

}  // namespace ballast::backends::resolver
