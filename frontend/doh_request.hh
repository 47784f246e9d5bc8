// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// RFC 8484 request handling that does not need a connection: the method, path, content
/// type and body (or `?dns=` parameter) of one HTTP request turned into a DNS query or the
/// HTTP status that refuses it, and the Cache-Control lifetime of an answer. Pure
/// functions, no allocation: fuzzed by test/fuzz/doh_request_fuzz.cc.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "frontend/doh_config.hh"

namespace ballast::frontend {

/// Decodes base64url (RFC 4648 section 5) without padding, as RFC 8484 requires; trailing
/// '=' are tolerated. False on any other character, an impossible length, or more than
/// `capacity` bytes.
bool decodeBase64Url(std::string_view in, uint8_t* out, size_t capacity, size_t& len);

/// The raw value of parameter `name` in a URL query string ("a=1&dns=..."), if present.
std::optional<std::string_view> queryParameter(std::string_view query, std::string_view name);

/// Whether `path` (without its query string) is one of the bind's URLs.
bool pathMatches(const DohSettings& s, std::string_view path);

/// One HTTP request as the connection collected it.
struct DohRequest {
  std::string_view method;
  std::string_view path;  ///< with the query string
  std::string_view contentType;
  std::span<const uint8_t> body;
  bool tooLarge = false;  ///< the connection dropped a too long path or POST body
};

/// Checks `r` and writes its DNS query into out[0..capacity). Returns 200 with `len` set,
/// or the status to answer with: 404 unknown path, 405 method, 400 no or bad `dns=`
/// parameter or not a DNS query, 413 too large, 415 POST not application/dns-message.
int requestToQuery(const DohSettings& s, const DohRequest& r, uint8_t* out, size_t capacity,
                   size_t& len);

/// The Cache-Control max-age of an answer: the smallest TTL of its answer and authority
/// records (RFC 8484 section 5.1), none for an answer without such records or unparsable.
std::optional<uint32_t> answerMaxAge(std::span<const uint8_t> response);

/// The reason phrase-like body sent with an error status.
std::string_view statusText(int status);

}  // namespace ballast::frontend
