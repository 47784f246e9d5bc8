// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/tcp_worker.hh"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "core/clock.hh"
#include "frontend/doh_connection.hh"
#include "frontend/tcp_connection.hh"
#include "frontend/tls_context.hh"

namespace ballast::frontend {

namespace {
std::string clientKey(const core::Address& a) {
  return std::string(reinterpret_cast<const char*>(a.bytes()), a.byteLength());
}
}  // namespace

bool ClientLimiter::acquire(const core::Address& a) {
  if (max_ == 0) return true;
  std::lock_guard lock(mutex_);
  uint64_t& n = counts_[clientKey(a)];
  if (n >= max_) return false;
  ++n;
  return true;
}

void ClientLimiter::release(const core::Address& a) {
  if (max_ == 0) return;
  std::lock_guard lock(mutex_);
  auto it = counts_.find(clientKey(a));
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

TcpWorker::TcpWorker(WorkerContext ctx, size_t index)
    : ctx_(ctx),
      index_(index),
      scratch_(new uint8_t[kScratchSize]),
      query_(new uint8_t[kScratchSize]),
      frame_(new uint8_t[kFrameBufferSize]),
      config_(ctx.rt.config) {
  base_ = event_base_new();
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!base_ || wakeFd_ < 0) throw std::runtime_error("creating a TCP worker's event loop");
  wakeEvent_ = event_new(base_, wakeFd_, EV_READ | EV_PERSIST, onWake, this);
  event_add(wakeEvent_, nullptr);
}

TcpWorker::~TcpWorker() {
  stop();
  for (auto& n : newConnections_) {
    n.bind->stats->current.fetch_sub(1, std::memory_order_relaxed);
    close(n.fd);
  }
  if (wakeEvent_) event_free(wakeEvent_);
  if (base_) event_base_free(base_);
  if (wakeFd_ >= 0) close(wakeFd_);
}

void TcpWorker::start() {
  thread_ = std::thread([this] { event_base_dispatch(base_); });
}

void TcpWorker::stop() {
  if (!thread_.joinable()) return;
  event_base_loopbreak(base_);
  wake();
  thread_.join();
  // The loop has stopped: close what is left on this thread.
  for (auto& c : slots_)
    if (c) c->shutdown();
}

void TcpWorker::wake() {
  uint64_t one = 1;
  ssize_t r = write(wakeFd_, &one, sizeof(one));
  (void)r;  // a full counter already wakes the loop
}

void TcpWorker::adopt(int fd, const core::Address& client, const core::Address& local,
                      const StreamBind& bind) {
  bool first;
  {
    std::lock_guard lock(inboxMutex_);
    first = newConnections_.empty() && answers_.empty();
    newConnections_.push_back({fd, client, local, &bind});
  }
  if (first) wake();
}

void TcpWorker::deliver(const core::Destination& d, std::span<const uint8_t> response) {
  deliverPart(d, response, core::AnswerPart::Whole);
}

void TcpWorker::deliverPart(const core::Destination& d, std::span<const uint8_t> response,
                            core::AnswerPart part) {
  bool first;
  {
    std::lock_guard lock(inboxMutex_);
    first = newConnections_.empty() && answers_.empty();
    answers_.emplace_back();
    Answer& a = answers_.back();
    a.cookie = d.cookie;
    a.part = part;
    // A buffer from an earlier answer: no allocation per answer once warm.
    if (!spare_.empty()) {
      a.bytes = std::move(spare_.back());
      spare_.pop_back();
    }
    a.bytes.assign(response.begin(), response.end());
  }
  if (first) wake();
}

void TcpWorker::onWake(evutil_socket_t fd, short, void* self) {
  uint64_t n;
  ssize_t r = read(fd, &n, sizeof(n));
  (void)r;
  static_cast<TcpWorker*>(self)->drainInbox();
}

void TcpWorker::drainInbox() {
  std::vector<NewConnection> fresh;
  {
    std::lock_guard lock(inboxMutex_);
    fresh.swap(newConnections_);
    draining_.swap(answers_);
  }
  for (auto& a : draining_) {
    uint32_t slot = uint32_t(a.cookie >> 32), gen = uint32_t(a.cookie);
    if (slot < slots_.size() && slots_[slot] && generations_[slot] == gen)
      slots_[slot]->onAnswer(a.bytes, a.part);
  }
  if (!draining_.empty()) {
    std::lock_guard lock(inboxMutex_);
    for (auto& a : draining_)
      if (spare_.size() < kMaxSpareBuffers && a.bytes.capacity() <= kSpareBufferSize)
        spare_.push_back(std::move(a.bytes));
  }
  draining_.clear();
  for (auto& n : fresh) {
    ctx_.global.queued.fetch_sub(1, std::memory_order_relaxed);
    std::unique_ptr<TlsIo> tls;
    if (n.bind->tls) {
      n.bind->tls->rotateTicketsKeyIfDue(core::monotonicUsec() / 1000000);
      SSL* ssl = n.bind->tls->newSession(n.fd);
      if (!ssl) {
        n.bind->stats->tlsHandshakeFailures.inc();
        n.bind->stats->current.fetch_sub(1, std::memory_order_relaxed);
        ctx_.limiter.release(n.client);
        close(n.fd);
        continue;
      }
      tls = std::make_unique<TlsIo>(ssl);
    }
    uint32_t slot;
    if (free_.empty()) {
      slot = uint32_t(slots_.size());
      slots_.emplace_back();
      generations_.push_back(0);
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    std::unique_ptr<StreamConnection> c;
    if (n.bind->doh)
      c = std::make_unique<DohConnection>(*this, n.fd, n.client, n.local, *n.bind, std::move(tls));
    else
      c = std::make_unique<DnsStreamConnection>(*this, n.fd, n.client, n.local, *n.bind,
                                                std::move(tls));
    c->slot = slot;
    c->generation = generations_[slot];
    StreamConnection* raw = c.get();
    slots_[slot] = std::move(c);
    live_.fetch_add(1, std::memory_order_relaxed);
    raw->start();  // may close (and free) it at once
  }
}

void TcpWorker::release(StreamConnection* c) {
  uint32_t slot = c->slot;
  ++generations_[slot];  // answers still on their way for it are dropped
  free_.push_back(slot);
  live_.fetch_sub(1, std::memory_order_relaxed);
  slots_[slot].reset();
}

TcpWorkerPool::TcpWorkerPool(core::Runtime& rt, const StreamConfig& cfg)
    : settings_(cfg.settings), stats_(cfg.stats), limiter_(cfg.settings.maxConnectionsPerClient) {
  size_t n = settings_.workerThreads == 0 ? 1 : settings_.workerThreads;
  for (size_t i = 0; i < n; ++i)
    workers_.push_back(
        std::make_unique<TcpWorker>(WorkerContext{rt, settings_, *stats_, limiter_}, i));
}

void TcpWorkerPool::start() {
  for (auto& w : workers_) w->start();
}

void TcpWorkerPool::stop() {
  for (auto& w : workers_) w->stop();
}

void TcpWorkerPool::dispatch(int fd, const core::Address& client, const core::Address& local,
                             const StreamBind& bind) {
  TcpGlobalStats& g = *stats_;
  int64_t queued = g.queued.fetch_add(1, std::memory_order_relaxed) + 1;
  if (settings_.maxQueuedConnections != 0 && queued > int64_t(settings_.maxQueuedConnections)) {
    g.queued.fetch_sub(1, std::memory_order_relaxed);
    g.queuedDropped.inc();
    bind.stats->current.fetch_sub(1, std::memory_order_relaxed);
    limiter_.release(client);
    close(fd);
    return;
  }
  int64_t max = g.maxQueued.load(std::memory_order_relaxed);
  while (queued > max && !g.maxQueued.compare_exchange_weak(max, queued)) {
  }
  size_t i = next_.fetch_add(1, std::memory_order_relaxed) % workers_.size();
  workers_[i]->adopt(fd, client, local, bind);
}

}  // namespace ballast::frontend
