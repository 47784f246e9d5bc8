// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// SVCB/HTTPS record data (RFC 9460) for SpoofSVCAction: dnsdist's SVCRecordParameters and
/// their wire format.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hh"
#include "dns/name.hh"

namespace ballast::core::rules {

/// The SvcParamKeys RFC 9460 names.
namespace svckey {
inline constexpr uint16_t kMandatory = 0, kAlpn = 1, kNoDefaultAlpn = 2, kPort = 3, kIpv4Hint = 4,
                          kEch = 5, kIpv6Hint = 6;
}

/// "mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint" or
/// "keyNNNNN" (0 to 65534); throws std::invalid_argument otherwise.
uint16_t svcKeyFromName(std::string_view name);

struct SvcParams {
  uint16_t priority = 0;  ///< 0: alias mode
  dns::Name target;
  std::vector<uint16_t> mandatory;
  std::vector<std::string> alpn;
  bool noDefaultAlpn = false;
  std::optional<uint16_t> port;
  std::vector<Address> ipv4hint, ipv6hint;
  std::optional<std::string> ech;
  std::map<uint16_t, std::string> other;  ///< keyNNNN = raw value
};

/// The RDATA: priority, target (uncompressed), then the parameters in increasing key order
/// (mandatory's keys sorted too), each key, length, value. Throws std::invalid_argument when
/// a value does not fit in 65535 bytes or the whole in one record.
std::string svcRdata(const SvcParams& p);

}  // namespace ballast::core::rules
