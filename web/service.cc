// SPDX-License-Identifier: GPL-2.0-only
#include "web/service.hh"

#include "web/exports.hh"
#include "web/http_server.hh"

namespace ballast::web {

Service::Service(core::Runtime& rt, std::string version)
    : rt_(rt), version_(std::move(version)), config_(std::make_shared<WebConfig>()) {}

Service::~Service() {
  stop();
}

std::shared_ptr<const WebConfig> Service::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

void Service::updateConfig(const std::function<void(WebConfig&)>& change) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<WebConfig>(*config_);
  change(*next);
  config_ = std::move(next);
}

void Service::setHandler(const std::string& path, WebHandler h) {
  std::lock_guard lock(mutex_);
  handlers_[path] = std::move(h);
}

void Service::adoptConfiguration(Service& from) {
  std::shared_ptr<const WebConfig> cfg = from.config();
  std::map<std::string, WebHandler> handlers;
  {
    std::lock_guard lock(from.mutex_);
    handlers = std::move(from.handlers_);
  }
  std::lock_guard lock(mutex_);
  config_ = std::move(cfg);
  handlers_ = std::move(handlers);
}

WebHandler Service::handler(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = handlers_.find(path);
  return it == handlers_.end() ? WebHandler() : it->second;
}

void Service::start() {
  if (listen_ && !http_) {
    http_ = std::make_unique<HttpServer>(*this, *listen_);
    http_->start();
  }
  if (senders_.empty()) {
    for (const auto& c : carbon_) {
      senders_.push_back(
          std::make_unique<metrics::CarbonSender>(c, [this] { return carbonStats(rt_); }));
      senders_.back()->start();
    }
  }
}

void Service::stop() {
  for (auto& s : senders_) s->stop();
  senders_.clear();
  if (http_) http_->stop();
  http_.reset();
}

}  // namespace ballast::web
