// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/dnssec/crypto.hh"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include <memory>

#include "backends/resolver/dnssec/records.hh"

namespace ballast::backends::resolver::dnssec {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Pkey fromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  if (!params) return nullptr;
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) return nullptr;
  return Pkey(key);
}

/// RFC 3110 2: exponent length (1 byte, or 0 then 2 bytes), exponent, modulus.
Pkey rsaKey(std::span<const uint8_t> k) {
  if (k.empty()) return nullptr;
  size_t o = 1, elen = k[0];
  if (elen == 0) {
    if (k.size() < 3) return nullptr;
    elen = size_t(k[1]) << 8 | k[2];
    o = 3;
  }
  if (elen == 0 || k.size() <= o + elen) return nullptr;
  size_t mlen = k.size() - o - elen;
  // RFC 3110 allows 512 to 4096 bits; larger moduli only cost CPU an attacker chooses.
  if (mlen < 64 || mlen > 512) return nullptr;
  Bn e(BN_bin2bn(k.data() + o, int(elen), nullptr));
  Bn n(BN_bin2bn(k.data() + o + elen, int(mlen), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!e || !n || !bld) return nullptr;
  if (!OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    return nullptr;
  }
  return fromParams("RSA", bld.get());
}

/// RFC 6605 4: the key is X || Y; OpenSSL wants the uncompressed point 0x04 || X || Y.
Pkey ecKey(const char* group, size_t coord, std::span<const uint8_t> k) {
  if (k.size() != 2 * coord) return nullptr;
  uint8_t point[1 + 2 * 48];
  point[0] = 0x04;
  std::copy(k.begin(), k.end(), point + 1);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld) return nullptr;
  if (!OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point, 1 + k.size())) {
    return nullptr;
  }
  return fromParams("EC", bld.get());
}

/// RFC 6605 4: the signature is r || s; OpenSSL verifies DER.
bool ecdsaDer(size_t coord, std::span<const uint8_t> sig, std::vector<uint8_t>& der) {
  if (sig.size() != 2 * coord) return false;
  std::unique_ptr<ECDSA_SIG, SigFree> s(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(sig.data(), int(coord), nullptr);
  BIGNUM* ss = BN_bin2bn(sig.data() + coord, int(coord), nullptr);
  if (!s || !r || !ss || !ECDSA_SIG_set0(s.get(), r, ss)) {
    BN_free(r);
    BN_free(ss);
    return false;
  }
  int len = i2d_ECDSA_SIG(s.get(), nullptr);
  if (len <= 0) return false;
  der.resize(size_t(len));
  uint8_t* p = der.data();
  return i2d_ECDSA_SIG(s.get(), &p) == len;
}

bool haveEd448() {
  static const bool have = [] {
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "ED448", nullptr));
    return ctx != nullptr;
  }();
  return have;
}

CryptoResult digestVerify(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> data,
                          std::span<const uint8_t> sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) <= 0) {
    return CryptoResult::BadKey;
  }
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size());
  return rc == 1 ? CryptoResult::Valid : CryptoResult::Invalid;
}

}  // namespace

bool algorithmSupported(uint8_t a) {
  switch (a) {
    case alg::RsaSha1:
    case alg::RsaSha1Nsec3:
    case alg::RsaSha256:
    case alg::RsaSha512:
    case alg::EcdsaP256:
    case alg::EcdsaP384:
    case alg::Ed25519:
      return true;
    case alg::Ed448:
      return haveEd448();
    default:
      return false;
  }
}

bool digestSupported(uint8_t t) {
  return t == digest::Sha1 || t == digest::Sha256 || t == digest::Sha384;
}

CryptoResult verify(uint8_t a, std::span<const uint8_t> publicKey, std::span<const uint8_t> data,
                    std::span<const uint8_t> signature) {
  if (!algorithmSupported(a)) return CryptoResult::Unsupported;
  switch (a) {
    case alg::RsaSha1:
    case alg::RsaSha1Nsec3:
    case alg::RsaSha256:
    case alg::RsaSha512: {
      Pkey key = rsaKey(publicKey);
      if (!key) return CryptoResult::BadKey;
      const EVP_MD* md = a == alg::RsaSha256   ? EVP_sha256()
                         : a == alg::RsaSha512 ? EVP_sha512()
                                               : EVP_sha1();
      return digestVerify(key.get(), md, data, signature);
    }
    case alg::EcdsaP256:
    case alg::EcdsaP384: {
      bool p256 = a == alg::EcdsaP256;
      size_t coord = p256 ? 32 : 48;
      Pkey key = ecKey(p256 ? "prime256v1" : "secp384r1", coord, publicKey);
      if (!key) return CryptoResult::BadKey;
      std::vector<uint8_t> der;
      if (!ecdsaDer(coord, signature, der)) return CryptoResult::Invalid;
      return digestVerify(key.get(), p256 ? EVP_sha256() : EVP_sha384(), data, der);
    }
    case alg::Ed25519:
    case alg::Ed448: {
      bool ed25519 = a == alg::Ed25519;
      if (publicKey.size() != (ed25519 ? 32u : 57u)) return CryptoResult::BadKey;
      Pkey key(EVP_PKEY_new_raw_public_key(ed25519 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448, nullptr,
                                           publicKey.data(), publicKey.size()));
      if (!key) return CryptoResult::BadKey;
      return digestVerify(key.get(), nullptr, data, signature);
    }
    default:
      return CryptoResult::Unsupported;
  }
}

std::vector<uint8_t> dsDigest(uint8_t t, std::span<const uint8_t> data) {
  const EVP_MD* md = t == digest::Sha1     ? EVP_sha1()
                     : t == digest::Sha256 ? EVP_sha256()
                     : t == digest::Sha384 ? EVP_sha384()
                                           : nullptr;
  if (md == nullptr) return {};
  std::vector<uint8_t> out(size_t(EVP_MD_get_size(md)));
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) return {};
  out.resize(len);
  return out;
}

void sha1(std::span<const uint8_t> data, uint8_t* out) {
  SHA1(data.data(), data.size(), out);
}

}  // namespace ballast::backends::resolver::dnssec
