// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// DNSSEC canonical forms (RFC 4034 section 6, as amended by RFC 6840 5.1): names lowercased
/// inside RDATA, and the name arithmetic denial proofs need (ancestors, wildcards, ordering).
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/name.hh"

namespace ballast::dns {

/// Lowercases, in place, the domain names embedded in an uncompressed RDATA of `type`, for
/// the types RFC 4034 6.2 lists (NSEC excluded per RFC 6840 5.1): NS, MD, MF, CNAME, SOA,
/// MB, MG, MR, PTR, MINFO, MX, RP, AFSDB, RT, SIG, PX, NXT, NAPTR, KX, SRV, DNAME, RRSIG.
/// Other types are left as they are. False when a name runs past the RDATA.
bool lowercaseRdataNames(uint16_t type, std::span<uint8_t> rdata);

/// The last `labels` labels of `name` (its ancestor with that many labels; the root for 0).
/// `labels` above the name's count returns the name itself.
Name ancestor(const Name& name, size_t labels);

/// `*.` prepended to `name`; false if the result would exceed 255 bytes.
bool wildcardOf(const Name& name, Name& out);

/// True when the first label of `name` is `*`.
bool isWildcard(const Name& name);

/// Three-way canonical comparison (RFC 4034 6.1): negative, zero or positive.
int canonicalCompare(const Name& a, const Name& b);

/// Number of labels `a` and `b` share from the right (case-insensitive).
size_t commonLabels(const Name& a, const Name& b);

}  // namespace ballast::dns
