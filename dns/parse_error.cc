// SPDX-License-Identifier: GPL-2.0-only
#include "dns/parse_error.hh"

namespace ballast::dns {

const char* toString(ParseError e) {
  switch (e) {
    case ParseError::None:
      return "no error";
    case ParseError::TooShort:
      return "packet too short";
    case ParseError::CompressionLoop:
      return "compression loop";
    case ParseError::ForwardPointer:
      return "forward compression pointer";
    case ParseError::LabelTooLong:
      return "label too long";
    case ParseError::NameTooLong:
      return "name too long";
    case ParseError::BadLabelType:
      return "bad label type";
    case ParseError::CountOverrun:
      return "record count overruns packet";
    case ParseError::TruncatedRdata:
      return "truncated rdata";
    case ParseError::BadOpt:
      return "malformed OPT record";
    case ParseError::MultipleOpt:
      return "more than one OPT record";
    case ParseError::TrailingData:
      return "trailing data after last record";
    case ParseError::TooLong:
      return "packet longer than 65535 bytes";
    case ParseError::PointerIntoHeader:
      return "compression pointer into header";
  }
  // Reached only if someone casts an out-of-range value into the enum.
  return "unknown parse error";
}

}  // namespace ballast::dns
