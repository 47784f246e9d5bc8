// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/tcp_stats.hh"

#include <fmt/format.h>

#include <functional>

namespace ballast::frontend {

std::vector<const StreamBind*> allStreamBinds(const StreamConfig& cfg) {
  std::vector<const StreamBind*> out;
  for (const auto& b : cfg.tcpBinds) out.push_back(&b);
  for (const auto& b : cfg.tlsBinds) out.push_back(&b);
  for (const auto& b : cfg.dohBinds) out.push_back(&b);
  return out;
}

std::string formatTcpStats(const StreamConfig& cfg, const std::vector<int64_t>& perThread) {
  const TcpGlobalStats& g = *cfg.stats;
  int64_t current = 0;
  for (const auto* b : allStreamBinds(cfg)) current += b->stats->current.load();
  std::string out =
      fmt::format("{:<12} {:<12} {:<12} {:<12}\n", "Clients", "MaxClients", "Queued", "MaxQueued");
  out += fmt::format("{:<12} {:<12} {:<12} {:<12}\n", current, cfg.settings.maxConnectionsPerClient,
                     g.queued.load(), cfg.settings.maxQueuedConnections);
  out += fmt::format(
      "Max queued seen: {}, queued dropped: {}, refused per client: {}, "
      "closed after max queries: {}, closed after max duration: {}\n",
      g.maxQueued.load(), g.queuedDropped.value(), g.perClientRefused.value(),
      g.tooManyQueries.value(), g.durationExceeded.value());
  out += "\nConnections per thread:";
  for (size_t i = 0; i < perThread.size(); ++i) out += fmt::format(" {}", perThread[i]);
  out += "\n\n";
  constexpr auto kRow =
      "{:<3} {:<24.24} {:>11} {:>11} {:>10} {:>10} {:>8} {:>10} {:>11} {:>9.1f} {:>10.1f} {:>9} "
      "{:>9} "
      "{:>8} {:>8} {:>8} {:>8}\n";
  out += fmt::format(
      "{:<3} {:<24} {:>11} {:>11} {:>10} {:>10} {:>8} {:>10} {:>11} {:>9} {:>10} {:>9} {:>9} {:>8} "
      "{:>8} {:>8} {:>8}\n",
      "#", "Address", "Connections", "MaxConcurr", "DiedRead", "DiedSend", "GaveUp", "ClientTO",
      "TooManyConn", "Q/conn", "AvgDurMs", "TLSNew", "TLSResum", "TLSFail", "TLS1.2", "TLS1.3",
      "TLSOther");
  size_t n = 0;
  for (const auto* b : allStreamBinds(cfg)) {
    const StreamBindStats& s = *b->stats;
    uint64_t conns = s.connections.value();
    // Averages over finished connections would need another counter; over all is close.
    double perConn = conns ? double(s.queries.value()) / double(conns) : 0;
    double avgMs = conns ? double(s.durationMsSum.value()) / double(conns) : 0;
    std::string addr = (b->doh ? "doh " : b->tls ? "tls " : "tcp ") + b->address.toStringWithPort();
    out += fmt::format(kRow, n++, addr, conns, s.maxConcurrent.load(), s.diedReadingQuery.value(),
                       s.diedSendingResponse.value(), s.gaveUp.value(), s.clientTimeouts.value(),
                       s.tooManyConcurrent.value(), perConn, avgMs, s.tlsNewSessions.value(),
                       s.tlsResumptions.value(), s.tlsHandshakeFailures.value(), s.tls12.value(),
                       s.tls13.value(), s.tlsOther.value());
  }
  return out;
}

void registerStreamStats(metrics::Registry& r, const StreamConfig& cfg) {
  // The tcp-* figures are DNS over TCP and DoT only, as their names say: DoH has its own
  // (getDOHFrontend(n):getStats()), as in dnsdist, whose DoH frontends are not TCP ones.
  // The tls-* figures count every TLS session, DoH's too.
  auto sumOver = [&cfg](bool withDoh, std::function<double(const StreamBindStats&)> f) {
    return [&cfg, withDoh, f] {
      double t = 0;
      for (const auto* b : allStreamBinds(cfg))
        if (withDoh || !b->doh) t += f(*b->stats);
      return t;
    };
  };
  auto sum = [&sumOver](std::function<double(const StreamBindStats&)> f) {
    return sumOver(false, std::move(f));
  };
  auto sumAll = [&sumOver](std::function<double(const StreamBindStats&)> f) {
    return sumOver(true, std::move(f));
  };
  r.addGauge("tcp-current-connections",
             sum([](const StreamBindStats& s) { return double(s.current.load()); }),
             "Number of TCP and DoT connections currently open");
  r.addGauge("tcp-connections",
             sum([](const StreamBindStats& s) { return double(s.connections.value()); }),
             "Number of TCP and DoT connections accepted");
  r.addGauge("tcp-queries", sum([](const StreamBindStats& s) { return double(s.queries.value()); }),
             "Number of queries received over TCP and DoT");
  r.addGauge("tcp-died-reading-query",
             sum([](const StreamBindStats& s) { return double(s.diedReadingQuery.value()); }),
             "Number of TCP connections that failed while reading a query");
  r.addGauge("tcp-died-sending-response",
             sum([](const StreamBindStats& s) { return double(s.diedSendingResponse.value()); }),
             "Number of TCP connections that failed while sending a response");
  r.addGauge("tcp-gave-up", sum([](const StreamBindStats& s) { return double(s.gaveUp.value()); }),
             "Number of TCP connections closed while waiting for a backend");
  r.addGauge("tcp-client-timeouts",
             sum([](const StreamBindStats& s) { return double(s.clientTimeouts.value()); }),
             "Number of TCP connections closed because the client was too slow or idle");
  r.addGauge("tcp-too-many-concurrent-connections",
             sum([](const StreamBindStats& s) { return double(s.tooManyConcurrent.value()); }),
             "Number of TCP connections refused over maxConcurrentTCPConnections");
  r.addGauge("tls-new-sessions",
             sumAll([](const StreamBindStats& s) { return double(s.tlsNewSessions.value()); }),
             "Number of TLS sessions established without resumption");
  r.addGauge("tls-resumptions",
             sumAll([](const StreamBindStats& s) { return double(s.tlsResumptions.value()); }),
             "Number of TLS sessions resumed");
  r.addGauge("tls-handshake-failures", sumAll([](const StreamBindStats& s) {
               return double(s.tlsHandshakeFailures.value());
             }),
             "Number of TLS handshakes that failed or timed out");
  const TcpGlobalStats* g = cfg.stats.get();
  r.add("tcp-queued-connections-dropped", g->queuedDropped,
        "Number of TCP connections dropped over setMaxTCPQueuedConnections");
  r.add("tcp-too-many-connections-per-client", g->perClientRefused,
        "Number of TCP connections refused over setMaxTCPConnectionsPerClient");
  r.add("tcp-too-many-queries-per-connection", g->tooManyQueries,
        "Number of TCP connections closed after setMaxTCPQueriesPerConnection queries");
  r.add("tcp-max-duration-exceeded", g->durationExceeded,
        "Number of TCP connections closed after setMaxTCPConnectionDuration");
}

}  // namespace ballast::frontend
