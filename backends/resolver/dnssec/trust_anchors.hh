// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Trust anchors (RFC 4033 3.2): DS or DNSKEY records a validator trusts without a parent,
/// the built-in root anchors, anchor files, and negative trust anchors (RFC 7646).
/// Built at configuration time (errors throw with the file, line and reason), then
/// read-only: safe to share between resolver instances without a lock.
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "dns/name.hh"

namespace ballast::backends::resolver::dnssec {

/// The anchors of one zone.
struct TrustAnchor {
  dns::Name zone;
  std::vector<std::vector<uint8_t>> ds;       ///< DS RDATAs
  std::vector<std::vector<uint8_t>> dnskeys;  ///< DNSKEY RDATAs trusted directly
};

class TrustAnchors {
 public:
  /// The IANA root anchors: KSK-2017 (key tag 20326) and KSK-2024 (38696), as DS records
  /// with SHA-256 digests (https://data.iana.org/root-anchors/root-anchors.xml).
  /// KSK-2024 signs the root DNSKEY RRset from 2026-10-11, so both are needed.
  static TrustAnchors builtIn();

  /// Adds the DS and DNSKEY records of `text` (presentation format, one record per line
  /// or in parentheses, `;` comments: unbound's root.key and `dig DS`/`dig DNSKEY` output
  /// work). Throws std::invalid_argument("SOURCE:LINE: reason") for anything else, for a
  /// DNSKEY that is not a zone key of protocol 3, or when `text` holds no record.
  void addText(std::string_view text, std::string_view source);
  /// Reads `path` and adds its records (errors as addText, the path as source).
  void addFile(const std::string& path);

  /// The anchor of exactly `zone`, or null.
  const TrustAnchor* find(const dns::Name& zone) const;
  /// The deepest anchor at or above `name`, or null (the name is then indeterminate).
  const TrustAnchor* closest(const dns::Name& name) const;
  const std::vector<TrustAnchor>& all() const { return anchors_; }
  bool empty() const { return anchors_.empty(); }

 private:
  TrustAnchor& entry(const dns::Name& zone);
  std::vector<TrustAnchor> anchors_;
};

/// Zones below which validation is switched off (RFC 7646): answers are treated as insecure.
class NegativeTrustAnchors {
 public:
  void add(const dns::Name& zone) { zones_.insert(zone); }
  /// True when `name` is at or below one of the zones.
  bool covers(const dns::Name& name) const;
  size_t size() const { return zones_.size(); }

 private:
  std::unordered_set<dns::Name, dns::NameHash> zones_;
};

}  // namespace ballast::backends::resolver::dnssec
