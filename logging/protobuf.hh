// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The two message formats of remote logging, written by hand from their published field
/// numbers: PowerDNS's PBDNSMessage (dnsmessage.proto, what newRemoteLogger receivers read)
/// and dnstap's Dnstap/Message (dnstap.proto, inside Frame Streams). The protobuf wire
/// format needed here is small: varints, fixed32 and length-delimited fields.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hh"

namespace ballast::logging {

/// Appends protobuf fields to a string.
class PbWriter {
 public:
  explicit PbWriter(std::string& out) : out_(out) {}
  void varint(uint32_t field, uint64_t v);
  void fixed32(uint32_t field, uint32_t v);
  void bytes(uint32_t field, std::string_view v);
  /// A nested message written in place: begin() returns its mark, end(mark) writes its length
  /// (one byte reserved; a longer length moves the body, which is rare for these messages).
  size_t begin(uint32_t field);
  void end(size_t mark);

 private:
  void rawVarint(uint64_t v);
  std::string& out_;
};

/// How the client reached us (the SocketProtocol values both formats share).
enum class Transport : uint8_t { Udp = 1, Tcp = 2, Dot = 3, Doh = 4 };

/// One PBDNSMessage (type DNSQueryType or DNSResponseType) as ballast fills it: what
/// DNSDistProtoBufMessage's setters change before it is encoded.
struct PbMessage {
  struct RR {
    std::string name;  ///< with its trailing dot
    uint16_t type = 0, qclass = 1;
    uint32_t ttl = 0;
    std::string rdata;  ///< A/AAAA: address bytes; CNAME: the target's text
  };
  bool response = false;
  std::array<uint8_t, 16> messageId{};
  std::string serverIdentity;  ///< not sent when empty
  core::Address from, to;
  Transport transport = Transport::Udp;
  uint64_t inBytes = 0;
  uint32_t timeSec = 0, timeUsec = 0;
  uint16_t id = 0;
  std::string qname;
  uint16_t qtype = 0, qclass = 1;
  std::optional<uint32_t> rcode;
  std::vector<RR> rrs;
  std::vector<std::string> tags;
  uint32_t queryTimeSec = 0, queryTimeUsec = 0;
  /// setEDNSSubnet: the subnet's address bytes, sent as originalRequestorSubnet.
  std::string ednsSubnet;

  /// The encoded message (without the 2-byte length the TCP stream puts before it), written
  /// over `out` (a buffer the caller reuses).
  void encode(std::string& out) const;
  std::string encode() const {
    std::string out;
    encode(out);
    return out;
  }
  /// A readable summary, for DNSDistProtoBufMessage:toDebugString().
  std::string debugString() const;
};

/// dnstap Message types ballast sends (CLIENT_QUERY, CLIENT_RESPONSE).
enum class DnstapType : uint8_t { ClientQuery = 5, ClientResponse = 6 };

/// One Dnstap frame of type MESSAGE.
struct DnstapMessage {
  std::string identity;
  std::string version;
  std::string extra;  ///< DnstapMessage:setExtra; not sent when empty
  DnstapType type = DnstapType::ClientQuery;
  Transport transport = Transport::Udp;
  core::Address requestor, responder;
  /// Wall-clock times; a response message carries both, a query message its own only.
  int64_t queryTimeSec = 0;
  uint32_t queryTimeNsec = 0;
  std::optional<std::pair<int64_t, uint32_t>> responseTime;
  std::string packet;  ///< query_message or response_message, by the packet's QR bit

  void encode(std::string& out) const;
  std::string encode() const {
    std::string out;
    encode(out);
    return out;
  }
};

/// A random (version 4) UUID, as the messageId of a log message.
std::array<uint8_t, 16> randomUuid();

}  // namespace ballast::logging
