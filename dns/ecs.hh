// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// EDNS Client Subnet (RFC 7871): reading and writing the option, and the in-place edits of
/// a message that the query path (adding the client's subnet) and the response path (taking
/// back what was added) make. No allocation; packets are edited where they lie.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/message.hh"

namespace ballast::dns {

constexpr uint16_t kEcsOptionCode = 8;
/// The largest ECS option, code and length included (an IPv6 /128).
constexpr size_t kMaxEcsOptionSize = 4 + 4 + 16;
/// The payload size of an OPT record added to carry ECS in a query that had none.
constexpr uint16_t kEcsAddedOptPayload = 512;

/// A client subnet as the option carries it. Address bits past sourcePrefix are zero.
struct ClientSubnet {
  uint16_t family = 0;  ///< IANA address family: 1 IPv4, 2 IPv6
  uint8_t sourcePrefix = 0;
  uint8_t scopePrefix = 0;
  uint8_t address[16] = {};

  /// The address bytes the option carries: the prefix rounded up to whole bytes.
  size_t addressBytes() const { return (size_t(sourcePrefix) + 7) / 8; }
  friend bool operator==(const ClientSubnet& a, const ClientSubnet& b);
};

/// The subnet of `addr` (4 or 16 bytes) cut to `prefix` bits (at most the address's).
ClientSubnet makeClientSubnet(const uint8_t* addr, size_t addrLen, uint8_t prefix);

/// Reads ECS option data (what follows the option's code and length). False when it is not
/// a valid RFC 7871 option: unknown family, a prefix longer than the family's address, an
/// address of another length than the prefix needs, or bits set past the prefix.
bool parseClientSubnet(std::span<const uint8_t> data, ClientSubnet& out);

/// Writes the whole option (code, length, data) to out[0..kMaxEcsOptionSize); returns its
/// size.
size_t writeClientSubnetOption(const ClientSubnet& s, uint8_t* out);

/// What addClientSubnet did.
enum class EcsEdit : uint8_t {
  Added,         ///< the option went into the query's OPT record
  AddedWithOpt,  ///< the query had no OPT record: one was added, carrying the option
  Replaced,      ///< the query's own ECS option was replaced (override)
  Kept,          ///< the query's own ECS option was left as it was
  NoRoom,        ///< nothing changed: the result would not fit `capacity`
};

/// Puts `option` (a whole ECS option, as writeClientSubnetOption makes it) into the parsed
/// query `m` in packet[0..len), in place. An ECS option the query already has is replaced
/// when `override`, kept otherwise. Bytes after the message (trailing data) stay after it.
/// `len` receives the new length; `m` is stale afterwards unless the edit was Kept/NoRoom.
EcsEdit addClientSubnet(uint8_t* packet, size_t& len, size_t capacity, const MessageView& m,
                        std::span<const uint8_t> option, bool override);

/// Removes every option `code` from the OPT record of the parsed message `m`, in place;
/// returns the new length (len when it had none).
size_t removeEdnsOption(uint8_t* packet, size_t len, const MessageView& m, uint16_t code);

/// Removes the OPT record of the parsed message `m`, in place; returns the new length.
size_t removeOptRecord(uint8_t* packet, size_t len, const MessageView& m);

/// The first ECS option of the parsed message `m`, if valid.
bool findClientSubnet(const MessageView& m, ClientSubnet& out);

}  // namespace ballast::dns
