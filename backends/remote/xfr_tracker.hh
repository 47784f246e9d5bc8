// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Where a zone transfer stands, from the response messages a server sends for it: an AXFR
/// ends with the record after the first that is an SOA (the zone's closing SOA); an IXFR
/// (RFC 1995) ends with its lone SOA when the client is current, with the second SOA of the
/// server's serial when the answer is a full zone, and with the third when it is a list of
/// differences (opening SOA, each difference's deletion and addition SOAs, the last
/// addition's being the server's serial, then the closing SOA). The messages come from
/// the server unchecked: anything malformed ends the transfer as failed.
///
/// TcpClient feeds it each message of a transfer it relays to a DNS-over-TCP/TLS client.
#include <cstdint>
#include <span>

namespace ballast::backends::remote {

class XfrTracker {
 public:
  enum class State : uint8_t {
    More,    ///< relay the message and wait for the next
    Done,    ///< relay the message: the transfer is complete
    Failed,  ///< malformed, an error rcode, or not a transfer: relay it and stop
  };
  /// `qtype` is the query's: AXFR (252) or IXFR (251).
  explicit XfrTracker(uint16_t qtype) : qtype_(qtype) {}
  /// One whole DNS message (no length prefix) of the transfer, in the order received.
  State feed(std::span<const uint8_t> message);
  State state() const { return state_; }
  uint32_t messages() const { return messages_; }
  uint64_t records() const { return records_; }
  uint32_t serial() const { return serial_; }  ///< the opening SOA's, once seen

 private:
  /// One answer record; `soa`/`soaSerial` when it is an SOA.
  State record(bool soa, uint32_t soaSerial);

  uint16_t qtype_;
  State state_ = State::More;
  uint32_t messages_ = 0;
  uint64_t records_ = 0;
  uint32_t serial_ = 0;
  uint32_t serialSeen_ = 0;  ///< SOAs with the opening serial so far
  bool incremental_ = false;  ///< IXFR: the second record is an SOA (a list of differences)
};

}  // namespace ballast::backends::remote
