// SPDX-License-Identifier: GPL-2.0-only
// dnssec_zone_check: validates a signed zone file with this library, for tests that pit it
// against zones another implementation signed (test/integration/test_signed_hierarchy.py,
// zones from ldns-signzone). Not part of the server.
//
//   dnssec_zone_check ZONE FILE [NOW]
//
// The apex DNSKEY RRset must be signed by one of its own keys; every other signed RRset must
// verify with those keys; a made-up name must be proven not to exist, a wildcard expansion
// and a missing type proven, with the zone's NSEC or NSEC3 chain. One line per check
// ("secure|insecure|bogus WHAT WHAT [EDE reason]", two words of what); exit status 1 if anything is
// bogus.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backends/resolver/dnssec/denial.hh"
#include "backends/resolver/dnssec/validator.hh"
#include "backends/resolver/dnssec/zone_text.hh"
#include "dns/canonical.hh"
#include "dns/types.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;

namespace {

int bogusCount = 0;

void report(const Verdict& v, const std::string& what) {
  if (v.bogus()) ++bogusCount;
  std::printf("%s %s", toString(v.security), what.c_str());
  if (!v.secure()) std::printf(" %d %s", v.ede == ede::kNone ? -1 : int(v.ede), v.reason);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ZONE FILE [NOW]\n", argv[0]);
    return 2;
  }
  try {
    dns::Name zone = dns::Name::fromString(argv[1]);
    std::ifstream in(argv[2]);
    if (!in) throw std::invalid_argument(std::string(argv[2]) + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    int64_t now = argc > 3 ? std::atoll(argv[3]) : int64_t(std::time(nullptr));

    // RRsets by (owner, type) in canonical order, RRSIGs by (owner, covered type).
    std::map<std::pair<dns::Name, uint16_t>, SignedRRset> sets;
    for (auto& r : parseZoneText(ss.str(), zone)) {
      if (r.type == dns::qtype::RRSIG) {
        uint16_t covered = uint16_t(r.rdata[0] << 8 | r.rdata[1]);
        sets[{r.owner, covered}].rrsigs.push_back(r.rdata);
        continue;
      }
      SignedRRset& s = sets[{r.owner, r.type}];
      s.rrset.owner = r.owner;
      s.rrset.type = r.type;
      s.rrset.ttl = r.ttl;
      s.rrset.rdatas.push_back(r.rdata);
    }
    ValidatorOptions o;
    o.now = [now] { return now; };
    Validator v(o);
    auto apex = sets.find({zone, dns::qtype::DNSKEY});
    if (apex == sets.end()) throw std::invalid_argument("no DNSKEY at the apex");
    const RRset& keys = apex->second.rrset;
    report(v.validateDnskeys(keys, apex->second.rrsigs, {}, keys.rdatas),
           zone.toString() + " DNSKEY");

    std::vector<RRset> denial;
    for (auto& [key, s] : sets) {
      if (s.rrset.type == dns::qtype::NSEC || s.rrset.type == dns::qtype::NSEC3) {
        denial.push_back(s.rrset);
      }
    }
    for (auto& [key, s] : sets) {
      if (s.rrsigs.empty() || s.rrset.type == dns::qtype::DNSKEY) continue;  // glue, cuts
      report(v.verifyRRset(s.rrset, s.rrsigs, zone, keys.rdatas),
             s.rrset.owner.toString() + " " + dns::qtypeToString(s.rrset.type));
    }
    Denial d;
    auto below = [&](const char* label, const dns::Name& parent) {
      return dns::Name::fromString(std::string(label) +
                                   (parent.isRoot() ? "" : "." + parent.toString()));
    };
    dns::Name made = below("no-such-name-42", zone);
    report(d.nxdomain(made, zone, denial), "nxdomain " + made.toString());
    report(d.nodata(zone, dns::qtype::TLSA, zone, denial), "nodata " + zone.toString() + " TLSA");
    // A wildcard in the zone: expand it and prove the expansion.
    for (auto& [key, s] : sets) {
      if (!dns::isWildcard(s.rrset.owner) || s.rrsigs.empty() || s.rrset.type == dns::qtype::NSEC ||
          s.rrset.type == dns::qtype::NSEC3) {
        continue;
      }
      RRset expanded = s.rrset;
      expanded.owner =
          below("expanded", dns::ancestor(s.rrset.owner, s.rrset.owner.labelCount() - 1));
      RRsetInfo info;
      Verdict sig = v.verifyRRset(expanded, s.rrsigs, zone, keys.rdatas, &info);
      report(sig, "wildcard-rrsig " + expanded.owner.toString());
      if (sig.secure()) {
        report(d.wildcardAnswer(expanded.owner, info.wildcardLabels, zone, denial),
               "wildcard-proof " + expanded.owner.toString());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dnssec_zone_check: %s\n", e.what());
    return 2;
  }
  return bogusCount > 0 ? 1 : 0;
}
