// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The operator-facing outputs configured from Lua: the web server (webserver(),
/// setWebserverConfig, setAPIWritable, registerWebHandler) and the carbon exporters
/// (carbonServer). Lua fills it while configuring; daemon/main starts it after the
/// frontends and stops it first.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hh"
#include "core/runtime.hh"
#include "metrics/carbon.hh"
#include "web/web_config.hh"

namespace ballast::web {

class HttpServer;

/// A request as a Lua web handler sees it (dnsdist's WebRequest).
struct WebRequest {
  std::string path, method, body;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::map<std::string, std::string> getvars;
};
/// What a Lua web handler answers (dnsdist's WebResponse).
struct WebResponse {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
};
/// Runs the Lua handler registered for a path; false (and 500) if it failed.
using WebHandler = std::function<bool(const WebRequest&, WebResponse&)>;

class Service {
 public:
  explicit Service(core::Runtime& rt, std::string version);
  ~Service();

  /// webserver(address): where the HTTP server listens once started.
  void setListenAddress(const core::Address& a) { listen_ = a; }
  const std::optional<core::Address>& listenAddress() const { return listen_; }

  std::shared_ptr<const WebConfig> config() const;
  /// Copy, edit, publish, as core::Runtime::update.
  void updateConfig(const std::function<void(WebConfig&)>& change);

  void addCarbon(metrics::CarbonConfig c) { carbon_.push_back(std::move(c)); }

  void setHandler(const std::string& path, WebHandler h);
  /// The handler for an exact path, or an empty function.
  WebHandler handler(const std::string& path) const;
  /// A configuration reload: the handlers and settings `from` (filled by the file, never
  /// started) was given replace these; where it listens and exports stays as started.
  void adoptConfiguration(Service& from);

  /// Binds and starts the HTTP thread (if webserver() was called) and the carbon threads.
  /// Throws std::runtime_error naming the address if it cannot bind.
  void start();
  void stop();

  core::Runtime& runtime() { return rt_; }
  const std::string& version() const { return version_; }

 private:
  core::Runtime& rt_;
  std::string version_;
  std::optional<core::Address> listen_;
  mutable std::mutex mutex_;  // config_ and handlers_: read once per request, never per query
  std::shared_ptr<const WebConfig> config_;
  std::map<std::string, WebHandler> handlers_;
  std::vector<metrics::CarbonConfig> carbon_;
  std::unique_ptr<HttpServer> http_;
  std::vector<std::unique_ptr<metrics::CarbonSender>> senders_;
};

}  // namespace ballast::web
