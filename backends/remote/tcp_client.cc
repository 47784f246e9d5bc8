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
#include <ctime>
#include <stdexcept>

#include <openssl/err.h>

#include "core/clock.hh"
#include "core/log.hh"
#include "dns/header.hh"
#include "dns/message.hh"
#include "dns/tcp_framing.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::backends::remote {

namespace {
// Queries at once on one HTTP/2 connection (each on its own stream) unless maxInFlight says.
constexpr size_t kDefaultDohMaxInFlight = 100;
// Queries a connection carries before another is opened beside it (when allowed).
constexpr size_t kPipelineBeforeNew = 50;
constexpr size_t kMaxWaiting = 10000;  // queries waiting for a connection slot
constexpr int64_t kIdleMs = 30000;     // an unused connection is closed after this
constexpr int kDefaultAttempts = 2;    // a query lost with its connection is sent once more
// A transfer is relayed in rounds of about this much, so a fast server's zone is not read
// whole into memory first and the loop gets back to the server's other connections.
constexpr size_t kTransferReadRound = size_t(1) << 20;

int64_t nowMs() {
  return core::monotonicUsec() / 1000;
}
}  // namespace

TcpClient::TcpClient(core::Backend& owner, const core::Address& address, size_t maxConnections,
                     core::Runtime& rt, StreamTransport transport,
                     TcpClientLimits limits)
    : owner_(owner),
      address_(address),
      maxConnections_(maxConnections == 0 ? SIZE_MAX : maxConnections),
      rt_(rt),
      transport_(std::move(transport)),
      limits_(std::move(limits)) {
  // newServer's maxInFlight 0 (dnsdist's default) means the server is not known to answer
  // out of order: one query at a time on each TCP or DoT connection, as many connections as
  // maxConcurrentTCPConnections allows. Above 0, up to that many are pipelined on one
  // connection and their answers matched by ID (and question) in whatever order they come.
  // HTTP/2 streams are independent: a DoH server takes many at once either way.
  if (limits_.maxInFlight == 0)
    limits_.maxInFlight = transport_.dohPath.empty() ? 1 : kDefaultDohMaxInFlight;
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
  if (transport_.tls) {
    const auto& st = rt_.startup;
    transport_.tls->setSessionLimits(st.outgoingTlsMaxTickets, st.outgoingTlsTicketValiditySec);
    cleanupEvent_ = event_new(base_, -1, EV_PERSIST, onCleanup, this);
    timeval every{time_t(std::max<int64_t>(1, st.outgoingTlsCleanupDelaySec)), 0};
    event_add(cleanupEvent_, &every);
  }
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
    if (c->ssl) SSL_free(c->ssl);
    ::close(c->fd);
  }
  conns_.clear();
  if (cleanupEvent_) event_free(cleanupEvent_);
  cleanupEvent_ = nullptr;
  event_free(wakeEvent_);
  event_base_free(base_);
  ::close(wakeFd_);
}

bool TcpClient::submit(const core::Query& q, const core::Completion& done,
                       std::span<const uint8_t> opening) {
  if (!running_.load(std::memory_order_relaxed) || q.length > 65535) return false;
  auto job = std::make_unique<Job>();
  job->done = done;
  job->opening.assign(opening.begin(), opening.end());
  job->query.resize(q.length + 2);
  dns::writeFrameHeader(job->query.data(), q.length);
  std::memcpy(job->query.data() + 2, q.packet, q.length);
  if (transport_.addXForwardedHeaders) job->client = done.client();
  // A transfer over HTTP/2 is one reply on its stream: only TCP and DoT need the care.
  if (!done.internal() && core::isTransferType(done.qtype()) && transport_.dohPath.empty()) {
    job->transfer = true;
    if (done.relaysTransfer()) job->xfr = std::make_unique<XfrTracker>(done.qtype());
  }
  if (!done.internal()) {
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    job->counted = &outstanding_;
  }
  // A UDP client (to a tcpOnly or TLS server) gets at most what it said it can take.
  if (!done.stream() && !done.internal()) {
    const dns::Edns* edns = q.message ? &q.message->edns() : nullptr;
    job->udpLimit = edns && edns->present ? std::max<uint16_t>(512, edns->udpPayloadSize) : 512;
  }
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

void TcpClient::onCleanup(evutil_socket_t, short, void* self) {
  static_cast<TcpClient*>(self)->transport_.tls->expireSessions(int64_t(std::time(nullptr)));
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
  if (job->transfer && job->done.transferClosed()) return;  // the client went away meanwhile
  ++job->attempts;
  Conn* c = pickConnection(*job);
  if (!c) {
    // Nothing open and nothing could be opened: no connection will free a slot for it.
    if (conns_.empty() || waiting_.size() >= kMaxWaiting) {
      completer_->fail(owner_, job->done, core::Completer::Failure::SendError);
      return;
    }
    stats.tooManyConnections.inc();
    waiting_.push_back(std::move(job));
    return;
  }
  send(*c, std::move(job));
}

TcpClient::Conn* TcpClient::pickConnection(const Job& job) {
  if (job.transfer) {
    // Its own connection: the transfer's messages must not mix with other answers, and
    // what a server sends after a transfer cannot be trusted to be in step.
    if (conns_.size() >= maxConnections_) {
      auto idle = std::find_if(conns_.begin(), conns_.end(),
                               [](const auto& c) { return c->inFlight.empty(); });
      if (idle != conns_.end()) close(**idle);
    }
    return conns_.size() < maxConnections_ ? openConnection(job) : nullptr;
  }
  Conn* best = nullptr;
  for (auto& c : conns_)
    if (!c->transfer && c->opening == job.opening && c->inFlight.size() < limits_.maxInFlight &&
        !(c->h2 && c->h2->closing()) &&
        (!best || c->inFlight.size() < best->inFlight.size()))
      best = c.get();
  // Pipeline on the least loaded connection until it carries kPipelineBeforeNew queries;
  // only then open another. (Opening one whenever all were busy made a connection, a
  // connect() and an epoll registration per query under load, with a scan of all of them.)
  size_t pipeline = std::min(kPipelineBeforeNew, limits_.maxInFlight);
  if (best && (best->inFlight.size() < pipeline || conns_.size() >= maxConnections_)) return best;
  if (!best && conns_.size() >= maxConnections_) {
    // Every slot is taken by connections opened for other PROXY headers: an idle one
    // makes room, or the query would wait for an idle timeout.
    auto idle = std::find_if(conns_.begin(), conns_.end(),
                             [](const auto& c) { return c->inFlight.empty(); });
    if (idle != conns_.end()) close(**idle);
  }
  if (conns_.size() < maxConnections_) {
    if (Conn* fresh = openConnection(job)) return fresh;
  }
  return best;
}

TcpClient::Conn* TcpClient::openConnection(const Job& job) {
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
    ::close(fd);
    return nullptr;
  }
  if (connect(fd, address_.sockaddr_(), address_.length()) != 0 && errno != EINPROGRESS) {
    stats.diedSendingQuery.inc();
    owner_.recordOutcome(true, false);
    ::close(fd);
    return nullptr;
  }
  auto c = std::make_unique<Conn>();
  c->self = this;
  c->fd = fd;
  if (!transport_.dohPath.empty())
    c->h2 = std::make_unique<DohClientSession>(transport_.dohAuthority, transport_.dohPath);
  c->ev = event_new(base_, fd, 0, onConnEvent, c.get());
  c->lastActivityMs = c->lastWriteMs = nowMs();
  c->opening = job.opening;
  c->transfer = job.transfer;
  c->out = job.opening;  // before any query
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
  if (c.h2) {
    DohClientSession::Headers extra;
    if (transport_.addXForwardedHeaders && job->client.family() != 0) {
      extra.emplace_back("x-forwarded-for", job->client.toString());
      extra.emplace_back("x-forwarded-port", std::to_string(job->client.port()));
    }
    std::span<const uint8_t> query(job->query.data() + 2, job->query.size() - 2);
    if (!c.h2->submit(id, query, extra)) {
      completer_->fail(owner_, job->done, core::Completer::Failure::SendError);
      return;
    }
  } else {
    c.out.insert(c.out.end(), job->query.begin(), job->query.end());
  }
  if (c.inFlight.empty()) c.lastActivityMs = nowMs();
  c.inFlight.emplace(id, std::move(job));
  c.dirty = true;  // written by flushPending(), once for every query of this wake-up
}

void TcpClient::flushPending() {
  for (auto& c : conns_) {
    if (!c->dirty) continue;
    c->dirty = false;
    if (c->h2 && !c->h2->produce(c->out)) c->out.clear();  // the write event finds it broken
    // An error is left to the events, whose handler fails the connection.
    if (c->ready) writeOut(*c);
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
  if (!c.ready && !establish(c, what)) return;
  if (c.ready) {
    if (!readIn(c)) return;
    if (c.h2) {
      readDohReplies(c);
      if (!c.h2->produce(c.out)) return fail(c, false);
    } else {
      readResponses(c);
      if (c.transfer && c.inFlight.empty()) {
        close(c);  // the transfer is over: its connection is not reused
        return sendWaiting();
      }
    }
    if (!writeOut(c)) {
      stats.diedSendingQuery.inc();
      return fail(c, false);
    }
    if (c.h2 && (!c.h2->alive() || (c.h2->closing() && c.inFlight.empty())))
      return fail(c, false);  // ended: what is still on it goes on another connection
  }
  rearm(c);
  sendWaiting();
}

void TcpClient::sendWaiting() {
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

bool TcpClient::establish(Conn& c, short what) {
  if (!c.connected) {
    if (!(what & EV_WRITE)) return true;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      stats.diedSendingQuery.inc();
      fail(c, true);  // refused: the server is not there, no point retrying
      return false;
    }
    c.connected = true;
    if (!transport_.tls) {
      c.ready = true;
      return true;
    }
    c.ssl = transport_.tls->newConnection(c.fd);
    if (!c.ssl) {
      stats.diedSendingQuery.inc();
      fail(c, true);
      return false;
    }
  }
  int r = SSL_connect(c.ssl);
  if (r != 1) {
    int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      c.tlsWantWrite = e == SSL_ERROR_WANT_WRITE;
      return true;
    }
    stats.tlsHandshakeFailures.inc();
    // A bad certificate fails every connection the same way: say why, now and then.
    std::string why = tls::ClientContext::failureReason(c.ssl, e);
    int64_t now = nowMs();
    if (now - lastFailureLogMs_ >= 10000) {
      lastFailureLogMs_ = now;
      core::warnLog("TLS handshake with backend {} failed: {}", owner_.nameWithAddress(), why);
    }
    fail(c, true);
    return false;
  }
  c.tlsWantWrite = false;
  if (SSL_session_reused(c.ssl)) stats.tlsResumptions.inc();
  if (c.h2) {
    const unsigned char* proto = nullptr;
    unsigned int plen = 0;
    SSL_get0_alpn_selected(c.ssl, &proto, &plen);
    if (plen != 2 || std::memcmp(proto, "h2", 2) != 0) {
      int64_t now = nowMs();
      if (now - lastFailureLogMs_ >= 10000) {
        lastFailureLogMs_ = now;
        core::warnLog("DoH backend {} did not agree to HTTP/2 (ALPN h2)", owner_.nameWithAddress());
      }
      stats.tlsHandshakeFailures.inc();
      fail(c, true);
      return false;
    }
  }
  c.ready = true;
  return true;
}

bool TcpClient::writeOut(Conn& c) {
  size_t done = 0;
  c.tlsWantWrite = false;
  while (done < c.out.size()) {
    if (c.ssl) {
      int r = SSL_write(c.ssl, c.out.data() + done, int(c.out.size() - done));
      if (r <= 0) {
        int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
          c.tlsWantWrite = e == SSL_ERROR_WANT_WRITE;
          break;
        }
        ERR_clear_error();
        return false;
      }
      done += size_t(r);
    } else {
      ssize_t n = ::send(c.fd, c.out.data() + done, c.out.size() - done, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        return false;
      }
      done += size_t(n);
    }
  }
  c.out.erase(c.out.begin(), c.out.begin() + long(done));
  if (done > 0) c.lastWriteMs = nowMs();
  return true;
}

bool TcpClient::readIn(Conn& c) {
  uint8_t buf[16384];
  for (;;) {
    ssize_t n;
    if (c.ssl) {
      int r = SSL_read(c.ssl, buf, int(sizeof(buf)));
      if (r > 0) {
        n = r;
      } else {
        int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_WANT_WRITE) {
          c.tlsWantWrite = true;
          break;
        }
        ERR_clear_error();
        n = 0;  // closed or broken: as a plain connection closed
      }
    } else {
      n = recv(c.fd, buf, sizeof(buf), 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    }
    if (n > 0) {
      if (c.h2) {
        if (!c.h2->receive(buf, size_t(n))) {
          readDohReplies(c);
          if (!c.inFlight.empty()) stats.diedReadingResponse.inc();
          fail(c, false);
          return false;
        }
      } else {
        c.in.insert(c.in.end(), buf, buf + n);
        if (c.transfer && c.in.size() >= kTransferReadRound) {
          c.readAgain = true;  // rearm() comes back for the rest
          break;
        }
      }
      continue;
    }
    // Closed or reset: queries still on it go once more on another connection.
    if (c.h2)
      readDohReplies(c);
    else
      readResponses(c);
    if (!c.inFlight.empty()) stats.diedReadingResponse.inc();
    fail(c, false);
    return false;
  }
  return true;
}

void TcpClient::readDohReplies(Conn& c) {
  auto replies = c.h2->takeReplies();
  for (auto& r : replies) {
    auto it = c.inFlight.find(r.tag);
    if (it == c.inFlight.end()) continue;
    if (!r.ok || r.body.size() < dns::kHeaderSize) {
      stats.httpErrors.inc();
      completer_->fail(owner_, it->second->done, core::Completer::Failure::ServFail);
      c.inFlight.erase(it);
      continue;
    }
    dns::HeaderRef(r.body.data()).setId(r.tag);  // the stream says which query it answers
    answer(c, r.body.data(), r.body.size());
  }
  completer_->flush();  // before the replies, which UDP answers point into, go
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
  if (it->second->udpLimit && len > it->second->udpLimit) {
    // Too large for the UDP client: TC, so it asks again over TCP.
    dns::MessageView m;
    if (dns::MessageView::parse({msg, len}, m) == dns::ParseError::None)
      len = dns::truncateToQuestion(msg, len, len, m);
  }
  if (it->second->transfer) return answerTransfer(c, *it->second, msg, len);
  if (completer_->complete(owner_, it->second->done, msg, len, len) ==
      core::Completer::Result::Mismatch)
    return;  // not the answer to this question: keep waiting
  c.inFlight.erase(it);
  c.lastActivityMs = nowMs();
}

void TcpClient::answerTransfer(Conn& c, Job& job, uint8_t* msg, size_t len) {
  uint16_t id = dns::HeaderView(msg).id();
  c.lastActivityMs = nowMs();  // tcpRecvTimeout counts from the last message
  if (!job.xfr) {
    // A client that takes one answer (UDP to a tcpOnly server, DoH): the first message.
    if (completer_->complete(owner_, job.done, msg, len, len) == core::Completer::Result::Done)
      c.inFlight.erase(id);
    return;
  }
  if (job.done.transferClosed()) {
    c.inFlight.erase(id);  // the client went away: the connection closes
    return;
  }
  bool more = job.xfr->feed({msg, len}) == XfrTracker::State::More;
  if (completer_->relay(owner_, job.done, msg, len, !job.relayed, more) ==
      core::Completer::Result::Mismatch) {
    // Not a message of this transfer (counted): the server is out of step.
    if (job.relayed)
      completer_->abortTransfer(job.done);
    else
      completer_->fail(owner_, job.done, core::Completer::Failure::ServFail);
    c.inFlight.erase(id);
    return;
  }
  job.relayed = true;
  if (!more) c.inFlight.erase(id);
}

void TcpClient::fail(Conn& c, bool timedOut) {
  std::vector<std::unique_ptr<Job>> retry;
  for (auto& [id, job] : c.inFlight) {
    if (job->relayed) {
      // Part of a transfer is with the client: it cannot be given again from the start.
      owner_.recordOutcome(true, false);
      completer_->abortTransfer(job->done);
      continue;
    }
    if (!timedOut && job->attempts < limits_.retries) {
      retry.push_back(std::move(job));
      continue;
    }
    completer_->fail(owner_, job->done, core::Completer::Failure::Timeout);
  }
  c.inFlight.clear();
  close(c);
  for (auto& j : retry) dispatch(std::move(j));
  flushPending();
}

void TcpClient::close(Conn& c) {
  event_free(c.ev);
  if (c.ssl) {
    // A clean close_notify lets the server keep the session resumable; a failed
    // handshake has nothing to close.
    if (c.ready) SSL_shutdown(c.ssl);
    SSL_free(c.ssl);
    ERR_clear_error();
  }
  ::close(c.fd);
  stats.current.fetch_sub(1, std::memory_order_relaxed);
  conns_.erase(std::find_if(conns_.begin(), conns_.end(), [&](auto& p) { return p.get() == &c; }));
}

void TcpClient::rearm(Conn& c) {
  short flags = EV_READ;
  if (!c.connected || c.tlsWantWrite || (c.ready && !c.out.empty())) flags |= EV_WRITE;
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
  // Bytes left unread on purpose (TLS may hold them decrypted, with no readiness event).
  if (c.readAgain) event_active(c.ev, EV_READ, 1);
  c.readAgain = false;
}

}  // namespace ballast::backends::remote
