// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for the PROXY protocol v2 header parser the frontends run on what clients in
// setProxyProtocolACL send. The first byte sets the maximum size (x4). Checks: an accepted
// header lies within the input and the maximum, its TLVs lie within it and walk to its
// end exactly, and writing it again (addresses and values) parses back the same; a header
// reported incomplete really is a prefix (the input is no longer than the maximum allows).
#include <vector>

#include "dns/proxy_protocol.hh"
#include "test/fuzz/fuzz_check.hh"

using namespace ballast::dns::proxy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t maxSize = size_t(data[0]) * 4;
  std::span<const uint8_t> in(data + 1, size - 1);
  Header h;
  Status s = parse(in, maxSize, h);
  if (s == Status::Incomplete) FUZZ_CHECK(in.size() < maxSize || in.size() < kFixedSize);
  if (s != Status::Ok) return 0;
  FUZZ_CHECK(h.size >= kFixedSize && h.size <= in.size() && h.size <= maxSize);
  if (h.command == Command::Local) return 0;
  FUZZ_CHECK(h.tlvs.data() >= in.data() && h.tlvs.data() + h.tlvs.size() == in.data() + h.size);
  std::vector<Value> values;
  appendValues(h.tlvs, values);
  size_t walked = 0;
  for (const Value& v : values) walked += 3 + v.content.size();
  FUZZ_CHECK(walked == h.tlvs.size());
  std::vector<uint8_t> again;
  write(again, &h.source, &h.destination, h.stream, values);
  FUZZ_CHECK(again.size() == h.size);
  Header h2;
  FUZZ_CHECK(parse(again, again.size(), h2) == Status::Ok);
  FUZZ_CHECK(h2.source.port == h.source.port && h2.destination.port == h.destination.port);
  FUZZ_CHECK(h2.stream == h.stream && h2.source.v6 == h.source.v6);
  for (size_t i = 0; i < again.size(); ++i) FUZZ_CHECK(again[i] == in[i]);
  return 0;
}
