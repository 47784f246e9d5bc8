// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for the dns/ wire parser and writer. Besides "no crash, no UB", it checks the
// invariants other components rely on: every name a parse accepted decompresses, prints and
// reads back to an equal name with an equal hash; what the writer builds from a parsed
// message parses again; the in-place edits leave a packet that parses.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include "test/fuzz/fuzz_check.hh"

#include "dns/message.hh"
#include "dns/name.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

using namespace ballast::dns;

namespace {

// Names readName() accepts must survive every conversion unchanged.
void checkName(std::span<const uint8_t> pkt, size_t offset) {
  NameRef ref(pkt, uint16_t(offset));
  uint8_t wire[kMaxNameLength];
  size_t len = ref.decompress(wire);
  FUZZ_CHECK(len >= 1 && len <= kMaxNameLength);
  Name name = Name::fromWire({wire, len});
  FUZZ_CHECK(ref.equals(name));
  FUZZ_CHECK(ref.hash() == name.hash());
  FUZZ_CHECK(ref.labelCount() == name.labelCount());
  FUZZ_CHECK(ref.toName() == name);
  Name back = Name::fromString(ref.toString());
  FUZZ_CHECK(back == name);
  FUZZ_CHECK(back.hash() == name.hash());
  FUZZ_CHECK(name.isPartOf(Name()));
  FUZZ_CHECK(!(name < back) && !(back < name));
}

// Names in RDATA are not validated by parse(); the types below carry them at known places.
void checkRdataNames(std::span<const uint8_t> pkt, const RecordView& r) {
  size_t at = r.rdataOffset;
  switch (r.type) {
    case qtype::MX:
      at += 2;
      [[fallthrough]];
    case qtype::NS:
    case qtype::CNAME:
    case qtype::PTR:
    case qtype::DNAME:
    case qtype::SOA: {
      auto rdata = pkt.first(size_t(r.rdataOffset) + r.rdataLength);
      size_t o = at;
      if (o < rdata.size() && readName(rdata, o) == ParseError::None) checkName(rdata, at);
      break;
    }
    default:
      break;
  }
}

void checkWriterCopy(const MessageView& m) {
  const Question& q = m.question();
  std::vector<uint8_t> out;
  MessageWriter w(out, m.header().id(), q.name.toName(), q.qtype, q.qclass);
  size_t records = 0;
  try {
    for (const RecordView& r : m) {
      auto rdata = m.packet().subspan(r.rdataOffset, r.rdataLength);
      if (r.type == qtype::OPT) {
        w.addOpt(r.klass, m.edns().dnssecOk, rdata, m.edns().extendedRcode, m.edns().version);
      } else {
        w.startRecord(r.name.toName(), r.type, r.klass, r.ttl, r.section);
        w.putBytes(rdata);
        w.commit();
      }
      ++records;
    }
  } catch (const std::length_error&) {
    return;  // the copy compressed worse than the input and outgrew 65535 bytes
  }
  MessageView c;
  FUZZ_CHECK(MessageView::parse(out, c, ParseOptions{.rejectTrailingData = true}) ==
             ParseError::None);
  FUZZ_CHECK(c.question().name.equals(q.name));
  FUZZ_CHECK(c.question().qtype == q.qtype);
  FUZZ_CHECK(c.edns().present == m.edns().present);
  auto orig = m.begin();
  for (const RecordView& r : c) {
    FUZZ_CHECK(r.name.equals(orig->name));
    FUZZ_CHECK(r.type == orig->type && r.rdataLength == orig->rdataLength);
    ++orig;
    --records;
  }
  FUZZ_CHECK(records == 0);
}

void checkInPlaceEdits(const MessageView& m) {
  const auto pkt = m.packet();
  std::vector<uint8_t> copy(pkt.begin(), pkt.end());
  copy.resize(pkt.size() + 64);
  MessageView q;
  FUZZ_CHECK(MessageView::parse({copy.data(), pkt.size()}, q) == ParseError::None);
  size_t n = makeResponseInPlace(copy.data(), pkt.size(), copy.size(), q, rcode::Refused);
  FUZZ_CHECK(n <= pkt.size() + 11);
  MessageView r;
  FUZZ_CHECK(MessageView::parse({copy.data(), n}, r) == ParseError::None);
  FUZZ_CHECK(r.header().qr() && r.header().rcode() == rcode::Refused);
  FUZZ_CHECK(r.edns().present == m.edns().present);
  if (m.hasQuestion()) FUZZ_CHECK(r.question().name.equals(m.question().name));

  std::vector<uint8_t> copy2(pkt.begin(), pkt.end());
  MessageView t;
  FUZZ_CHECK(MessageView::parse(copy2, t) == ParseError::None);
  n = truncateToQuestion(copy2.data(), copy2.size(), copy2.size(), t);
  FUZZ_CHECK(n <= pkt.size());
  FUZZ_CHECK(MessageView::parse({copy2.data(), n}, r) == ParseError::None);
  FUZZ_CHECK(r.header().tc());
  FUZZ_CHECK(r.edns().present == m.edns().present);
  FUZZ_CHECK(r.edns().optionsLength == m.edns().optionsLength);
}

// The presentation-format readers are configuration-time code, but they read operator
// input and run in the console, so they get the same bytes as text.
void checkText(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size < 1024 ? size : 1024);
  try {
    Name n = Name::fromString(text);
    Name back = Name::fromString(n.toString());
    FUZZ_CHECK(back == n);
    FUZZ_CHECK(std::memcmp(back.wire().data(), n.wire().data(), n.wireLength()) == 0);
  } catch (const std::invalid_argument&) {
  }
  if (auto t = qtypeFromString(text)) FUZZ_CHECK(qtypeFromString(qtypeToString(*t)) == t);
  if (auto c = qclassFromString(text)) FUZZ_CHECK(qclassFromString(qclassToString(*c)) == c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> pkt(data, size);
  checkText(data, size);

  // readName straight on the first offsets, so name decoding is exercised even when the
  // packet as a whole is rejected early.
  for (size_t off = 0; off < size && off < 64; ++off) {
    size_t o = off;
    uint8_t wire[kMaxNameLength];
    size_t len = 0;
    if (readName(pkt, o, wire, &len) != ParseError::None) continue;
    FUZZ_CHECK(o > off && o <= size);
    FUZZ_CHECK(NameRef(pkt, uint16_t(off)).inPacketLength() == o - off);
    checkName(pkt, off);
  }

  MessageView m;
  const ParseError e = MessageView::parse(pkt, m);
  FUZZ_CHECK(toString(e) != nullptr);
  if (e != ParseError::None) return 0;

  FUZZ_CHECK(m.questionEnd() <= m.messageEnd() && m.messageEnd() <= size);
  if (m.hasQuestion()) {
    checkName(pkt, m.question().name.offset());
    (void)qtypeToString(m.question().qtype);
    (void)qclassToString(m.question().qclass);
  }
  size_t seenOpt = 0;
  for (const RecordView& r : m) {
    FUZZ_CHECK(size_t(r.rdataOffset) + r.rdataLength <= m.messageEnd());
    checkName(pkt, r.offset);
    checkRdataNames(pkt, r);
    (void)qtypeToString(r.type);
    seenOpt += r.type == qtype::OPT ? 1 : 0;
  }
  FUZZ_CHECK(seenOpt == (m.edns().present ? 1u : 0u));
  if (m.edns().present) {
    FUZZ_CHECK(forEachEdnsOption(m.ednsOptions(), [](uint16_t, std::span<const uint8_t>) {}) ==
               ParseError::None);
  }
  (void)rcodeToString(m.header().rcode());

  if (m.hasQuestion()) checkWriterCopy(m);
  checkInPlaceEdits(m);
  return 0;
}
