// SPDX-License-Identifier: GPL-2.0-only
#pragma once
#include <cstdint>

namespace ballast::dns {

/// Why a packet was rejected. The parser never throws; it returns one of these.
enum class ParseError : uint8_t {
  None = 0,
  TooShort,           ///< shorter than a header, or a field runs past the end
  CompressionLoop,    ///< a pointer chain revisits bytes (a name reached through a pointer
                      ///< runs into that pointer) or exceeds the hop bound
  ForwardPointer,     ///< a compression pointer points at or after its own position
  LabelTooLong,       ///< a label length byte of 64..127 (also how the obsolete 0x40 type reads)
  NameTooLong,        ///< a name over 255 bytes once decompressed
  BadLabelType,       ///< label type bits 10 (0x80..0xbf, reserved)
  CountOverrun,       ///< header counts claim more records than the packet holds
  TruncatedRdata,     ///< RDLENGTH runs past the end of the packet
  BadOpt,             ///< OPT record malformed: not root owner, outside additional, bad options
  MultipleOpt,        ///< more than one OPT record
  TrailingData,       ///< bytes after the last record (only reported when asked)
  TooLong,            ///< over 65535 bytes: no DNS transport carries that, offsets are 16-bit
  PointerIntoHeader,  ///< a compression pointer into the 12-byte header, which holds no name
};

/// Short English reason, e.g. "compression loop".
const char* toString(ParseError e);

}  // namespace ballast::dns
