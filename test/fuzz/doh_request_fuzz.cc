// SPDX-License-Identifier: GPL-2.0-only
// Fuzz target for what DoH parses itself (nghttp2 parses HTTP/2): a request's method, path
// with the `dns=` base64url parameter, content type and body turned into a DNS query or an
// HTTP status, and the Cache-Control lifetime of an answer. The input is split at NUL
// bytes: method, path, content type, body.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dns/message.hh"
#include "frontend/doh_request.hh"

using namespace ballast;

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

std::vector<std::string> split(std::string_view in, size_t parts) {
  std::vector<std::string> out;
  while (out.size() + 1 < parts) {
    size_t nul = in.find('\0');
    if (nul == std::string_view::npos) break;
    out.emplace_back(in.substr(0, nul));
    in.remove_prefix(nul + 1);
  }
  out.emplace_back(in);
  out.resize(parts);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = split({reinterpret_cast<const char*>(data), size}, 4);
  std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(p[3].data()), p[3].size());
  frontend::DohSettings s;
  s.urls = {"/dns-query", "/q"};
  s.exactPathMatching = size % 2 == 0;
  s.maxBodySize = 4096;
  std::vector<uint8_t> out(512);
  size_t len = 0;
  int status =
      frontend::requestToQuery(s, {p[0], p[1], p[2], body, false}, out.data(), out.size(), len);
  FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 405 || status == 413 ||
             status == 415);
  if (status == 200) {
    FUZZ_CHECK(len <= out.size());
    dns::MessageView m;
    FUZZ_CHECK(dns::MessageView::parse({out.data(), len}, m) == dns::ParseError::None);
    FUZZ_CHECK(!m.header().qr() && m.hasQuestion());
  }
  // The parameter decoder alone, on the raw path, with a tight capacity.
  uint8_t small[16];
  size_t got = 0;
  if (frontend::decodeBase64Url(p[1], small, sizeof(small), got)) FUZZ_CHECK(got <= sizeof(small));
  auto age = frontend::answerMaxAge(body);
  (void)age;
  return 0;
}
