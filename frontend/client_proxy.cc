// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/client_proxy.hh"

#include <sys/socket.h>

#include <cerrno>

#include "core/proxy_origin.hh"

namespace ballast::frontend {

std::unique_ptr<ClientProxy> ClientProxy::forClient(const core::Address& client,
                                                    const core::Address& local,
                                                    const core::RuntimeConfig& cfg) {
  if (!core::needsProxyHeader(client, cfg)) return nullptr;
  return std::make_unique<ClientProxy>(client, local);
}

ClientProxy::ClientProxy(const core::Address& client, const core::Address& local) {
  origin_.client = client;
  origin_.local = local;
}

ClientProxy::Step ClientProxy::advance(int fd, const core::RuntimeConfig& cfg,
                                       core::GlobalStats& stats) {
  if (ready_) return Step::Ready;
  size_t maxSize = cfg.settings.proxyProtocolMaxSize;
  for (;;) {
    // The fixed part first, then exactly the length it announces: what follows the
    // header (a TLS ClientHello, a query) stays in the socket for the protocol on top.
    size_t want = dns::proxy::kFixedSize;
    if (buf_.size() >= dns::proxy::kFixedSize) want += size_t(buf_[14]) << 8 | buf_[15];
    if (want > maxSize) want = maxSize;  // parse() then reports TooLarge
    if (buf_.size() < want) {
      size_t have = buf_.size();
      buf_.resize(want);
      ssize_t n = recv(fd, buf_.data() + have, want - have, 0);
      buf_.resize(have + size_t(n > 0 ? n : 0));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        if (buf_.empty()) return Step::Closed;
        stats.proxyProtocolInvalid.inc();
        return Step::Invalid;
      }
      if (n < 0) return Step::Wait;
    }
    dns::proxy::Header h;
    dns::proxy::Status s = dns::proxy::parse(buf_, maxSize, h);
    if (s == dns::proxy::Status::Incomplete) {
      if (buf_.size() < want) return Step::Wait;
      continue;
    }
    if (s != dns::proxy::Status::Ok) {
      stats.proxyProtocolInvalid.inc();
      return Step::Invalid;
    }
    core::applyProxyHeader(h, origin_, values_);
    ready_ = true;
    std::vector<uint8_t>().swap(buf_);
    return Step::Ready;
  }
}

void ClientProxy::fill(core::QueryContext& q) const {
  core::Destination& d = q.destination;
  d.client = origin_.client;
  d.local = origin_.local;
  d.proxied = origin_.proxied;
  d.peer = origin_.peer;
  d.peerLocal = origin_.peerLocal;
  q.proxyValues = values_;
}

}  // namespace ballast::frontend
