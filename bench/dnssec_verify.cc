// SPDX-License-Identifier: GPL-2.0-only
// CPU cost of DNSSEC validation steps, per algorithm: a micro-benchmark, not a test.
// For each algorithm it makes a key, signs a two-record A RRset, then measures (process CPU
// time, CLOCK_PROCESS_CPUTIME_ID) Validator::verifyRRset (RDATA parsing, canonical form, key
// import and the OpenSSL verification: what validating one RRset from scratch costs), the
// bare crypto::verify, and the NSEC3 hash at a few iteration counts.
// Built by backends/resolver/dnssec/meson.build as dnssec_verify_bench; run:
//   build/backends/resolver/dnssec/dnssec_verify_bench [iterations per case]
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <vector>

#include "backends/resolver/dnssec/crypto.hh"
#include "backends/resolver/dnssec/denial.hh"
#include "backends/resolver/dnssec/validator.hh"
#include "backends/resolver/dnssec/zone_text.hh"

using namespace ballast;
using namespace ballast::backends::resolver::dnssec;

namespace {

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

struct Case {
  const char* name;
  uint8_t algorithm;
  const char* keyType;  // for EVP_PKEY_Q_keygen
  const char* param;    // curve name, or nullptr (RSA size from bits)
  size_t bits;
};

EVP_PKEY* keygen(const Case& c) {
  if (c.param != nullptr && std::string(c.keyType) == "EC") {
    return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", c.param);
  }
  if (std::string(c.keyType) == "RSA") return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", c.bits);
  return EVP_PKEY_Q_keygen(nullptr, nullptr, c.keyType);
}

/// The DNSKEY public key field of `key` (RFC 3110, RFC 6605, RFC 8080 formats).
std::vector<uint8_t> publicKeyField(EVP_PKEY* key, const Case& c) {
  std::vector<uint8_t> out;
  if (std::string(c.keyType) == "RSA") {
    BIGNUM *n = nullptr, *e = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
    std::vector<uint8_t> eb(size_t(BN_num_bytes(e))), nb(size_t(BN_num_bytes(n)));
    BN_bn2bin(e, eb.data());
    BN_bn2bin(n, nb.data());
    BN_free(n);
    BN_free(e);
    out.push_back(uint8_t(eb.size()));
    out.insert(out.end(), eb.begin(), eb.end());
    out.insert(out.end(), nb.begin(), nb.end());
  } else if (std::string(c.keyType) == "EC") {
    uint8_t buf[200];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len);
    out.assign(buf + 1, buf + len);  // drop the 0x04 of the uncompressed point
  } else {
    uint8_t buf[100];
    size_t len = sizeof buf;
    EVP_PKEY_get_raw_public_key(key, buf, &len);
    out.assign(buf, buf + len);
  }
  return out;
}

std::vector<uint8_t> sign(EVP_PKEY* key, const Case& c, const std::vector<uint8_t>& data) {
  const EVP_MD* md = nullptr;
  if (c.algorithm == alg::RsaSha256 || c.algorithm == alg::EcdsaP256) md = EVP_sha256();
  if (c.algorithm == alg::RsaSha512) md = EVP_sha512();
  if (c.algorithm == alg::EcdsaP384) md = EVP_sha384();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) <= 0 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) <= 0) {
    throw std::runtime_error("sign init");
  }
  std::vector<uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) <= 0) {
    throw std::runtime_error("sign");
  }
  sig.resize(len);
  if (std::string(c.keyType) != "EC") return sig;
  // DER to r || s (RFC 6605 4).
  const uint8_t* p = sig.data();
  ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, long(sig.size()));
  size_t coord = c.algorithm == alg::EcdsaP256 ? 32 : 48;
  std::vector<uint8_t> rs(2 * coord);
  BN_bn2binpad(ECDSA_SIG_get0_r(s), rs.data(), int(coord));
  BN_bn2binpad(ECDSA_SIG_get0_s(s), rs.data() + coord, int(coord));
  ECDSA_SIG_free(s);
  return rs;
}

void bench(const Case& c, int n) {
  if (!algorithmSupported(c.algorithm)) {
    std::printf("%-22s unsupported by this OpenSSL\n", c.name);
    return;
  }
  EVP_PKEY* key = keygen(c);
  if (key == nullptr) throw std::runtime_error("keygen");
  std::vector<uint8_t> dnskey = {1, 1, 3, c.algorithm};
  auto pub = publicKeyField(key, c);
  dnskey.insert(dnskey.end(), pub.begin(), pub.end());
  dns::Name zone = dns::Name::fromString("example.");
  RRset rrset;
  rrset.owner = dns::Name::fromString("www.example.");
  rrset.type = 1;
  rrset.ttl = 300;
  rrset.rdatas = {{192, 0, 2, 1}, {192, 0, 2, 2}};
  std::vector<uint8_t> rrsig = {0, 1, c.algorithm, 2, 0, 0, 1, 44, 0x7f, 0, 0, 0, 0, 0, 0, 0};
  uint16_t tag = keyTag(dnskey);
  rrsig.push_back(uint8_t(tag >> 8));
  rrsig.push_back(uint8_t(tag));
  auto zw = zone.wire();
  rrsig.insert(rrsig.end(), zw.begin(), zw.end());
  rrsig.push_back(0);
  RrsigView view;
  std::vector<uint8_t> data;
  if (!parseRrsig(rrsig, view) || !signedData(rrset, view, data)) throw std::runtime_error("data");
  rrsig.pop_back();
  auto sig = sign(key, c, data);
  rrsig.insert(rrsig.end(), sig.begin(), sig.end());
  EVP_PKEY_free(key);

  ValidatorOptions o;
  o.now = [] { return int64_t(1000); };
  Validator v(o);
  std::vector<std::vector<uint8_t>> keys{dnskey}, sigs{rrsig};
  if (!v.verifyRRset(rrset, sigs, zone, keys).secure()) throw std::runtime_error("no verify");
  double t0 = cpuSeconds();
  for (int i = 0; i < n; ++i) {
    if (!v.verifyRRset(rrset, sigs, zone, keys).secure()) std::abort();
  }
  double t1 = cpuSeconds();
  for (int i = 0; i < n; ++i) {
    if (verify(c.algorithm, pub, data, sig) != CryptoResult::Valid) std::abort();
  }
  double t2 = cpuSeconds();
  std::printf("%-22s verifyRRset %8.1f us   crypto::verify %8.1f us\n", c.name, (t1 - t0) / n * 1e6,
              (t2 - t1) / n * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const Case cases[] = {
      {"RSA/SHA-256 1024 (8)", alg::RsaSha256, "RSA", nullptr, 1024},
      {"RSA/SHA-256 2048 (8)", alg::RsaSha256, "RSA", nullptr, 2048},
      {"RSA/SHA-512 2048 (10)", alg::RsaSha512, "RSA", nullptr, 2048},
      {"ECDSA P-256 (13)", alg::EcdsaP256, "EC", "P-256", 0},
      {"ECDSA P-384 (14)", alg::EcdsaP384, "EC", "P-384", 0},
      {"Ed25519 (15)", alg::Ed25519, "ED25519", nullptr, 0},
      {"Ed448 (16)", alg::Ed448, "ED448", nullptr, 0},
  };
  std::printf("per RRSIG verification, CPU time, %d runs each\n", n);
  for (const auto& c : cases) bench(c, n);
  const uint8_t salt[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  dns::Name name = dns::Name::fromString("www.example.com.");
  for (uint16_t iterations : {0, 10, 150}) {
    uint8_t out[20];
    double t0 = cpuSeconds();
    for (int i = 0; i < n; ++i) nsec3Hash(name, salt, iterations, out);
    double t1 = cpuSeconds();
    std::printf("NSEC3 hash, %3u iterations, 8-byte salt: %8.2f us\n", unsigned(iterations),
                (t1 - t0) / n * 1e6);
  }
  return 0;
}
