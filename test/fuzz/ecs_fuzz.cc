// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for EDNS Client Subnet (dns/ecs): the option parser, and the in-place edits
// the query path (adding or replacing the option, adding an OPT record) and the response
// path (taking them out again) make on a parsed message. Checks: an accepted option written
// back is the same bytes; an edited message still parses and carries exactly one ECS
// option, the one written; taking it out leaves a message that parses and has none.
#include <cstring>
#include <vector>

#include "dns/ecs.hh"
#include "dns/message.hh"
#include "test/fuzz/fuzz_check.hh"

using namespace ballast::dns;

namespace {

int countEcs(const MessageView& m) {
  int n = 0;
  if (m.edns().present)
    forEachEdnsOption(m.ednsOptions(), [&](uint16_t code, std::span<const uint8_t>) {
      n += code == kEcsOptionCode;
    });
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ClientSubnet s;
  if (parseClientSubnet({data, size}, s)) {
    uint8_t out[kMaxEcsOptionSize];
    size_t n = writeClientSubnetOption(s, out);
    FUZZ_CHECK(n == size + 4);
    FUZZ_CHECK(std::memcmp(out + 4, data, size) == 0);
  }
  if (size < 1) return 0;
  // The first byte picks the subnet and the override flag; the rest is the message.
  uint8_t addr[16];
  for (int i = 0; i < 16; ++i) addr[i] = uint8_t(data[0] * (i + 1));
  bool v6 = data[0] & 1, override = data[0] & 2;
  ClientSubnet mine = makeClientSubnet(addr, v6 ? 16 : 4, uint8_t(data[0] >> 1));
  uint8_t option[kMaxEcsOptionSize];
  size_t optLen = writeClientSubnetOption(mine, option);
  std::vector<uint8_t> packet(data + 1, data + size);
  size_t len = packet.size();
  MessageView m;
  if (MessageView::parse({packet.data(), len}, m) != ParseError::None) return 0;
  bool hadOpt = m.edns().present;
  int had = countEcs(m);
  packet.resize(len + 64 + (data[0] % 4 == 0 ? 0 : 64));
  auto r = addClientSubnet(packet.data(), len, packet.size(), m, {option, optLen}, override);
  MessageView after;
  FUZZ_CHECK(MessageView::parse({packet.data(), len}, after) == ParseError::None);
  if (r == EcsEdit::Kept || r == EcsEdit::NoRoom) return 0;
  FUZZ_CHECK(countEcs(after) == 1);
  FUZZ_CHECK(r != EcsEdit::AddedWithOpt || !hadOpt);
  FUZZ_CHECK(r != EcsEdit::Replaced || had > 0);
  ClientSubnet found;
  FUZZ_CHECK(findClientSubnet(after, found) && found == mine);
  len = r == EcsEdit::AddedWithOpt ? removeOptRecord(packet.data(), len, after)
                                   : removeEdnsOption(packet.data(), len, after, kEcsOptionCode);
  MessageView back;
  FUZZ_CHECK(MessageView::parse({packet.data(), len}, back) == ParseError::None);
  FUZZ_CHECK(countEcs(back) == 0);
  FUZZ_CHECK(back.edns().present == hadOpt);
  return 0;
}
