// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/trust_anchors.hh"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "backends/resolver/dnssec/records.hh"
#include "backends/resolver/dnssec/zone_text.hh"
#include "dns/canonical.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver::dnssec {

namespace {

const char* const kRootAnchors =
    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
    ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

}  // namespace

TrustAnchors TrustAnchors::builtIn() {
  TrustAnchors t;
  t.addText(kRootAnchors, "built-in root anchors");
  return t;
}

TrustAnchor& TrustAnchors::entry(const dns::Name& zone) {
  for (auto& a : anchors_) {
    if (a.zone == zone) return a;
  }
  anchors_.push_back(TrustAnchor{zone, {}, {}});
  return anchors_.back();
}

void TrustAnchors::addText(std::string_view text, std::string_view source) {
  std::vector<TextRecord> records;
  try {
    records = parseZoneText(text);
  } catch (const std::invalid_argument& e) {
    // parseZoneText says "line N: reason"; make it "source:N: reason".
    std::string what = e.what();
    if (what.rfind("line ", 0) == 0) what = what.substr(5);
    throw std::invalid_argument(std::string(source) + ":" + what);
  }
  if (records.empty()) {
    throw std::invalid_argument(std::string(source) + ": no DS or DNSKEY record");
  }
  for (const auto& r : records) {
    auto fail = [&](const std::string& why) {
      throw std::invalid_argument(std::string(source) + ":" + std::to_string(r.line) + ": " + why);
    };
    if (r.klass != dns::qclass::IN) fail("trust anchors are of class IN");
    if (r.type == dns::qtype::DS) {
      DsView ds;
      if (!parseDs(r.rdata, ds)) fail("malformed DS");
      entry(r.owner.toLower()).ds.push_back(r.rdata);
    } else if (r.type == dns::qtype::DNSKEY) {
      DnskeyView key;
      if (!parseDnskey(r.rdata, key) || key.protocol != 3 || !key.zoneKey()) {
        fail("a DNSKEY anchor must be a zone key (flags 256 or 257, protocol 3)");
      }
      entry(r.owner.toLower()).dnskeys.push_back(r.rdata);
    } else {
      fail("trust anchors are DS or DNSKEY records, not " + dns::qtypeToString(r.type));
    }
  }
}

void TrustAnchors::addFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot read the trust anchor file");
  std::stringstream ss;
  ss << in.rdbuf();
  addText(ss.str(), path);
}

const TrustAnchor* TrustAnchors::find(const dns::Name& zone) const {
  for (const auto& a : anchors_) {
    if (a.zone == zone) return &a;
  }
  return nullptr;
}

const TrustAnchor* TrustAnchors::closest(const dns::Name& name) const {
  const TrustAnchor* best = nullptr;
  for (const auto& a : anchors_) {
    if (name.isPartOf(a.zone) &&
        (best == nullptr || a.zone.labelCount() > best->zone.labelCount())) {
      best = &a;
    }
  }
  return best;
}

bool NegativeTrustAnchors::covers(const dns::Name& name) const {
  if (zones_.empty()) return false;
  for (size_t n = name.labelCount() + 1; n-- > 0;) {
    if (zones_.count(dns::ancestor(name, n)) != 0) return true;
  }
  return false;
}

}  // namespace ballast::backends::resolver::dnssec
