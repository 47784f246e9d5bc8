// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/doh_request.hh"

#include <algorithm>
#include <cstring>

#include "dns/message.hh"

namespace ballast::frontend {

namespace {

int base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool caseInsensitiveEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

/// A valid DNS query: parses, is not a response, has a question.
bool isDnsQuery(std::span<const uint8_t> packet) {
  dns::MessageView m;
  if (dns::MessageView::parse(packet, m) != dns::ParseError::None) return false;
  return !m.header().qr() && m.hasQuestion();
}

}  // namespace

bool decodeBase64Url(std::string_view in, uint8_t* out, size_t capacity, size_t& len) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;  // 6 bits cannot end a byte
  len = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = base64UrlValue(c);
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (len == capacity) return false;
      out[len++] = uint8_t(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  return true;
}

std::optional<std::string_view> queryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    size_t eq = part.find('=');
    if (part.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool pathMatches(const DohSettings& s, std::string_view path) {
  for (const auto& u : s.urls) {
    if (path == u) return true;
    if (!s.exactPathMatching && path.substr(0, u.size()) == u) return true;
  }
  return false;
}

int requestToQuery(const DohSettings& s, const DohRequest& r, uint8_t* out, size_t capacity,
                   size_t& len) {
  size_t q = r.path.find('?');
  std::string_view path = r.path.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : r.path.substr(q + 1);
  if (r.tooLarge) return 413;
  if (!pathMatches(s, path)) return 404;
  size_t limit = std::min(capacity, s.maxBodySize);
  if (r.method == "GET") {
    auto dns = queryParameter(query, "dns");
    if (!dns || dns->empty()) return 400;
    if (dns->size() > (limit * 4 + 2) / 3 + 2) return 413;
    if (!decodeBase64Url(*dns, out, limit, len)) return 400;
  } else if (r.method == "POST") {
    // Parameters (";charset=...") are not part of the media type.
    std::string_view type = r.contentType.substr(0, r.contentType.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (!caseInsensitiveEqual(type, "application/dns-message")) return 415;
    if (r.body.size() > limit) return 413;
    len = r.body.size();
    if (len) std::memcpy(out, r.body.data(), len);
  } else {
    return 405;
  }
  if (!isDnsQuery({out, len})) return 400;
  return 200;
}

std::optional<uint32_t> answerMaxAge(std::span<const uint8_t> response) {
  dns::MessageView m;
  if (dns::MessageView::parse(response, m) != dns::ParseError::None) return std::nullopt;
  std::optional<uint32_t> min;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (it->section == dns::Section::Additional) continue;  // OPT and glue do not count
    if (!min || it->ttl < *min) min = it->ttl;
  }
  return min;
}

std::string_view statusText(int status) {
  switch (status) {
    case 400:
      return "Bad Request\n";
    case 403:
      return "Forbidden\n";
    case 404:
      return "Not Found\n";
    case 405:
      return "Method Not Allowed\n";
    case 413:
      return "Payload Too Large\n";
    case 415:
      return "Unsupported Media Type\n";
    case 502:
      return "Bad Gateway\n";
    default:
      return "Error\n";
  }
}

void DohStats::count(int status) {
  switch (status) {
    case 200:
      status200.inc();
      break;
    case 400:
      status400.inc();
      break;
    case 403:
      status403.inc();
      break;
    case 404:
      status404.inc();
      break;
    case 405:
      status405.inc();
      break;
    case 413:
      status413.inc();
      break;
    case 415:
      status415.inc();
      break;
    case 500:
      status500.inc();
      break;
    case 502:
      status502.inc();
      break;
    default:
      statusOther.inc();
  }
  if (status == 200)
    validResponses.inc();
  else if (status >= 300 && status < 400)
    redirectResponses.inc();
  else if (status >= 500)
    errorResponses.inc();
  else
    badRequests.inc();
}

}  // namespace ballast::frontend
