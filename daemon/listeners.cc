// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/listeners.hh"

#include <fmt/format.h>

#include <string>

#include "frontend/tcp_stats.hh"

namespace ballast::daemon {

namespace {

bool sameBind(const core::LocalBind& a, const core::LocalBind& b) {
  return a.address == b.address && a.reusePort == b.reusePort && a.tcp == b.tcp &&
         a.maxInFlight == b.maxInFlight &&
         a.maxConcurrentTCPConnections == b.maxConcurrentTCPConnections;
}

bool sameLocals(const std::vector<core::LocalBind>& a, const std::vector<core::LocalBind>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!sameBind(a[i], b[i])) return false;
  return true;
}

bool sameStreamBinds(const std::vector<frontend::StreamBind>& a,
                     const std::vector<frontend::StreamBind>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i].address == b[i].address) || a[i].reusePort != b[i].reusePort) return false;
  return true;
}

}  // namespace

Listeners::~Listeners() {
  stopAccepting();
  stopWorkers();
}

void Listeners::bind() {
  // addLocal listens on TCP too (dnsdist); DoT and DoH binds come from addTLSLocal and
  // addDOHLocal.
  stream_.tcpBinds.clear();
  for (const auto& l : stream_.locals) {
    if (!l.tcp) continue;
    frontend::StreamBind b;
    b.address = l.address;
    b.reusePort = l.reusePort;
    b.maxInFlight = l.maxInFlight;
    b.maxConcurrentConnections = l.maxConcurrentTCPConnections;
    b.listen = l.listen;
    stream_.tcpBinds.push_back(std::move(b));
  }
  frontend::registerStreamStats(rt_.registry, stream_);
  tcpPool_ = std::make_unique<frontend::TcpWorkerPool>(rt_, stream_);
  for (const auto& local : stream_.locals)
    udp_.push_back(std::make_unique<frontend::UdpListener>(local, rt_));
  for (const auto* b : frontend::allStreamBinds(stream_))
    acceptors_.push_back(std::make_unique<frontend::TcpAcceptor>(*b, *tcpPool_));
}

void Listeners::start(bool verbose) {
  for (auto& l : udp_) {
    l->start();
    if (verbose) fmt::print(stderr, "Listening on {}\n", l->address().toStringWithPort());
  }
  tcpPool_->start();
  for (auto& a : acceptors_) {
    a->start();
    if (verbose)
      fmt::print(stderr, "Listening on {} {}\n",
                 a->bind().doh   ? "DoH"
                 : a->bind().tls ? "DoT"
                                 : "TCP",
                 a->bind().address.toStringWithPort());
  }
}

void Listeners::stopAccepting() {
  for (auto& l : udp_) l->stop();
  for (auto& a : acceptors_) a->stop();
}

void Listeners::stopWorkers() {
  if (tcpPool_) tcpPool_->stop();
}

std::vector<int64_t> Listeners::connectionsPerThread() const {
  std::vector<int64_t> n;
  if (tcpPool_)
    for (const auto& w : tcpPool_->workers()) n.push_back(w->connectionCount());
  return n;
}

std::vector<std::string> Listeners::restartNeeded(const core::StartupConfig& startup,
                                                  const frontend::StreamConfig& stream) const {
  const auto& running = rt_.startup;
  std::vector<std::string> out;
  if (!sameLocals(stream_.locals, stream.locals)) out.push_back("addLocal/setLocal addresses");
  if (running.udpRecvBufferSize != startup.udpRecvBufferSize ||
      running.udpSendBufferSize != startup.udpSendBufferSize)
    out.push_back("setUDPSocketBufferSizes");
  if (running.maxUDPOutstanding != startup.maxUDPOutstanding) out.push_back("setMaxUDPOutstanding");
  if (!sameStreamBinds(stream_.tlsBinds, stream.tlsBinds)) out.push_back("addTLSLocal");
  if (!sameStreamBinds(stream_.dohBinds, stream.dohBinds)) out.push_back("addDOHLocal");
  return out;
}

}  // namespace ballast::daemon
