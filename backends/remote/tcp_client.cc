// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/tcp_client.hh"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/clock.hh"
#include "dns/header.hh"
#include "dns/tcp_framing.hh"
#include "dns/types.hh"

namespace ballast::backends::remote {

namespace {
constexpr size_t kDefaultMaxInFlight = 100;  // per connection, unless maxInFlight says
// Queries a connection carries before another is opened beside it (when allowed).
constexpr size_t kPipelineBeforeNew = 50;
constexpr size_t kMaxWaiting = 10000;  // queries waiting for a connection slot
constexpr int64_t kIdleMs = 30000;     // an unused connection is closed after this
constexpr int kDefaultAttempts = 2;    // a query lost with its connection is sent once more

int64_t nowMs() {
  return core::monotonicUsec() / 1000;
}
}  // namespace

TcpClient::TcpClient(core::Backend& owner, const core::Address& address, size_t maxConnections,
                     core::Runtime& rt, TcpClientLimits limits)
    : owner_(owner),
      address_(address),
      maxConnections_(maxConnections == 0 ? SIZE_MAX : maxConnections),
      rt_(rt),
      limits_(std::move(limits)) {
  if (limits_.maxInFlight == 0) limits_.maxInFlight = kDefaultMaxInFlight;
  if (limits_.retries <= 0) limits_.retries = kDefaultAttempts;
}

TcpClient::~TcpClient() {
  stop();
}

void TcpClient::start() {
  if (running_) return;
  base_ = event_base_new();
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!base_ || wakeFd_ < 0)
    throw std::runtime_error(fmt::format("TCP event loop for {}", owner_.name()));
  wakeEvent_ = event_new(base_, wakeFd_, EV_READ | EV_PERSIST, onWake, this);
  event_add(wakeEvent_, nullptr);
  running_ = true;
  thread_ = std::thread([this] {
    core::Completer completer(rt_);
    completer_ = &completer;
    event_base_dispatch(base_);
    completer_ = nullptr;
  });
}

void TcpClient::stop() {
  if (!running_.exchange(false)) return;
  event_base_loopbreak(base_);
  uint64_t one = 1;
  ssize_t r = write(wakeFd_, &one, sizeof(one));
  (void)r;
  thread_.join();
  for (auto& c : conns_) {
    event_free(c->ev);
    close(c->fd);
  }
  conns_.clear();
  event_free(wakeEvent_);
  event_base_free(base_);
  close(wakeFd_);
}

bool TcpClient::submit(const core::Query& q, const core::Completion& done) {
  if (!running_.load(std::memory_order_relaxed) || q.length > 65535) return false;
  auto job = std::make_unique<Job>();
  job->done = done;
  job->query.resize(q.length + 2);
  dns::writeFrameHeader(job->query.data(), q.length);
  std::memcpy(job->query.data() + 2, q.packet, q.length);
  bool first;
  {
    std::lock_guard lock(queueMutex_);
    first = queue_.empty();
    queue_.push_back(std::move(job));
  }
  if (first) {
    uint64_t one = 1;
    ssize_t r = write(wakeFd_, &one, sizeof(one));
    (void)r;
  }
  return true;
}

void TcpClient::onWake(evutil_socket_t fd, short, void* self) {
  uint64_t n;
  ssize_t r = read(fd, &n, sizeof(n));
  (void)r;
  static_cast<TcpClient*>(self)->drainQueue();
}

void TcpClient::drainQueue() {
  std::vector<std::unique_ptr<Job>> jobs;
  {
    std::lock_guard lock(queueMutex_);
    jobs.swap(queue_);
  }
  for (auto& j : jobs) dispatch(std::move(j));
  flushPending();
}

void TcpClient::dispatch(std::unique_ptr<Job> job) {
  ++job->attempts;
  Conn* c = pickConnection();
  if (!c) {
    if (waiting_.size() >= kMaxWaiting) {
      completer_->fail(owner_, job->done, core::Completer::Failure::SendError);
      return;
    }
    stats.tooManyConnections.inc();
    waiting_.push_back(std::move(job));
    return;
  }
  send(*c, std::move(job));
}

TcpClient::Conn* TcpClient::pickConnection() {
  Conn* best = nullptr;
  for (auto& c : conns_)
    if (c->inFlight.size() < limits_.maxInFlight &&
        (!best || c->inFlight.size() < best->inFlight.size()))
      best = c.get();
  // Pipeline on the least loaded connection until it carries kPipelineBeforeNew queries;
  // only then open another. (Opening one whenever all were busy made a connection, a
  // connect() and an epoll registration per query under load, with a scan of all of them.)
  size_t pipeline = std::min(kPipelineBeforeNew, limits_.maxInFlight);
  if (best && (best->inFlight.size() < pipeline || conns_.size() >= maxConnections_)) return best;
  if (conns_.size() < maxConnections_) {
    if (Conn* fresh = openConnection()) return fresh;
  }
  return best;
}

TcpClient::Conn* TcpClient::openConnection() {
  int fd = socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (limits_.fastOpen) setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
  try {
    core::bindSource(fd, address_.family(), limits_.source, limits_.bindAddrNoPort,
                     "server " + owner_.name());
  } catch (const std::exception&) {
    stats.diedSendingQuery.inc();
    close(fd);
    return nullptr;
  }
  if (connect(fd, address_.sockaddr_(), address_.length()) != 0 && errno != EINPROGRESS) {
    stats.diedSendingQuery.inc();
    owner_.recordOutcome(true, false);
    close(fd);
    return nullptr;
  }
  auto c = std::make_unique<Conn>();
  c->self = this;
  c->fd = fd;
  c->ev = event_new(base_, fd, 0, onConnEvent, c.get());
  c->lastActivityMs = c->lastWriteMs = nowMs();
  stats.connections.inc();
  stats.current.fetch_add(1, std::memory_order_relaxed);
  conns_.push_back(std::move(c));
  return conns_.back().get();
}

void TcpClient::send(Conn& c, std::unique_ptr<Job> job) {
  uint16_t id = c.nextId;
  while (c.inFlight.count(id)) ++id;
  c.nextId = uint16_t(id + 1);
  if (c.connected) stats.reused.inc();
  dns::HeaderRef(job->query.data() + 2).setId(id);
  if (c.out.empty()) c.lastWriteMs = nowMs();
  c.out.insert(c.out.end(), job->query.begin(), job->query.end());
  if (c.inFlight.empty()) c.lastActivityMs = nowMs();
  c.inFlight.emplace(id, std::move(job));
  c.dirty = true;  // written by flushPending(), once for every query of this wake-up
}

void TcpClient::flushPending() {
  for (auto& c : conns_) {
    if (!c->dirty) continue;
    c->dirty = false;
    if (c->connected && !c->out.empty()) {
      // An error is left to the write event, whose handler fails the connection.
      ssize_t n = ::send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c->out.erase(c->out.begin(), c->out.begin() + n);
        c->lastWriteMs = nowMs();
      }
    }
    rearm(*c);
  }
}

void TcpClient::onConnEvent(evutil_socket_t, short what, void* conn) {
  Conn* c = static_cast<Conn*>(conn);
  c->self->handle(*c, what);
}

void TcpClient::handle(Conn& c, short what) {
  if (what & EV_TIMEOUT) {
    if (c.inFlight.empty()) return fail(c, false);  // idle long enough: close
    stats.readTimeouts.inc();
    return fail(c, true);
  }
  if (!c.connected && (what & EV_WRITE)) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      stats.diedSendingQuery.inc();
      return fail(c, true);  // refused: the server is not there, no point retrying
    }
    c.connected = true;
  }
  if ((what & EV_WRITE) && !c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      stats.diedSendingQuery.inc();
      return fail(c, false);
    }
    if (n > 0) {
      c.out.erase(c.out.begin(), c.out.begin() + n);
      c.lastWriteMs = nowMs();
    }
  }
  if (what & EV_READ) {
    uint8_t buf[16384];
    for (;;) {
      ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.insert(c.in.end(), buf, buf + n);
        if (size_t(n) < sizeof(buf)) break;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      // Closed or reset: queries still on it go once more on another connection.
      readResponses(c);
      if (!c.inFlight.empty()) stats.diedReadingResponse.inc();
      return fail(c, false);
    }
    readResponses(c);
  }
  rearm(c);
  // Room freed: send queries that waited for a connection.
  if (!waiting_.empty()) {
    auto jobs = std::move(waiting_);
    waiting_.clear();
    for (auto& j : jobs) {
      --j->attempts;  // waiting is not an attempt
      dispatch(std::move(j));
    }
    flushPending();
  }
}

void TcpClient::readResponses(Conn& c) {
  dns::FrameReader frames(c.in);
  std::span<const uint8_t> msg;
  // The completer edits the answer in place (ID, case), inside c.in.
  while (frames.next(msg)) answer(c, const_cast<uint8_t*>(msg.data()), msg.size());
  completer_->flush();  // before c.in, which UDP answers would point into, changes
  c.in.erase(c.in.begin(), c.in.begin() + long(frames.consumed()));
  if (c.in.empty()) std::vector<uint8_t>().swap(c.in);
}

void TcpClient::answer(Conn& c, uint8_t* msg, size_t len) {
  if (len < dns::kHeaderSize) {
    rt_.stats.nonCompliantResponses.inc();
    return;
  }
  auto it = c.inFlight.find(dns::HeaderView(msg).id());
  if (it == c.inFlight.end()) return;  // not ours (or already answered)
  if (completer_->complete(owner_, it->second->done, msg, len, len) ==
      core::Completer::Result::Mismatch)
    return;  // not the answer to this question: keep waiting
  c.inFlight.erase(it);
  c.lastActivityMs = nowMs();
}

void TcpClient::fail(Conn& c, bool timedOut) {
  std::vector<std::unique_ptr<Job>> retry;
  for (auto& [id, job] : c.inFlight) {
    if (!timedOut && job->attempts < limits_.retries) {
      retry.push_back(std::move(job));
      continue;
    }
    completer_->fail(owner_, job->done, core::Completer::Failure::Timeout);
  }
  event_free(c.ev);
  close(c.fd);
  stats.current.fetch_sub(1, std::memory_order_relaxed);
  conns_.erase(std::find_if(conns_.begin(), conns_.end(), [&](auto& p) { return p.get() == &c; }));
  for (auto& j : retry) dispatch(std::move(j));
  flushPending();
}

void TcpClient::rearm(Conn& c) {
  short flags = EV_READ;
  if (!c.connected || !c.out.empty()) flags |= EV_WRITE;
  int64_t deadline;
  if (c.inFlight.empty()) {
    deadline = c.lastActivityMs + kIdleMs;
  } else {
    int64_t recvMs = limits_.recvTimeoutMs > 0 ? limits_.recvTimeoutMs
                                               : completer_->config().settings.udpTimeoutMs;
    deadline = c.lastActivityMs + recvMs;
    if (!c.connected && limits_.connectTimeoutMs > 0)
      deadline = std::min(deadline, c.lastWriteMs + limits_.connectTimeoutMs);
    else if (!c.out.empty() && limits_.sendTimeoutMs > 0)
      deadline = std::min(deadline, c.lastWriteMs + limits_.sendTimeoutMs);
  }
  int64_t leftMs = std::max<int64_t>(0, deadline - nowMs());
  timeval tv{time_t(leftMs / 1000), suseconds_t((leftMs % 1000) * 1000)};
  if (flags != c.armed) {
    event_del(c.ev);
    event_assign(c.ev, base_, c.fd, flags, onConnEvent, &c);
    c.armed = flags;
  }
  event_add(c.ev, &tv);
}

}  // namespace ballast::backends::remote
