// SPDX-License-Identifier: GPL-2.0-only
#include "web/service.hh"

#include "web/exports.hh"
#include "web/http_server.hh"

namespace ballast::web {

Service::Service(core::Runtime& rt, std::string version, Settings& settings,
                 const frontend::StreamConfig& stream)
    : rt_(rt), version_(std::move(version)), settings_(settings), stream_(stream) {}

Service::Service(core::Runtime& rt, std::string version)
    : rt_(rt),
      version_(std::move(version)),
      own_(std::make_unique<Settings>()),
      settings_(*own_),
      stream_(noStream_) {}

Service::~Service() {
  stop();
}

void Service::start() {
  if (settings_.listenAddress() && !http_) {
    http_ = std::make_unique<HttpServer>(*this, *settings_.listenAddress());
    http_->start();
  }
  if (senders_.empty()) {
    for (const auto& c : settings_.carbon()) {
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
