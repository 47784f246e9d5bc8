// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// An RRset as the resolver keeps it (owner, type, class, TTL, uncompressed RDATAs) and the
/// data an RRSIG signs over it (RFC 4034 3.1.8.1 and 6).
#include <cstdint>
#include <span>
#include <vector>

#include "backends/resolver/dnssec/records.hh"
#include "dns/message.hh"
#include "dns/name.hh"

namespace ballast::backends::resolver::dnssec {

struct RRset {
  dns::Name owner;
  uint16_t type = 0;
  uint16_t klass = 1;
  uint32_t ttl = 0;
  std::vector<std::vector<uint8_t>> rdatas;  ///< uncompressed (dns::canonicalRdata)
};

/// Builds into `out` (cleared first) the bytes `sig` signs over `rrset`: the RRSIG RDATA
/// without its signature (signer name lowercased), then each RR in canonical form and order:
/// owner lowercased (or `*.` plus its last sig.labels labels for a wildcard expansion), the
/// original TTL, RDATA names lowercased, duplicates dropped. False when an RDATA is malformed
/// for its type or the RRSIG claims more labels than the owner has.
bool signedData(const RRset& rrset, const RrsigView& sig, std::vector<uint8_t>& out);

/// The owner name with any leading `*` label not counted, as the RRSIG labels field counts.
size_t rrsigLabelCount(const dns::Name& owner);

/// An RRset and the RRSIGs covering it, as found in one section of a message.
struct SignedRRset {
  RRset rrset;
  std::vector<std::vector<uint8_t>> rrsigs;  ///< RRSIG RDATAs whose type covered matches
};

/// Groups the records of `section` of a parsed message into RRsets (owner, type, class) with
/// their RRSIGs, RDATA decompressed by dns::canonicalRdata. The RRset TTL is the smallest of
/// its records'. RRSIGs that cover nothing present come back as RRsets of their own with no
/// records (rdatas empty), so a caller sees signatures for absent data. OPT is skipped.
/// False if an RDATA is malformed.
bool collectRRsets(const dns::MessageView& m, dns::Section section, std::vector<SignedRRset>& out);

}  // namespace ballast::backends::resolver::dnssec
