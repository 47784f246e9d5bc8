// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/validator.hh"

#include <algorithm>
#include <ctime>

#include "backends/resolver/dnssec/crypto.hh"
#include "backends/resolver/dnssec/records.hh"
#include "dns/types.hh"

namespace ballast::backends::resolver::dnssec {

const char* toString(Security s) {
  switch (s) {
    case Security::Indeterminate:
      return "indeterminate";
    case Security::Insecure:
      return "insecure";
    case Security::Secure:
      return "secure";
    case Security::Bogus:
      return "bogus";
  }
  return "?";
}

namespace {

/// Failure reasons in increasing order of how much they tell: the best one seen is reported.
enum class Why : uint8_t {
  None,
  Malformed,
  WrongSigner,
  UnsupportedAlgorithm,
  NoKey,
  NotYetValid,
  Expired,
  BadSignature,
};

Verdict verdictFor(Why w) {
  switch (w) {
    case Why::UnsupportedAlgorithm:
      return bogus(ede::UnsupportedDnskeyAlgorithm, "no signature with a supported algorithm");
    case Why::NoKey:
      return bogus(ede::DnskeyMissing, "no zone key matches the signatures");
    case Why::NotYetValid:
      return bogus(ede::SignatureNotYetValid, "signature not yet valid");
    case Why::Expired:
      return bogus(ede::SignatureExpired, "signature expired");
    case Why::BadSignature:
      return bogus(ede::DnssecBogus, "signature does not verify");
    case Why::WrongSigner:
      return bogus(ede::DnssecBogus, "signatures by another zone or for another type");
    case Why::Malformed:
    case Why::None:
      break;
  }
  return bogus(ede::DnssecBogus, "malformed signatures");
}

}  // namespace

Validator::Validator(ValidatorOptions options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return int64_t(std::time(nullptr)); };
}

Verdict Validator::verifyRRset(const RRset& rrset, std::span<const std::vector<uint8_t>> rrsigs,
                               const dns::Name& zone, std::span<const std::vector<uint8_t>> keys,
                               RRsetInfo* info) const {
  if (rrsigs.empty()) return bogus(ede::RrsigsMissing, "no RRSIG");
  const uint32_t now = uint32_t(options_.now());
  Why best = Why::None;
  auto note = [&](Why w) { best = std::max(best, w); };
  unsigned attempts = 0;
  std::vector<uint8_t> data;
  for (const auto& sigRdata : rrsigs) {
    RrsigView sig;
    if (!parseRrsig(sigRdata, sig)) {
      note(Why::Malformed);
      continue;
    }
    // RFC 4035 5.3.1: the signer is the zone, the owner lies inside it, the type matches,
    // the labels field is not more than the owner's.
    if (sig.typeCovered != rrset.type || !(sig.signer == zone) || !rrset.owner.isPartOf(zone) ||
        sig.labels > rrsigLabelCount(rrset.owner)) {
      note(Why::WrongSigner);
      continue;
    }
    if (!algorithmSupported(sig.algorithm)) {
      note(Why::UnsupportedAlgorithm);
      continue;
    }
    if (serialBefore(now, sig.inception)) {
      note(Why::NotYetValid);
      continue;
    }
    if (serialBefore(sig.expiration, now)) {
      note(Why::Expired);
      continue;
    }
    bool haveData = false;
    bool keyFound = false;
    for (const auto& keyRdata : keys) {
      DnskeyView key;
      if (!parseDnskey(keyRdata, key) || key.algorithm != sig.algorithm || key.protocol != 3 ||
          !key.zoneKey() || key.revoked() || keyTag(keyRdata) != sig.keyTag) {
        continue;
      }
      keyFound = true;
      if (!haveData) {
        if (!signedData(rrset, sig, data)) return bogus(ede::DnssecBogus, "malformed RDATA");
        haveData = true;
      }
      if (++attempts > options_.maxVerificationsPerRRset) {
        return bogus(ede::DnssecBogus, "too many signature verifications");
      }
      if (verify(sig.algorithm, key.publicKey, data, sig.signature) == CryptoResult::Valid) {
        if (info != nullptr) {
          uint32_t left = sig.expiration - now;
          info->ttl = std::min({rrset.ttl, sig.originalTtl, left});
          info->wildcard = sig.labels < rrsigLabelCount(rrset.owner);
          info->wildcardLabels = sig.labels;
          info->algorithm = sig.algorithm;
          info->keyTag = sig.keyTag;
        }
        return secure();
      }
      note(Why::BadSignature);
    }
    if (!keyFound) note(Why::NoKey);
  }
  return verdictFor(best);
}

bool Validator::dsMatches(const dns::Name& owner, std::span<const uint8_t> dnskeyRdata,
                          std::span<const uint8_t> dsRdata) {
  DsView ds;
  DnskeyView key;
  if (!parseDs(dsRdata, ds) || !parseDnskey(dnskeyRdata, key)) return false;
  if (ds.algorithm != key.algorithm || ds.keyTag != keyTag(dnskeyRdata)) return false;
  // RFC 4034 5.1.4: digest = hash(canonical owner name | DNSKEY RDATA).
  std::vector<uint8_t> input;
  const dns::Name lower = owner.toLower();  // wire() views it: keep it alive
  auto o = lower.wire();
  input.insert(input.end(), o.begin(), o.end());
  input.insert(input.end(), dnskeyRdata.begin(), dnskeyRdata.end());
  auto d = dsDigest(ds.digestType, input);
  return !d.empty() && std::equal(d.begin(), d.end(), ds.digest.begin(), ds.digest.end());
}

Verdict Validator::validateDnskeys(const RRset& dnskeys,
                                   std::span<const std::vector<uint8_t>> rrsigs,
                                   std::span<const std::vector<uint8_t>> dsRdatas,
                                   std::span<const std::vector<uint8_t>> anchorKeys,
                                   RRsetInfo* info) const {
  // Which DS records we can use: supported algorithm and digest; SHA-1 only if allowed and
  // no SHA-256/384 DS is offered (RFC 4509 3: a downgrade to SHA-1 must not work).
  bool strongerDigest = false, anyDs = false, algOk = false, digestOk = false;
  for (const auto& r : dsRdatas) {
    DsView ds;
    if (!parseDs(r, ds)) continue;
    anyDs = true;
    if (algorithmSupported(ds.algorithm)) algOk = true;
    if (digestSupported(ds.digestType)) digestOk = true;
    if (algorithmSupported(ds.algorithm) &&
        (ds.digestType == digest::Sha256 || ds.digestType == digest::Sha384)) {
      strongerDigest = true;
    }
  }
  auto usable = [&](const DsView& ds) {
    if (!algorithmSupported(ds.algorithm) || !digestSupported(ds.digestType)) return false;
    if (ds.digestType == digest::Sha1) return options_.acceptSha1Ds && !strongerDigest;
    return true;
  };
  bool anyUsable = !anchorKeys.empty();
  for (const auto& r : dsRdatas) {
    DsView ds;
    if (parseDs(r, ds) && usable(ds)) anyUsable = true;
  }
  if (!anyUsable) {
    // RFC 4035 5.2: a DS set with no algorithm or digest we implement makes the zone insecure.
    if (anyDs && !algOk)
      return insecure(ede::UnsupportedDnskeyAlgorithm, "DS algorithms unsupported");
    if (anyDs && !digestOk)
      return insecure(ede::UnsupportedDsDigestType, "DS digest types unsupported");
    if (anyDs) return insecure(ede::UnsupportedDsDigestType, "only SHA-1 DS, not accepted");
    return bogus(ede::DnskeyMissing, "no DS and no trust anchor");
  }
  // The keys a DS (or the anchor) vouches for. Digests are computed only for a DS whose tag
  // and algorithm match the key, and at most maxDsDigests times: keys and DS records with
  // colliding tags must not buy an attacker unbounded hashing.
  std::vector<std::vector<uint8_t>> trusted;
  unsigned digests = 0;
  for (const auto& keyRdata : dnskeys.rdatas) {
    DnskeyView key;
    if (!parseDnskey(keyRdata, key) || !key.zoneKey() || key.revoked() || key.protocol != 3) {
      continue;
    }
    bool ok = std::find(anchorKeys.begin(), anchorKeys.end(), keyRdata) != anchorKeys.end();
    const uint16_t tag = keyTag(keyRdata);
    for (const auto& r : dsRdatas) {
      DsView ds;
      if (ok) break;
      if (!parseDs(r, ds) || !usable(ds) || ds.keyTag != tag || ds.algorithm != key.algorithm) {
        continue;
      }
      if (++digests > options_.maxDsDigests) {
        return bogus(ede::DnssecBogus, "too many DS digest computations");
      }
      ok = dsMatches(dnskeys.owner, keyRdata, r);
    }
    if (ok) trusted.push_back(keyRdata);
  }
  if (trusted.empty()) return bogus(ede::DnskeyMissing, "no DNSKEY matches the DS set");
  return verifyRRset(dnskeys, rrsigs, dnskeys.owner, trusted, info);
}

}  // namespace ballast::backends::resolver::dnssec
