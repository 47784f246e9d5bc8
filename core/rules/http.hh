// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// DNS over HTTPS in the rules: what a DoH frontend tells the rules about the HTTP request
/// behind a query (QueryContext::http, null for every other frontend), dnsdist's HTTP*Rule
/// selectors over it, and HTTPStatusAction, which answers with an HTTP status instead of a
/// DNS message.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/rules/actions.hh"
#include "core/rules/selectors.hh"

namespace ballast::core {

struct HttpRequest {
  std::string_view path;         ///< the :path without its query string
  std::string_view queryString;  ///< after the '?', without it
  std::string_view host;         ///< :authority (or Host); DNSQuestion:getHTTPHost
  std::string_view scheme;       ///< "https", or "http" on a bind without TLS
  /// The request's headers (lowercase names, as HTTP/2 sends them); only filled when the
  /// bind keeps them (addDOHLocal's keepIncomingHeaders), as dnsdist requires.
  std::span<const std::pair<std::string, std::string>> headers;
  /// The TLS server name the client sent (SNIRule); empty without TLS or SNI.
  std::string sni;

  // Set by HTTPStatusAction: the HTTP response to send instead of a DNS answer.
  int status = 0;  ///< 0: none, answer with DNS
  std::string body;
  std::string contentType;
};

}  // namespace ballast::core

namespace ballast::core::rules {

/// A DoH query to exactly `path` (the URL's path, no query string).
SelectorPtr httpPathRule(std::string path);
/// A DoH query whose path matches `regex` (POSIX extended, case-insensitive, unanchored).
SelectorPtr httpPathRegexRule(const std::string& regex);
/// A DoH query with a header `name` (case-insensitive) whose value matches `regex`.
SelectorPtr httpHeaderRule(std::string name, const std::string& regex);

/// DoH only: answers with HTTP `status` and `body` (for a 3xx, the Location URL) and, for a
/// 200, `contentType` ("" is application/dns-message). Other queries go on to the next rule.
/// Throws std::invalid_argument for a status outside 200-599.
ActionPtr httpStatusAction(int status, std::string body, std::string contentType,
                           ResponseFlags flags);

}  // namespace ballast::core::rules
