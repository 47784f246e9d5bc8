// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The operator-facing outputs: the web server and the carbon exporters, run from a
/// web::Settings (web/settings.hh) that Lua fills. Owned by the daemon, which starts it
/// after the frontends and stops it first.
#include <memory>
#include <string>
#include <vector>

#include "core/runtime.hh"
#include "frontend/tcp_config.hh"
#include "metrics/carbon.hh"
#include "web/settings.hh"

namespace ballast::web {

class HttpServer;

class Service {
 public:
  /// Reads `settings` and lists the frontends of `stream` (every bind: addLocal's,
  /// addTLSLocal's, addDOHLocal's) in the API and /metrics; both must outlive it.
  Service(core::Runtime& rt, std::string version, Settings& settings,
          const frontend::StreamConfig& stream);
  /// With settings of its own (unit tests, fuzzing).
  Service(core::Runtime& rt, std::string version);
  ~Service();

  Settings& settings() { return settings_; }
  std::shared_ptr<const WebConfig> config() const { return settings_.config(); }
  WebHandler handler(const std::string& path) const { return settings_.handler(path); }
  const frontend::StreamConfig& stream() const { return stream_; }

  /// Binds and starts the HTTP thread (if webserver() was called) and the carbon threads.
  /// Throws std::runtime_error naming the address if it cannot bind.
  void start();
  void stop();

  core::Runtime& runtime() { return rt_; }
  const std::string& version() const { return version_; }

 private:
  core::Runtime& rt_;
  std::string version_;
  std::unique_ptr<Settings> own_;
  Settings& settings_;
  frontend::StreamConfig noStream_;
  const frontend::StreamConfig& stream_;
  std::unique_ptr<HttpServer> http_;
  std::vector<std::unique_ptr<metrics::CarbonSender>> senders_;
};

}  // namespace ballast::web
