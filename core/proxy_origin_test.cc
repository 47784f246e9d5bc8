// SPDX-License-Identifier: GPL-2.0-only
#include "core/proxy_origin.hh"

#include <doctest.h>

#include <vector>

using namespace ballast;
using core::Address;

namespace {

std::vector<uint8_t> headerFor(const char* src, const char* dst,
                               std::vector<dns::proxy::Value> values = {}) {
  auto s = core::endpointOf(Address::parse(src)), d = core::endpointOf(Address::parse(dst));
  std::vector<uint8_t> out;
  dns::proxy::write(out, &s, &d, false, values);
  return out;
}

}  // namespace

TEST_CASE("proxy origin: a client's header becomes the query's addresses, the reply goes back") {
  core::RuntimeConfig cfg;
  core::GlobalStats stats;
  CHECK_FALSE(core::needsProxyHeader(Address::parse("127.0.0.9:1"), cfg));
  cfg.proxyProtocolACL.add("127.0.0.9/32");
  CHECK(core::needsProxyHeader(Address::parse("127.0.0.9:1"), cfg));
  CHECK_FALSE(core::needsProxyHeader(Address::parse("127.0.0.8:1"), cfg));

  std::vector<uint8_t> buf =
      headerFor("192.0.2.1:5000", "[2001:db8::1]:53", {{0x42, "hi"}});  // mixed families
  size_t headerSize = buf.size();
  buf.insert(buf.end(), {0xAB, 0xCD, 1, 0, 0, 1});
  core::QueryContext q;
  q.packet = buf.data();
  q.length = buf.size();
  q.capacity = 1000;
  q.destination.client = Address::parse("127.0.0.9:4444");
  q.destination.local = Address::parse("127.0.0.1:53");
  REQUIRE(core::takeProxyHeader(q, cfg, stats));
  CHECK(q.packet == buf.data() + headerSize);
  CHECK(q.length == 6);
  CHECK(q.capacity == 1000 - headerSize);
  CHECK(q.packet[0] == 0xAB);
  const core::Destination& d = q.destination;
  CHECK(d.proxied);
  CHECK(d.client.toStringWithPort() == "192.0.2.1:5000");
  CHECK(d.local.toStringWithPort() == "0.0.0.0:53");  // not the source's family: zeros
  CHECK(d.replyTo().toStringWithPort() == "127.0.0.9:4444");
  CHECK(d.replyFrom().toStringWithPort() == "127.0.0.1:53");
  REQUIRE(q.proxyValues.size() == 1);
  CHECK(q.proxyValues[0].content == "hi");
  CHECK(stats.proxyProtocolInvalid.value() == 0);
}

TEST_CASE("proxy origin: a bad or oversized header is counted and refused") {
  core::RuntimeConfig cfg;
  core::GlobalStats stats;
  std::vector<uint8_t> buf =
      headerFor("192.0.2.1:5000", "192.0.2.2:53", {{1, std::string(600, 'x')}});
  core::QueryContext q;
  q.packet = buf.data();
  q.length = buf.size();
  q.capacity = buf.size();
  CHECK_FALSE(core::takeProxyHeader(q, cfg, stats));  // over the default 512
  cfg.settings.proxyProtocolMaxSize = 1000;
  CHECK(core::takeProxyHeader(q, cfg, stats));
  uint8_t plain[12] = {0xAB, 0xCD, 1, 0, 0, 1};
  q = {};
  q.packet = plain;
  q.length = sizeof(plain);
  CHECK_FALSE(core::takeProxyHeader(q, cfg, stats));
  CHECK(stats.proxyProtocolInvalid.value() == 2);
  CHECK_FALSE(q.destination.proxied);
}

TEST_CASE("proxy origin: the header sent to a backend") {
  std::vector<uint8_t> out;
  REQUIRE(core::writeProxyHeader(out, nullptr, nullptr, false, nullptr));
  CHECK(out.size() == 16);
  CHECK(out[12] == 0x20);  // LOCAL

  Address client = Address::parse("192.0.2.1:5000"), local = Address::parse("192.0.2.2:53");
  std::vector<dns::proxy::Value> values = {{7, "v"}};
  out.clear();
  REQUIRE(core::writeProxyHeader(out, &client, &local, true, &values));
  std::vector<uint8_t> dgram = headerFor("192.0.2.1:5000", "192.0.2.2:53", values);
  REQUIRE(out.size() == dgram.size());
  CHECK(out[13] == 0x11);  // INET, STREAM
  dgram[13] = 0x11;
  CHECK(out == dgram);
  dns::proxy::Header h;
  REQUIRE(dns::proxy::parse(out, 512, h) == dns::proxy::Status::Ok);
  CHECK(h.stream);
  CHECK(core::addressOf(h.source) == client);
  CHECK(core::addressOf(h.destination) == local);

  std::vector<dns::proxy::Value> huge = {{1, std::string(70000, 'x')}};
  out.clear();
  CHECK_FALSE(core::writeProxyHeader(out, &client, &local, false, &huge));
}
