// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// What one addDOHLocal bind is configured with (dnsdist's option names) and the figures
/// getDOHFrontend(n):getStats() and showDOHFrontends report.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/rules/regex.hh"
#include "metrics/counter.hh"

namespace ballast::frontend {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// newDOHResponseMapEntry: a request whose path matches `regex` is answered with `status`
/// and `content` (for a 3xx, the URL to redirect to) without any DNS; `headers` replace the
/// bind's customResponseHeaders when given.
struct DohResponseMapEntry {
  /// Throws std::invalid_argument: bad regex, status outside 200-599, a header or redirect
  /// URL with a control character.
  DohResponseMapEntry(const std::string& regex, int status, std::string content,
                      std::optional<HttpHeaders> headers);
  core::rules::Regex regex;
  int status;
  std::string content;
  std::optional<HttpHeaders> headers;
};
using DohResponsesMap = std::vector<std::shared_ptr<const DohResponseMapEntry>>;

/// The HTTP side of a DoH bind; the TLS side is the StreamBind's TlsContext.
struct DohSettings {
  std::vector<std::string> urls{"/dns-query"};  ///< paths answered; others get 404
  bool exactPathMatching = true;  ///< false: a path that starts with one of `urls` matches
  bool sendCacheControlHeaders = true;
  std::string serverTokens = "ballast";  ///< the "server" response header; "" sends none
  HttpHeaders customResponseHeaders;
  /// Request headers are kept for the rules (HTTPHeaderRule); off, they cost nothing.
  bool keepIncomingHeaders = false;
  /// trustForwardedForHeader: the right-most address of X-Forwarded-For (from a proxy in
  /// front of ballast) is the client's, for the ACL, rules, rings and dynamic blocks.
  bool trustForwardedForHeader = false;
  int idleTimeoutSec = 30;
  uint32_t maxInFlight = 100;  ///< concurrent streams per connection (SETTINGS)
  size_t maxBodySize = 65535;  ///< a larger POST body or decoded GET query: 413
};

/// Per-bind counters, dnsdist's DoH frontend figures.
struct DohStats {
  metrics::Counter httpConnects;
  metrics::Counter http2Queries;
  metrics::Counter getQueries;
  metrics::Counter postQueries;
  metrics::Counter badRequests;     ///< any 4xx answer we produced
  metrics::Counter errorResponses;  ///< 5xx: no answer (backend gave up, dropped)
  metrics::Counter validResponses;  ///< 200 with a DNS answer
  metrics::Counter redirectResponses;  ///< 3xx (HTTPStatusAction, setResponsesMap)
  metrics::Counter status200;
  metrics::Counter status400;
  metrics::Counter status403;
  metrics::Counter status404;
  metrics::Counter status405;
  metrics::Counter status413;
  metrics::Counter status415;
  metrics::Counter status500;
  metrics::Counter status502;
  metrics::Counter statusOther;
  metrics::Counter protocolErrors;  ///< HTTP/2 framing errors: connection closed

  /// Counts one response with `status`.
  void count(int status);
};

/// One DoH bind's own part (the StreamBind holds address, TLS, limits and TCP figures).
struct DohBind {
  DohSettings settings;
  DohStats stats;
  /// setResponsesMap: swapped whole, so a request sees the old map or the new one; null
  /// when none was set.
  std::atomic<std::shared_ptr<const DohResponsesMap>> responses;
};

/// A header name or value, or a redirect URL, that can go on the wire as it is: no CR, LF
/// or NUL.
bool isHeaderSafe(std::string_view s);

}  // namespace ballast::frontend
