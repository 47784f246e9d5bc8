// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for DNS over TCP framing as the stream frontends and the TCP backend client
// use it: the input arrives in chunks (the first byte sets their size), complete frames
// are taken from the bytes kept plus the new chunk, the rest kept for the next one. Checks:
// nothing is lost or invented (the frames, framed again, are exactly the bytes consumed,
// and consumed + kept = received), and every frame goes through the message parser.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "test/fuzz/fuzz_check.hh"

#include "dns/message.hh"
#include "dns/tcp_framing.hh"

using namespace ballast::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = size_t(data[0]) + 1;
  const uint8_t* stream = data + 1;
  const size_t total = size - 1;
  std::vector<uint8_t> kept, reframed;
  size_t consumed = 0;
  for (size_t at = 0; at < total; at += chunk) {
    size_t n = total - at < chunk ? total - at : chunk;
    std::vector<uint8_t> buf = kept;
    buf.insert(buf.end(), stream + at, stream + at + n);
    FrameReader frames(buf);
    std::span<const uint8_t> m;
    while (frames.next(m)) {
      FUZZ_CHECK(m.size() <= 65535);
      uint8_t header[kFrameHeaderSize];
      writeFrameHeader(header, m.size());
      reframed.insert(reframed.end(), header, header + kFrameHeaderSize);
      reframed.insert(reframed.end(), m.begin(), m.end());
      MessageView view;
      (void)MessageView::parse(m, view);
    }
    FUZZ_CHECK(frames.consumed() <= buf.size());
    consumed += frames.consumed();
    kept.assign(buf.begin() + long(frames.consumed()), buf.end());
  }
  FUZZ_CHECK(consumed + kept.size() == total);
  FUZZ_CHECK(reframed.size() == consumed);
  for (size_t i = 0; i < consumed; ++i) FUZZ_CHECK(reframed[i] == stream[i]);
  return 0;
}
