// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The PROXY protocol version 2 header (haproxy's proxy-protocol.txt): the binary prefix
/// a proxy puts before a client's bytes to say who the client was, and which ballast puts
/// before its queries to a backend with useProxyProtocol. Only version 2 (the binary form)
/// is spoken. Parsing is bounded by the caller's buffer and a maximum size, allocates
/// nothing, and never throws; writing appends to a vector.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ballast::dns::proxy {

/// The 12 bytes every version 2 header starts with.
inline constexpr uint8_t kSignature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                           0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
/// Signature, version/command, family/transport and the 16-bit length of what follows.
inline constexpr size_t kFixedSize = 16;

enum class Command : uint8_t { Local = 0, Proxy = 1 };

/// One address of the header: 4 or 16 bytes and a port (host order).
struct Endpoint {
  bool v6 = false;
  uint8_t addr[16] = {};
  uint16_t port = 0;
};

/// A type-length-value entry (dnsdist's "proxy protocol values").
struct Value {
  uint8_t type = 0;
  std::string content;
  friend bool operator==(const Value&, const Value&) = default;
};

enum class Status : uint8_t {
  Ok,
  Incomplete,  ///< a valid prefix: more bytes are needed (streams only)
  BadSignature,
  BadVersion,  ///< not version 2, or a command other than LOCAL and PROXY
  BadFamily,   ///< PROXY with UNSPEC or UNIX, or an unknown family or transport
  TooLarge,    ///< the header is larger than the allowed maximum
  BadLength,   ///< the length is too short for the addresses it announces
  BadTlv,      ///< a TLV runs past the end of the header
};
const char* describe(Status s);

/// A parsed header. `tlvs` points into the caller's buffer.
struct Header {
  Command command = Command::Local;
  bool stream = false;           ///< transport STREAM (else DGRAM, or UNSPEC for LOCAL)
  Endpoint source, destination;  ///< set for PROXY only
  std::span<const uint8_t> tlvs;
  size_t size = 0;  ///< bytes the header takes, from the signature to its last TLV
};

/// Parses the header at the start of `data`, at most `maxSize` bytes in all. Ok: `out`
/// holds it; Incomplete: `data` is a valid beginning of a header not yet whole; else the
/// reason it is not a valid header.
Status parse(std::span<const uint8_t> data, size_t maxSize, Header& out);

/// Calls f(type, content) for each TLV of a parsed header's `tlvs` (checked by parse).
template <class F>
void forEachValue(std::span<const uint8_t> tlvs, F&& f) {
  size_t p = 0;
  while (p + 3 <= tlvs.size()) {
    size_t len = size_t(tlvs[p + 1]) << 8 | tlvs[p + 2];
    f(tlvs[p], std::span<const uint8_t>(tlvs.data() + p + 3, len));
    p += 3 + len;
  }
}

/// Appends the header's TLVs to `out`.
void appendValues(std::span<const uint8_t> tlvs, std::vector<Value>& out);

/// Appends a PROXY header (source and destination of the same family; when they differ,
/// the destination is written as the unspecified address of the source's family, with its
/// port) with
/// `values`, or a LOCAL header with no address when `source` is null. Throws
/// std::length_error when the values do not fit in the 16-bit length.
void write(std::vector<uint8_t>& out, const Endpoint* source, const Endpoint* destination,
           bool stream, std::span<const Value> values);

}  // namespace ballast::dns::proxy
