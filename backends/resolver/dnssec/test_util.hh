// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Test-only helpers: RRsets and RDATA from presentation-format text.
#include <string>
#include <string_view>
#include <vector>

#include "backends/resolver/dnssec/result.hh"
#include "backends/resolver/dnssec/rrset.hh"
#include "backends/resolver/dnssec/zone_text.hh"

namespace ballast::backends::resolver::dnssec::testing {

/// The state of a verdict as text: doctest prints operands through an unqualified toString(),
/// which finds dnssec::toString(Security) returning const char* and does not compile.
inline std::string state(const Verdict& v) {
  return toString(v.security);
}

/// The RRset of every record of `text` (all must share owner, type and class).
inline RRset rrsetOf(std::string_view text) {
  RRset s;
  auto recs = parseZoneText(text);
  s.owner = recs.at(0).owner;
  s.type = recs.at(0).type;
  s.klass = recs.at(0).klass;
  s.ttl = recs.at(0).ttl;
  for (auto& r : recs) s.rdatas.push_back(r.rdata);
  return s;
}

/// The RDATAs of every record of `text`.
inline std::vector<std::vector<uint8_t>> rdatasOf(std::string_view text) {
  std::vector<std::vector<uint8_t>> out;
  for (auto& r : parseZoneText(text)) out.push_back(r.rdata);
  return out;
}

}  // namespace ballast::backends::resolver::dnssec::testing

// ---- Signing, for tests that need signatures the RFCs do not publish ----
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "backends/resolver/dnssec/records.hh"

namespace ballast::backends::resolver::dnssec::testing {

/// An Ed25519 zone key made for the test, which signs RRsets.
class TestKey {
 public:
  explicit TestKey(uint16_t flags = 257) : flags_(flags) {
    EVP_PKEY* k = nullptr;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &k) <= 0) {
      throw std::runtime_error("keygen");
    }
    key_.reset(k);
  }
  /// DNSKEY RDATA: flags, protocol 3, algorithm 15, the raw public key.
  std::vector<uint8_t> dnskey() const {
    std::vector<uint8_t> r = {uint8_t(flags_ >> 8), uint8_t(flags_), 3, alg::Ed25519};
    uint8_t pub[32];
    size_t len = sizeof pub;
    EVP_PKEY_get_raw_public_key(key_.get(), pub, &len);
    r.insert(r.end(), pub, pub + len);
    return r;
  }
  uint16_t tag() const { return keyTag(dnskey()); }
  /// An RRSIG RDATA over `rrset` by this key for `signer`, labels from the owner unless given.
  std::vector<uint8_t> sign(const RRset& rrset, const dns::Name& signer, uint32_t inception,
                            uint32_t expiration, int labels = -1, int originalTtl = -1) const {
    std::vector<uint8_t> r;
    auto p16 = [&](uint16_t v) {
      r.push_back(uint8_t(v >> 8));
      r.push_back(uint8_t(v));
    };
    auto p32 = [&](uint32_t v) {
      p16(uint16_t(v >> 16));
      p16(uint16_t(v));
    };
    p16(rrset.type);
    r.push_back(alg::Ed25519);
    r.push_back(uint8_t(labels >= 0 ? labels : int(rrsigLabelCount(rrset.owner))));
    p32(originalTtl >= 0 ? uint32_t(originalTtl) : rrset.ttl);
    p32(expiration);
    p32(inception);
    p16(tag());
    auto s = signer.wire();
    r.insert(r.end(), s.begin(), s.end());
    r.push_back(0);  // a placeholder signature byte so the RDATA parses
    RrsigView view;
    if (!parseRrsig(r, view)) throw std::runtime_error("rrsig");
    std::vector<uint8_t> data;
    if (!signedData(rrset, view, data)) throw std::runtime_error("signedData");
    r.pop_back();
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    uint8_t sig[64];
    size_t sigLen = sizeof sig;
    if (EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key_.get()) <= 0 ||
        EVP_DigestSign(md.get(), sig, &sigLen, data.data(), data.size()) <= 0) {
      throw std::runtime_error("sign");
    }
    r.insert(r.end(), sig, sig + sigLen);
    return r;
  }

 private:
  struct Free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  };
  uint16_t flags_;
  std::unique_ptr<EVP_PKEY, Free> key_;
};

}  // namespace ballast::backends::resolver::dnssec::testing
