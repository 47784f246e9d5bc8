// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for following a zone transfer through the messages a server sends
// (backends/remote/xfr_tracker): the first byte picks AXFR or IXFR, the rest is the server's
// stream of length-prefixed messages. Checks: once the transfer ended (done or failed)
// every further message fails it; the message count is the messages fed; the record count
// never goes down.
#include <vector>

#include "test/fuzz/fuzz_check.hh"

#include "backends/remote/xfr_tracker.hh"
#include "dns/tcp_framing.hh"
#include "dns/types.hh"

using ballast::backends::remote::XfrTracker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint16_t qtype = (data[0] & 1) ? ballast::dns::qtype::IXFR : ballast::dns::qtype::AXFR;
  std::vector<uint8_t> stream(data + 1, data + size);
  ballast::dns::FrameReader frames(stream);
  std::span<const uint8_t> msg;
  XfrTracker t(qtype);
  uint32_t fed = 0;
  uint64_t records = 0;
  bool ended = false;
  while (frames.next(msg)) {
    XfrTracker::State s = t.feed(msg);
    ++fed;
    if (ended) FUZZ_CHECK(s == XfrTracker::State::Failed);
    ended = s != XfrTracker::State::More;
    FUZZ_CHECK(t.state() == s);
    FUZZ_CHECK(t.messages() == fed);
    FUZZ_CHECK(t.records() >= records);
    records = t.records();
  }
  return 0;
}
