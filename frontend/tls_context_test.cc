// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/tls_context.hh"

#include <doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/clock.hh"
#include "frontend/tcp_worker.hh"

using namespace ballast;
using frontend::TlsConfig;
using frontend::TlsContext;

namespace {

/// A self-signed P-256 certificate and its key, written as PEM under a fresh directory.
struct TestCert {
  std::string dir, cert, key;
  TestCert() {
    char tmpl[] = "/tmp/tls_context_test.XXXXXX";
    dir = mkdtemp(tmpl);
    cert = dir + "/c.pem";
    key = dir + "/k.pem";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("unit.test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~TestCert() {
    unlink(cert.c_str());
    unlink(key.c_str());
    rmdir(dir.c_str());
  }
  TlsConfig config() const {
    TlsConfig c;
    c.certFiles = {cert};
    c.keyFiles = {key};
    return c;
  }
};

std::string errorOf(const TlsConfig& c) {
  try {
    TlsContext ctx(c);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("tls: ticket keys rotate, the newest encrypts, older ones still decrypt") {
  TestCert t;
  TlsConfig c = t.config();
  c.numberOfTicketsKeys = 2;
  TlsContext ctx(c);
  CHECK(ctx.ticketKeyCount() == 1);
  TlsContext::TicketKey first = ctx.currentTicketKey(), out;
  CHECK(ctx.findTicketKey(first.name, out) == 1);  // current
  ctx.rotateTicketsKey();
  CHECK(ctx.ticketKeyCount() == 2);
  CHECK(ctx.findTicketKey(first.name, out) == 2);  // older: decrypt and renew
  ctx.rotateTicketsKey();
  CHECK(ctx.ticketKeyCount() == 2);
  CHECK(ctx.findTicketKey(first.name, out) == 0);  // forgotten
}

TEST_CASE("tls: tickets keys rotate once ticketsKeysRotationDelay has passed") {
  TestCert t;
  TlsConfig c = t.config();
  c.numberOfTicketsKeys = 3;
  c.ticketsKeysRotationDelay = 10;
  TlsContext ctx(c);
  int64_t now = core::monotonicUsec() / 1000000;
  TlsContext::TicketKey first = ctx.currentTicketKey(), out;
  ctx.rotateTicketsKeyIfDue(now + 5);
  CHECK(ctx.ticketKeyCount() == 1);
  ctx.rotateTicketsKeyIfDue(now + 11);
  CHECK(ctx.ticketKeyCount() == 2);
  CHECK(ctx.findTicketKey(first.name, out) == 2);
  ctx.rotateTicketsKeyIfDue(now + 12);  // the next one is due 10 s after the rotation
  CHECK(ctx.ticketKeyCount() == 2);
  ctx.rotateTicketsKeyIfDue(now + 22);
  CHECK(ctx.ticketKeyCount() == 3);

  c.ticketsKeysRotationDelay = 0;  // never
  TlsContext fixed(c);
  fixed.rotateTicketsKeyIfDue(now + 1000000);
  CHECK(fixed.ticketKeyCount() == 1);
}

TEST_CASE("tls: renegotiation, server cipher preference and buffer release follow the options") {
  TestCert t;
  TlsConfig c = t.config();
  TlsContext dflt(c);
  SSL* s = dflt.newSession(-1);
  REQUIRE(s);
  CHECK((SSL_get_options(s) & SSL_OP_NO_RENEGOTIATION) != 0);
  CHECK((SSL_get_options(s) & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0);
  CHECK((SSL_get_mode(s) & SSL_MODE_RELEASE_BUFFERS) != 0);
  SSL_free(s);
  c.enableRenegotiation = true;
  c.preferServerCiphers = false;
  c.releaseBuffers = false;
  TlsContext changed(c);
  s = changed.newSession(-1);
  REQUIRE(s);
  CHECK((SSL_get_options(s) & SSL_OP_NO_RENEGOTIATION) == 0);
  CHECK((SSL_get_options(s) & SSL_OP_CIPHER_SERVER_PREFERENCE) == 0);
  CHECK((SSL_get_mode(s) & SSL_MODE_RELEASE_BUFFERS) == 0);
  SSL_free(s);
}

TEST_CASE("tls: ticket key file") {
  TestCert t;
  std::string file = t.dir + "/tickets";
  {
    std::ofstream f(file, std::ios::binary);
    for (int k = 0; k < 2; ++k)
      for (int i = 0; i < 80; ++i) f.put(char(k * 100 + i));
  }
  TlsConfig c = t.config();
  c.ticketKeyFile = file;
  TlsContext ctx(c);
  CHECK(ctx.ticketKeyCount() == 2);
  CHECK(ctx.currentTicketKey().name[0] == 100);  // the last key in the file is active
  {
    std::ofstream f(file, std::ios::binary);
    f << "short";
  }
  CHECK_THROWS_WITH_AS(ctx.loadTicketsKeys(file), doctest::Contains("multiple of 80"),
                       std::runtime_error);
  unlink(file.c_str());
}

TEST_CASE("tls: errors name the file or option") {
  TestCert t;
  TlsConfig c = t.config();
  c.certFiles = {t.dir + "/missing.pem"};
  CHECK(errorOf(c).find("missing.pem") != std::string::npos);
  c = t.config();
  c.keyFiles = {t.cert};  // a certificate is no key
  CHECK(errorOf(c).find(t.cert) != std::string::npos);
  c = t.config();
  c.ciphers = "NO-SUCH-CIPHER";
  CHECK(errorOf(c).find("NO-SUCH-CIPHER") != std::string::npos);
  c = t.config();
  c.provider = "gnutls";
  CHECK(errorOf(c).find("gnutls") != std::string::npos);
  c = t.config();
  c.keyFiles.push_back(t.key);
  CHECK(errorOf(c).find("1 certificate file(s) but 2 key file(s)") != std::string::npos);
  c = t.config();
  c.ocspResponses = {t.dir + "/no-ocsp.der"};
  CHECK(errorOf(c).find("no-ocsp.der") != std::string::npos);
}

TEST_CASE("tls: reload keeps the old context on error") {
  TestCert t;
  TlsContext ctx(t.config());
  SSL* before = ctx.newSession(-1);
  REQUIRE(before);
  SSL_free(before);
  ctx.reloadCertificates();
  unlink(t.key.c_str());
  CHECK_THROWS(ctx.reloadCertificates());
  SSL* after = ctx.newSession(-1);
  CHECK(after != nullptr);
  SSL_free(after);
}

TEST_CASE("client limiter: per address, given back on release") {
  frontend::ClientLimiter l(2);
  auto a = core::Address::parse("192.0.2.1:1000"), a2 = core::Address::parse("192.0.2.1:2000"),
       b = core::Address::parse("192.0.2.2:1000");
  CHECK(l.acquire(a));
  CHECK(l.acquire(a2));  // the port does not matter
  CHECK_FALSE(l.acquire(a));
  CHECK(l.acquire(b));
  l.release(a);
  CHECK(l.acquire(a2));
  frontend::ClientLimiter unlimited(0);
  for (int i = 0; i < 100; ++i) CHECK(unlimited.acquire(a));
}
