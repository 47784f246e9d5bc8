// SPDX-License-Identifier: GPL-2.0-only
#pragma once
#include <cstdint>

namespace ballast::dns {

/// Why a packet was rejected. The parser never throws; it returns one of these.
enum class ParseError : uint8_t {
  None = 0,
  TooShort,         ///< shorter than a header, or a field runs past the end
  CompressionLoop,  ///< a pointer chain revisits itself or exceeds the hop bound
  ForwardPointer,   ///< a compression pointer points at or after its own position
  LabelTooLong,     ///< a label over 63 bytes
  NameTooLong,      ///< a name over 255 bytes once decompressed
  BadLabelType,     ///< label type 0x40 or 0x80 (extended/reserved)
  CountOverrun,     ///< header counts claim more records than the packet holds
  TruncatedRdata,   ///< RDLENGTH runs past the end of the packet
  BadOpt,           ///< OPT record malformed: not root owner, outside additional, bad options
  MultipleOpt,      ///< more than one OPT record
  TrailingData,     ///< bytes after the last record (only reported when asked)
};

/// Short English reason, e.g. "compression loop".
const char* toString(ParseError e);

}  // namespace ballast::dns
