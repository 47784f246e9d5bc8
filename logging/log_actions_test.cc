// SPDX-License-Identifier: GPL-2.0-only
#include "logging/log_actions.hh"

#include <doctest.h>

#include <vector>

#include "core/query_context.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast;
namespace r = ballast::core::rules;

namespace {

/// Collects what the actions queue.
class Collect final : public logging::Logger {
 public:
  bool queue(std::string_view m) override {
    got.emplace_back(m);
    return true;
  }
  std::string toString() const override { return "collect"; }
  bool dnstap() const override { return false; }
  std::vector<std::string> got;
};

/// A response to www.example/A: a CNAME to target.example, its A record, an MX (never
/// logged).
struct Response {
  std::vector<uint8_t> buf;
  core::Address client = core::Address::parse("192.0.2.9:4444");
  core::Address local = core::Address::parse("127.0.0.1:53");
  r::DQ dq;
  Response() {
    auto www = dns::Name::fromString("www.example"),
         target = dns::Name::fromString("target.example");
    dns::MessageWriter w(buf, 0x4242, www, dns::qtype::A);
    w.header().setQr(true);
    w.startRecord(www, dns::qtype::CNAME, 1, 60, dns::Section::Answer);
    w.putName(target);
    w.commit();
    w.startRecord(target, dns::qtype::A, 1, 30, dns::Section::Answer);
    w.putBytes(std::vector<uint8_t>{10, 0, 0, 1});
    w.commit();
    w.startRecord(target, dns::qtype::MX, 1, 30, dns::Section::Answer);
    w.putU16(10);
    w.putName(target);
    w.commit();
    bool parsed = dns::MessageView::parse(buf, dq.message) == dns::ParseError::None;
    REQUIRE(parsed);
    dq.packet = buf.data();
    dq.length = buf.size();
    dq.capacity = buf.size();
    dq.qname = www;
    dq.remote = &client;
    dq.local = &local;
    dq.response = true;
  }
};

}  // namespace

TEST_CASE("makePbMessage: a response's A records, CNAMEs only with includeCNAME") {
  Response resp;
  logging::PbMessage m = logging::makePbMessage(resp.dq, false);
  CHECK(m.response);
  CHECK(m.id == 0x4242);
  CHECK(m.qname == "www.example.");
  CHECK(m.qtype == dns::qtype::A);
  CHECK(m.rcode == 0u);
  CHECK(m.from == resp.client);
  CHECK(m.to == resp.local);
  CHECK(m.inBytes == resp.buf.size());
  REQUIRE(m.rrs.size() == 1);
  CHECK(m.rrs[0].name == "target.example.");
  CHECK(m.rrs[0].ttl == 30);
  CHECK(m.rrs[0].rdata == std::string("\x0a\x00\x00\x01", 4));
  m = logging::makePbMessage(resp.dq, true);
  REQUIRE(m.rrs.size() == 2);
  CHECK(m.rrs[0].type == dns::qtype::CNAME);
  CHECK(m.rrs[0].rdata == "target.example.");
}

TEST_CASE("remote log actions: options, the alter function, never stopping the rules") {
  Response resp;
  auto sink = std::make_shared<Collect>();
  logging::RemoteLogOptions o;
  o.serverID = "srv";
  o.encryptRequestor = [](const core::Address&) { return core::Address::parse("198.51.100.1:1"); };
  bool altered = false;
  auto a = logging::remoteLogResponseAction(
      sink, [&](r::DQ&, logging::PbMessage& m) { altered = true, m.tags.push_back("t"); }, o);
  CHECK(a->apply(resp.dq) == r::ResponseVerdict::None);
  CHECK(altered);
  REQUIRE(sink->got.size() == 1);
  const std::string& wire = sink->got[0];
  CHECK(wire.find("srv") != std::string::npos);
  CHECK(wire.find(std::string("\xc6\x33\x64\x01", 4)) != std::string::npos);  // encrypted from
  CHECK(wire.find(std::string("\xc0\x00\x02\x09", 4)) == std::string::npos);  // not the real one
  CHECK(a->describe() == "remote log response to collect");
}

TEST_CASE("makeDnstapMessage: the packet, addresses and type by the QR bit") {
  Response resp;
  logging::DnstapMessage m = logging::makeDnstapMessage(resp.dq, "me");
  CHECK(m.type == logging::DnstapType::ClientResponse);
  CHECK(m.identity == "me");
  CHECK(m.requestor == resp.client);
  CHECK(m.packet.size() == resp.buf.size());
  CHECK(m.responseTime.has_value());
  dns::HeaderRef(resp.buf.data()).setQr(false);
  resp.dq.response = false;
  m = logging::makeDnstapMessage(resp.dq, "me");
  CHECK(m.type == logging::DnstapType::ClientQuery);
  CHECK_FALSE(m.responseTime.has_value());
}
