// SPDX-License-Identifier: GPL-2.0-only
#include "tier/redis_settings.hh"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace ballast::tier {

namespace {

int parsePort(std::string_view text, const std::string& url) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 65535)
    throw std::invalid_argument(fmt::format("bad port in '{}'", url));
  return v;
}

int parseDb(std::string_view db, const std::string& url) {
  int v = 0;
  auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), v);
  if (ec != std::errc() || end != db.data() + db.size() || v < 0)
    throw std::invalid_argument(fmt::format("bad database number in '{}'", url));
  return v;
}

/// host, host:port, [v6] or [v6]:port.
RedisEndpoint parseEndpoint(std::string_view text, int defaultPort, const std::string& url) {
  RedisEndpoint e{std::string(), defaultPort};
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      throw std::invalid_argument(fmt::format("bad host in '{}'", url));
    e.host = std::string(text.substr(1, close - 1));
    text.remove_prefix(close + 1);
    if (!text.empty()) {
      if (text.front() != ':') throw std::invalid_argument(fmt::format("bad host in '{}'", url));
      e.port = parsePort(text.substr(1), url);
    }
  } else if (auto colon = text.find(':'); colon != std::string_view::npos) {
    e.host = std::string(text.substr(0, colon));
    e.port = parsePort(text.substr(colon + 1), url);
  } else {
    e.host = std::string(text);
  }
  if (e.host.empty()) throw std::invalid_argument(fmt::format("no host in '{}'", url));
  return e;
}

}  // namespace

void parseRedisUrl(const std::string& url, RedisSettings& s) {
  std::string_view rest(url);
  auto scheme = rest.find("://");
  if (scheme == std::string_view::npos)
    throw std::invalid_argument(fmt::format("'{}' is not a redis:// URL", url));
  std::string_view name = rest.substr(0, scheme);
  rest.remove_prefix(scheme + 3);
  bool sentinel = false;
  if (name == "redis" || name == "rediss") {
  } else if (name == "redis-sentinel" || name == "rediss-sentinel") {
    sentinel = true;
  } else if (name.find("cluster") != std::string_view::npos) {
    throw std::invalid_argument(fmt::format(
        "'{}': Redis Cluster is not supported (hiredis 0.14 has no cluster client); give one "
        "primary (redis://) or its sentinels (redis-sentinel://)",
        url));
  } else {
    throw std::invalid_argument(fmt::format("'{}' is not a redis:// URL", url));
  }
  s.tls.enabled = name.starts_with("rediss");
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    if (auto colon = auth.find(':'); colon != std::string_view::npos) {
      s.user = std::string(auth.substr(0, colon));
      s.password = std::string(auth.substr(colon + 1));
    } else {
      s.password = std::string(auth);
    }
    rest.remove_prefix(at + 1);
  }
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (rest.empty()) throw std::invalid_argument(fmt::format("no host in '{}'", url));
  if (!sentinel) {
    if (rest.find(',') != std::string_view::npos)
      throw std::invalid_argument(
          fmt::format("'{}': several hosts are for redis-sentinel:// URLs", url));
    RedisEndpoint e = parseEndpoint(rest, 6379, url);
    s.host = e.host;
    s.port = e.port;
    if (!path.empty()) s.db = parseDb(path, url);
    return;
  }
  s.sentinels.clear();
  while (!rest.empty()) {
    auto comma = rest.find(',');
    s.sentinels.push_back(parseEndpoint(rest.substr(0, comma), 26379, url));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  auto slash = path.find('/');
  s.masterName = std::string(path.substr(0, slash));
  if (s.masterName.empty())
    throw std::invalid_argument(
        fmt::format("'{}': no master name (redis-sentinel://host:port/master[/db])", url));
  if (slash != std::string_view::npos && slash + 1 < path.size())
    s.db = parseDb(path.substr(slash + 1), url);
}

}  // namespace ballast::tier
