// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// web/'s configuration interface: what Lua sets on the web server and the carbon exporters
/// (webserver, setWebserverConfig, setAPIWritable, registerWebHandler, carbonServer). The
/// daemon owns one and hands it to web::Service, which reads it per request; Lua writes it
/// at configuration time and from the console. No implementation dependency here: lua/
/// includes this header (and web_config.hh, auth.hh) and nothing else of web/.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hh"
#include "metrics/carbon.hh"
#include "web/web_config.hh"

namespace ballast::web {

/// A request as a Lua web handler sees it (dnsdist's WebRequest).
struct WebRequest {
  std::string path, method, body;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::map<std::string, std::string> getvars;
  /// The body's fields when it is a form (application/x-www-form-urlencoded).
  std::map<std::string, std::string> postvars;
  int version = 11;  ///< HTTP version, major * 10 + minor, as dnsdist gives it
};
/// What a Lua web handler answers (dnsdist's WebResponse).
struct WebResponse {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
};
/// Runs the Lua handler registered for a path; false (and 500) if it failed.
using WebHandler = std::function<bool(const WebRequest&, WebResponse&)>;

class Settings {
 public:
  Settings() : config_(std::make_shared<WebConfig>()) {}

  /// webserver(address): where the HTTP server listens once started (configuration time).
  void setListenAddress(const core::Address& a) { listen_ = a; }
  const std::optional<core::Address>& listenAddress() const { return listen_; }

  /// Read once per request.
  std::shared_ptr<const WebConfig> config() const;
  /// Copy, edit, publish, as core::Runtime::update.
  void updateConfig(const std::function<void(WebConfig&)>& change);

  void setHandler(const std::string& path, WebHandler h);
  /// The handler for an exact path, or an empty function.
  WebHandler handler(const std::string& path) const;

  /// carbonServer() (configuration time).
  void addCarbon(metrics::CarbonConfig c) { carbon_.push_back(std::move(c)); }
  const std::vector<metrics::CarbonConfig>& carbon() const { return carbon_; }

  /// A configuration reload: the handlers and settings `fresh` (filled by the file) was
  /// given replace these; where it listens and exports stays as started.
  void adoptRuntimeFields(Settings& fresh);

 private:
  std::optional<core::Address> listen_;
  mutable std::mutex mutex_;  // config_ and handlers_: read once per request, never per query
  std::shared_ptr<const WebConfig> config_;
  std::map<std::string, WebHandler> handlers_;
  std::vector<metrics::CarbonConfig> carbon_;
};

}  // namespace ballast::web
