// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The operator-facing outputs: the web server and the carbon exporters, run from a
/// web::Settings (web/settings.hh) that Lua fills. Owned by the daemon, which starts it
/// after the frontends and stops it first.
#include <memory>
#include <string>
#include <vector>

#include "core/runtime.hh"
#include "metrics/carbon.hh"
#include "web/settings.hh"

namespace ballast::web {

class HttpServer;

class Service {
 public:
  /// Reads `settings` and lists `frontends` (addLocal's binds) in the API; both must
  /// outlive it.
  Service(core::Runtime& rt, std::string version, Settings& settings,
          const std::vector<core::LocalBind>& frontends);
  /// With settings of its own (unit tests, fuzzing).
  Service(core::Runtime& rt, std::string version);
  ~Service();

  Settings& settings() { return settings_; }
  std::shared_ptr<const WebConfig> config() const { return settings_.config(); }
  WebHandler handler(const std::string& path) const { return settings_.handler(path); }
  const std::vector<core::LocalBind>& frontends() const { return frontends_; }

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
  std::vector<core::LocalBind> noFrontends_;
  const std::vector<core::LocalBind>& frontends_;
  std::unique_ptr<HttpServer> http_;
  std::vector<std::unique_ptr<metrics::CarbonSender>> senders_;
};

}  // namespace ballast::web
