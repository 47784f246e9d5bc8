// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// In-place parsing of a whole DNS message: nothing is copied, every view points into
/// the caller's packet, which must outlive the MessageView.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/header.hh"
#include "dns/name.hh"
#include "dns/parse_error.hh"

namespace ballast::dns {

enum class Section : uint8_t { Question = 0, Answer = 1, Authority = 2, Additional = 3 };

struct Question {
  NameRef name;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
};

struct RecordView {
  NameRef name;
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  uint16_t offset = 0;     ///< where the record (its owner name) starts
  uint16_t ttlOffset = 0;  ///< where the 4 TTL bytes are, for in-place TTL rewriting
  uint16_t rdataOffset = 0;
  uint16_t rdataLength = 0;
  Section section = Section::Answer;
};

/// EDNS(0) from the OPT pseudo-record (RFC 6891).
struct Edns {
  bool present = false;
  uint16_t udpPayloadSize = 0;
  uint8_t extendedRcode = 0;  ///< upper 8 bits of the 12-bit rcode
  uint8_t version = 0;
  bool dnssecOk = false;
  uint16_t flags = 0;          ///< the 16 flag bits (DO is the top one)
  uint16_t recordOffset = 0;   ///< start of the OPT record
  uint16_t optionsOffset = 0;  ///< start of its RDATA (the options)
  uint16_t optionsLength = 0;
};

/// Calls fn(code, data) for each EDNS option in `options`; returns ParseError::BadOpt if
/// an option runs past the end (options already visited stay visited).
template <typename Fn>
ParseError forEachEdnsOption(std::span<const uint8_t> options, Fn&& fn) {
  size_t o = 0;
  while (o < options.size()) {
    if (options.size() - o < 4) return ParseError::BadOpt;
    uint16_t code = uint16_t((options[o] << 8) | options[o + 1]);
    uint16_t len = uint16_t((options[o + 2] << 8) | options[o + 3]);
    o += 4;
    if (options.size() - o < len) return ParseError::BadOpt;
    fn(code, options.subspan(o, len));
    o += len;
  }
  return ParseError::None;
}

class RecordIterator;

/// Stricter checks a caller can ask parse() for.
struct ParseOptions {
  bool rejectTrailingData = false;  ///< report ParseError::TrailingData after the last record
};

/// A validated message. parse() walks every record once, checking names, counts, RDATA
/// lengths and the OPT record; afterwards every accessor is safe as long as the packet
/// bytes are not changed (an in-place edit such as makeResponseInPlace needs a new parse).
class MessageView {
 public:
  /// Rejects with a reason; `out` is meaningful only on ParseError::None. Questions other
  /// than the first are validated but only the first is kept (qdcount > 1 is legal here;
  /// policy on it belongs to the caller).
  /// The counts in the header are trusted only as far as the packet backs them: a count
  /// with nothing left to read is CountOverrun, a record cut short is TooShort or
  /// TruncatedRdata. Packets over 65535 bytes are TooLong. Never allocates.
  static ParseError parse(std::span<const uint8_t> packet, MessageView& out);
  static ParseError parse(std::span<const uint8_t> packet, MessageView& out,
                          const ParseOptions& options);

  std::span<const uint8_t> packet() const { return packet_; }
  HeaderView header() const { return HeaderView(packet_.data()); }
  bool hasQuestion() const { return header().qdcount() > 0; }
  const Question& question() const { return question_; }  ///< first question
  size_t questionEnd() const { return questionEnd_; }     ///< offset after the question section
  size_t messageEnd() const { return messageEnd_; }       ///< offset after the last record
  const Edns& edns() const { return edns_; }
  std::span<const uint8_t> ednsOptions() const {
    return packet_.subspan(edns_.optionsOffset, edns_.optionsLength);
  }
  /// Every record of the answer, authority and additional sections (OPT included), in order.
  RecordIterator begin() const;
  RecordIterator end() const;

 private:
  std::span<const uint8_t> packet_;
  Question question_;
  Edns edns_;
  uint16_t questionEnd_ = 0;
  uint16_t messageEnd_ = 0;
  uint32_t recordCount_ = 0;
  friend class RecordIterator;
};

/// Forward iterator over the records of a parsed message (re-reads the validated packet).
class RecordIterator {
 public:
  RecordIterator(const MessageView* m, uint32_t index, uint16_t offset);
  const RecordView& operator*() const { return current_; }
  const RecordView* operator->() const { return &current_; }
  RecordIterator& operator++();
  bool operator==(const RecordIterator& o) const { return index_ == o.index_; }
  bool operator!=(const RecordIterator& o) const { return index_ != o.index_; }

 private:
  void load();
  const MessageView* msg_;
  uint32_t index_;
  uint16_t offset_;
  RecordView current_;
};

}  // namespace ballast::dns
