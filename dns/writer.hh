// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Building messages: MessageWriter appends sections in order with name compression, and a
/// few in-place edits used on the query path (turning a query into a local answer).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dns/message.hh"
#include "dns/name.hh"

namespace ballast::dns {

/// Writes a message into `buf` (cleared first). Sections must be written in order:
/// question, answer, authority, additional. Header counts are kept up to date.
/// Names are compressed against earlier names in the message (case-insensitive match, so
/// a compressed suffix takes the spelling of its first occurrence), up to the 16383-byte
/// pointer limit. Misuse (sections out of order, a message over 65535 bytes) throws: the
/// writer builds answers from configuration and code, never from untrusted bytes alone.
class MessageWriter {
 public:
  MessageWriter(std::vector<uint8_t>& buf, uint16_t id, const Name& qname, uint16_t qtype,
                uint16_t qclass = 1);
  HeaderRef header() { return HeaderRef(buf_.data()); }

  /// Starts a record; then write its RDATA with put*(), then commit(). Throws
  /// std::logic_error on sections out of order or nested records.
  void startRecord(const Name& owner, uint16_t type, uint16_t klass, uint32_t ttl, Section s);
  void putName(const Name& n, bool compress = true);
  void putU8(uint8_t v);
  void putU16(uint16_t v);
  void putU32(uint32_t v);
  void putBytes(std::span<const uint8_t> b);
  void commit();  ///< fixes RDLENGTH and the section count

  /// Adds an OPT record to the additional section (options: already-encoded option bytes).
  void addOpt(uint16_t udpPayloadSize, bool dnssecOk, std::span<const uint8_t> options = {},
              uint8_t extendedRcode = 0, uint8_t version = 0);
  size_t size() const { return buf_.size(); }

 private:
  void requireRecord() const;
  static uint16_t bumpCount(uint16_t count);
  void append16(uint16_t v);
  void writeName(const Name& n, bool compress);
  std::optional<uint16_t> findSuffix(std::span<const uint8_t> suffix) const;

  std::vector<uint8_t>& buf_;
  std::vector<uint16_t> nameOffsets_;  // offsets of names (and their suffixes) already written
  Section section_ = Section::Question;
  size_t rdlenPos_ = 0;
  bool inRecord_ = false;
};

/// Turns the query in packet[0..len) (already parsed as `query`) into a response in place:
/// QR set, RA copied from `recursionAvailable`, rcode set, answer/authority/additional
/// dropped, the question kept, and, if the query had EDNS, an OPT record added back
/// (payload size `ednsPayload`, DO copied). Returns the new length; `capacity` is the
/// buffer's size (the result needs at most len + 11 bytes).
size_t makeResponseInPlace(uint8_t* packet, size_t len, size_t capacity, const MessageView& query,
                           uint8_t rcode, bool recursionAvailable = true,
                           uint16_t ednsPayload = 1232);

/// Truncates a response in place to header + question with TC set (dnsdist's truncateTC
/// fix-up); keeps the OPT record if present. Returns the new length.
size_t truncateToQuestion(uint8_t* packet, size_t len, size_t capacity,
                          const MessageView& response);

/// Appends an OPT record (payload `ednsPayload`, no flags, no options) to the query `query`
/// parsed from packet[0..len) when it has none. Returns the new length, or 0 when nothing
/// was added (it has one already, or `capacity` is too small).
size_t addOptIfMissing(uint8_t* packet, size_t len, size_t capacity, const MessageView& query,
                       uint16_t ednsPayload);

}  // namespace ballast::dns
