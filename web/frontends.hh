// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The frontends and the servers' stream figures as dnsdist's API and /metrics show them:
/// one frontend per socket kind (an addLocal bind is a "UDP" and a "TCP" frontend, as in
/// dnsdist), and the TCP/DoT/DoH figures of each server that has them.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/backend.hh"
#include "frontend/tcp_config.hh"

namespace ballast::metrics {
class PrometheusWriter;
}

namespace ballast::web {

struct FrontendRow {
  std::string address;  ///< with the port
  std::string type;     ///< dnsdist's: "UDP", "TCP", "TCP (DNS over TLS)", "TCP (DNS over HTTPS)"
  const core::FrontendStats* udp = nullptr;        ///< a UDP frontend's figures
  const frontend::StreamBind* stream = nullptr;  ///< a stream frontend's
};

/// Every frontend of `cfg`, in dnsdist's order: each addLocal's UDP then TCP, then the TLS
/// and DoH binds.
std::vector<FrontendRow> frontendRows(const frontend::StreamConfig& cfg);

nlohmann::json frontendJson(const FrontendRow& row, size_t id);

/// Adds the server's TCP figures (dnsdist's tcp* and tlsResumptions keys) when it is a
/// remote server; embedded resolvers have none.
void addServerStreamFigures(nlohmann::json& j, const core::Backend& b);

/// dnsdist_frontend_* and the dnsdist_server_tcp* families.
void writeFrontendMetrics(metrics::PrometheusWriter& w, const frontend::StreamConfig& cfg);
void writeServerStreamMetrics(metrics::PrometheusWriter& w,
                              const std::vector<std::shared_ptr<core::Backend>>& servers);

}  // namespace ballast::web
