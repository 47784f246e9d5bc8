// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What validation concluded (RFC 4033 5 / RFC 4035 4.3) and the Extended DNS Error
/// (RFC 8914) a bogus or insecure answer carries to the client.
#include <cstdint>

namespace ballast::backends::resolver::dnssec {

/// RFC 4035 4.3 security states.
enum class Security : uint8_t {
  Indeterminate,  ///< no trust anchor covers the data: nothing to say
  Insecure,       ///< provably unsigned (or unsupported algorithms, opt-out, NTA)
  Secure,         ///< a chain of trust from an anchor verifies it
  Bogus,          ///< should verify and does not: answer SERVFAIL
};

const char* toString(Security s);

/// Extended DNS Error info codes (RFC 8914 4, RFC 9276 for 27).
namespace ede {
constexpr uint16_t kNone = 0xffff;  ///< no EDE to attach
constexpr uint16_t Other = 0, UnsupportedDnskeyAlgorithm = 1, UnsupportedDsDigestType = 2,
                   DnssecIndeterminate = 5, DnssecBogus = 6, SignatureExpired = 7,
                   SignatureNotYetValid = 8, DnskeyMissing = 9, RrsigsMissing = 10,
                   NoZoneKeyBitSet = 11, NsecMissing = 12, UnsupportedNsec3Iterations = 27;
}  // namespace ede

/// A security state, the EDE code that explains it, and a static reason for logs and traces.
struct Verdict {
  Security security = Security::Indeterminate;
  uint16_t ede = ede::kNone;
  const char* reason = "";

  bool secure() const { return security == Security::Secure; }
  bool bogus() const { return security == Security::Bogus; }
};

inline Verdict secure(const char* why = "verified") {
  return {Security::Secure, ede::kNone, why};
}
inline Verdict insecure(uint16_t code, const char* why) {
  return {Security::Insecure, code, why};
}
inline Verdict bogus(uint16_t code, const char* why) {
  return {Security::Bogus, code, why};
}

/// The state of an answer made of several parts (RRsets, proofs): bogus if any part is,
/// else insecure if any is, else indeterminate if any is, else secure. The first part with
/// the worst state gives its EDE and reason.
inline Verdict worst(const Verdict& a, const Verdict& b) {
  auto rank = [](Security s) {
    switch (s) {
      case Security::Secure:
        return 0;
      case Security::Indeterminate:
        return 1;
      case Security::Insecure:
        return 2;
      case Security::Bogus:
        return 3;
    }
    return 3;
  };
  return rank(b.security) > rank(a.security) ? b : a;
}

}  // namespace ballast::backends::resolver::dnssec
