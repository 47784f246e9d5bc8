// SPDX-License-Identifier: GPL-2.0-only
#include "web/frontends.hh"

#include <map>

#include "backends/remote/remote_backend.hh"
#include "metrics/prometheus.hh"

namespace ballast::web {

using nlohmann::json;

namespace {

std::string streamType(const frontend::StreamBind& b) {
  if (b.doh) return b.tls ? "TCP (DNS over HTTPS)" : "TCP (DNS over HTTP)";
  return b.tls ? "TCP (DNS over TLS)" : "TCP";
}

/// One figure of a stream frontend: its API key, its /metrics name (dnsdist_frontend_...).
struct StreamFigure {
  const char* key;
  const char* metric;
  const char* help;
  const char* type;
  double (*read)(const frontend::StreamBindStats&);
  bool tlsOnly = false;
};

double perConnection(const frontend::StreamBindStats& s, uint64_t total) {
  uint64_t conns = s.connections.value();
  return conns ? double(total) / double(conns) : 0;
}

// dnsdist's averages are moving ones; these are over the bind's whole life.
const StreamFigure kStreamFigures[] = {
    {"tcpDiedReadingQuery", "tcpdiedreadingquery",
     "Amount of errors encountered while reading a query from the client", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.diedReadingQuery.value()); }},
    {"tcpDiedSendingResponse", "tcpdiedsendingresponse",
     "Amount of errors encountered while sending a response to the client", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.diedSendingResponse.value()); }},
    {"tcpGaveUp", "tcpgaveup",
     "Amount of connections closed while waiting for an answer from a server", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.gaveUp.value()); }},
    {"tcpClientTimeouts", "tcpclientimeouts",
     "Amount of timeouts while reading a query from or writing an answer to the client",
     "counter",
     [](const frontend::StreamBindStats& s) { return double(s.clientTimeouts.value()); }},
    {"tcpCurrentConnections", "tcpcurrentconnections", "Amount of current incoming connections",
     "gauge", [](const frontend::StreamBindStats& s) { return double(s.current.load()); }},
    {"tcpMaxConcurrentConnections", "tcpmaxconcurrentconnections",
     "Maximum number of concurrent incoming connections seen", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.maxConcurrent.load()); }},
    {"tcpTooManyConcurrentConnections", "tcptoomanyconcurrentconnections",
     "Amount of connections refused over maxConcurrentTCPConnections", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.tooManyConcurrent.value()); }},
    {"tcpNewConnections", "tcpnewconnections", "Amount of connections accepted", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.connections.value()); }},
    {"tcpAvgQueriesPerConnection", "tcpavgqueriesperconnection",
     "Average number of queries per connection", "gauge",
     [](const frontend::StreamBindStats& s) { return perConnection(s, s.queries.value()); }},
    {"tcpAvgConnectionDuration", "tcpavgconnectionduration",
     "Average duration of a connection in milliseconds", "gauge",
     [](const frontend::StreamBindStats& s) { return perConnection(s, s.durationMsSum.value()); }},
    {"tlsNewSessions", "tlsnewsessions", "Amount of new TLS sessions negotiated", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.tlsNewSessions.value()); }, true},
    {"tlsResumptions", "tlsresumptions", "Amount of TLS sessions resumed", "counter",
     [](const frontend::StreamBindStats& s) { return double(s.tlsResumptions.value()); }, true},
    {"tlsHandshakeFailures", "tlshandshakefailures", "Amount of TLS handshake failures",
     "counter",
     [](const frontend::StreamBindStats& s) { return double(s.tlsHandshakeFailures.value()); },
     true},
};

/// One figure of a remote server's TCP side (dnsdist's tcp* server keys).
struct ServerFigure {
  const char* key;
  const char* metric;
  const char* help;
  const char* type;
  double (*read)(const backends::remote::TcpClientStats&);
};

const ServerFigure kServerStreamFigures[] = {
    {"tcpDiedSendingQuery", "tcpdiedsendingquery",
     "The number of TCP I/O errors while sending the query", "counter",
     [](const backends::remote::TcpClientStats& t) { return double(t.diedSendingQuery.value()); }},
    {"tcpDiedReadingResponse", "tcpdiedreadingresponse",
     "The number of TCP I/O errors while reading the response", "counter",
     [](const backends::remote::TcpClientStats& t) {
       return double(t.diedReadingResponse.value());
     }},
    {"tcpReadTimeouts", "tcpreadtimeouts", "The number of TCP read timeouts", "counter",
     [](const backends::remote::TcpClientStats& t) { return double(t.readTimeouts.value()); }},
    {"tcpCurrentConnections", "tcpcurrentconnections",
     "The number of current TCP connections", "gauge",
     [](const backends::remote::TcpClientStats& t) { return double(t.current.load()); }},
    {"tcpTooManyConcurrentConnections", "tcptoomanyconcurrentconnections",
     "The number of times a query waited for a free TCP connection", "counter",
     [](const backends::remote::TcpClientStats& t) {
       return double(t.tooManyConnections.value());
     }},
    {"tcpNewConnections", "tcpnewconnections", "The number of established TCP connections",
     "counter",
     [](const backends::remote::TcpClientStats& t) { return double(t.connections.value()); }},
    {"tcpReusedConnections", "tcpreusedconnections",
     "The number of times a TCP connection was reused", "counter",
     [](const backends::remote::TcpClientStats& t) { return double(t.reused.value()); }},
    {"tlsResumptions", "tlsresumptions", "The number of times a TLS session was resumed",
     "counter",
     [](const backends::remote::TcpClientStats& t) { return double(t.tlsResumptions.value()); }},
};

const backends::remote::TcpClientStats* streamStatsOf(const core::Backend& b) {
  auto* remote = dynamic_cast<const backends::remote::RemoteBackend*>(&b);
  return remote ? &remote->tcpStats() : nullptr;
}

}  // namespace

std::vector<FrontendRow> frontendRows(const frontend::StreamConfig& cfg) {
  std::vector<FrontendRow> rows;
  size_t tcp = 0;
  for (const auto& l : cfg.locals) {
    std::string addr = l.address.toStringWithPort();
    rows.push_back({addr, "UDP", l.stats.get(), nullptr});
    // tcpBinds are made from the locals that listen on TCP, in order, when they bind.
    if (l.tcp && tcp < cfg.tcpBinds.size()) rows.push_back({addr, "TCP", nullptr, &cfg.tcpBinds[tcp++]});
  }
  for (const auto* list : {&cfg.tlsBinds, &cfg.dohBinds})
    for (const auto& b : *list)
      rows.push_back({b.address.toStringWithPort(), streamType(b), nullptr, &b});
  return rows;
}

json frontendJson(const FrontendRow& row, size_t id) {
  json j = {{"id", id},
            {"address", row.address},
            {"type", row.type},
            {"udp", row.udp != nullptr},
            {"tcp", row.stream != nullptr}};
  if (row.udp) {
    j["queries"] = row.udp->queries.value();
    j["responses"] = row.udp->answered.value();
    return j;
  }
  const auto& s = *row.stream->stats;
  j["queries"] = s.queries.value();
  for (const auto& f : kStreamFigures)
    if (!f.tlsOnly || row.stream->tls) j[f.key] = f.read(s);
  return j;
}

void addServerStreamFigures(json& j, const core::Backend& b) {
  const auto* t = streamStatsOf(b);
  if (!t) return;
  for (const auto& f : kServerStreamFigures) j[f.key] = f.read(*t);
}

void writeFrontendMetrics(metrics::PrometheusWriter& w, const frontend::StreamConfig& cfg) {
  auto rows = frontendRows(cfg);
  // dnsdist's labels; thread tells apart the copies of one address and kind (reusePort).
  std::map<std::string, int> copies;
  std::vector<metrics::Labels> labels;
  for (const auto& r : rows) {
    int n = copies[r.address + "_" + r.type]++;
    labels.push_back({{"frontend", r.address}, {"proto", r.type}, {"thread", std::to_string(n)}});
  }
  w.family("dnsdist_frontend_queries", "Amount of queries received by this frontend", "counter");
  for (size_t i = 0; i < rows.size(); ++i)
    w.sample("dnsdist_frontend_queries", labels[i],
             double(rows[i].udp ? rows[i].udp->queries.value()
                                : rows[i].stream->stats->queries.value()));
  for (const auto& f : kStreamFigures) {
    std::string name = std::string("dnsdist_frontend_") + f.metric;
    w.family(name, f.help, f.type);
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto* b = rows[i].stream;
      if (b && (!f.tlsOnly || b->tls)) w.sample(name, labels[i], f.read(*b->stats));
    }
  }
}

void writeServerStreamMetrics(metrics::PrometheusWriter& w,
                              const std::vector<std::shared_ptr<core::Backend>>& servers) {
  for (const auto& f : kServerStreamFigures) {
    std::string name = std::string("dnsdist_server_") + f.metric;
    w.family(name, f.help, f.type);
    for (const auto& b : servers)
      if (const auto* t = streamStatsOf(*b))
        w.sample(name, {{"server", b->name()}, {"address", b->addressString()}}, f.read(*t));
  }
}

}  // namespace ballast::web
