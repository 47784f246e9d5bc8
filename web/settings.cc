// SPDX-License-Identifier: GPL-2.0-only
#include "web/settings.hh"

namespace ballast::web {

std::shared_ptr<const WebConfig> Settings::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

void Settings::updateConfig(const std::function<void(WebConfig&)>& change) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<WebConfig>(*config_);
  change(*next);
  config_ = std::move(next);
}

void Settings::setHandler(const std::string& path, WebHandler h) {
  std::lock_guard lock(mutex_);
  handlers_[path] = std::move(h);
}

WebHandler Settings::handler(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = handlers_.find(path);
  return it == handlers_.end() ? WebHandler() : it->second;
}

void Settings::adoptRuntimeFields(Settings& fresh) {
  std::shared_ptr<const WebConfig> cfg = fresh.config();
  std::map<std::string, WebHandler> handlers;
  {
    std::lock_guard lock(fresh.mutex_);
    handlers = std::move(fresh.handlers_);
  }
  std::lock_guard lock(mutex_);
  config_ = std::move(cfg);
  handlers_ = std::move(handlers);
}

}  // namespace ballast::web
