// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/tcp_connection.hh"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/clock.hh"
#include "core/pipeline.hh"
#include "dns/header.hh"
#include "dns/tcp_framing.hh"
#include "frontend/tcp_worker.hh"

namespace ballast::frontend {

namespace {
constexpr size_t kMaxOutput = 65536;  // stop reading queries while this much waits unsent
// A transfer's messages come at the backend's pace: a client that reads slower than this
// much behind is given up on (the backend thread is not held back).
constexpr size_t kMaxTransferBacklog = size_t(64) << 20;
}

DnsStreamConnection::DnsStreamConnection(TcpWorker& w, int fd, const core::Address& client,
                                         const core::Address& local, const StreamBind& bind,
                                         std::unique_ptr<TlsIo> tls)
    : worker_(w),
      fd_(fd),
      client_(client),
      local_(local),
      bind_(bind),
      io_(tls ? static_cast<StreamIo*>(tls.get()) : &PlainIo::instance()),
      tls_(std::move(tls)),
      startMs_(nowMs()),
      handshaking_(tls_ != nullptr) {}

DnsStreamConnection::~DnsStreamConnection() {
  if (transferClosed_) transferClosed_->store(true, std::memory_order_relaxed);
  if (event_) event_free(event_);
  tls_.reset();  // before the socket it may still write a close_notify to
  ::close(fd_);
}

int64_t DnsStreamConnection::nowMs() const {
  return core::monotonicUsec() / 1000;
}

void DnsStreamConnection::start() {
  event_ = event_new(worker_.base(), fd_, 0, onEvent, this);
  auto& s = *bind_.stats;
  s.connections.inc();  // `current` was counted by the acceptor
  if (!event_) {
    close(Why::ReadError);
    return;
  }
  proxy_ = ClientProxy::forClient(client_, local_, worker_.config());
  // A query (or a TLS ClientHello) usually comes with the connection: try at once.
  handle(EV_READ);
}

void DnsStreamConnection::onEvent(evutil_socket_t, short what, void* self) {
  static_cast<DnsStreamConnection*>(self)->handle(what);
}

bool DnsStreamConnection::canProcess() const {
  uint32_t limit = bind_.maxInFlight == 0 ? 1 : bind_.maxInFlight;
  uint64_t maxQueries = worker_.context().settings.maxQueriesPerConnection;
  return !handshaking_ && !failed_ && !ending_ && !awaitingProxy() && inFlight_ < limit &&
         output_.size() < kMaxOutput && (maxQueries == 0 || queries_ < maxQueries);
}

void DnsStreamConnection::handle(short what) {
  if (what & EV_TIMEOUT) {
    const TcpSettings& s = worker_.context().settings;
    if (s.maxConnectionDurationSec > 0 && nowMs() - startMs_ >= s.maxConnectionDurationSec * 1000LL)
      return close(Why::Duration);
    if (awaitingProxy()) return close(Why::ClientTimeout);
    if (handshaking_) return close(Why::Handshake);
    return close(inFlight_ > 0 && output_.empty() ? Why::GaveUp : Why::ClientTimeout);
  }
  if (awaitingProxy()) {
    if (!readProxyHeader()) return;
    what |= EV_READ;  // a query or a ClientHello may have come with it
  }
  if (handshaking_) {
    IoStatus st = io_->handshake(fd_);
    if (st == IoStatus::WantRead || st == IoStatus::WantWrite) {
      ioWantsWrite_ = st == IoStatus::WantWrite;
      return settle();
    }
    if (st != IoStatus::Ok) return close(Why::Handshake);
    handshaking_ = false;
    ioWantsWrite_ = false;
    countTlsHandshake(tls_->ssl(), *bind_.stats);
    what |= EV_READ;  // the first query may have come with the handshake's last flight
  }
  if ((what & EV_WRITE) && !output_.empty()) flushOutput();
  // Bytes TLS holds (read ahead or decrypted) get no readiness event: they are read on any
  // wake-up, and when the worker's buffer filled before they were, the event is made
  // active again (rearm) so the loop comes back to them after the other connections.
  if (!failed_ && ((what & EV_READ) || ioWantsWrite_ || io_->hasBuffered()) && wantsRead())
    readAgain_ = readQueries() && io_->hasBuffered();
  settle();
}

bool DnsStreamConnection::readProxyHeader() {
  switch (proxy_->advance(fd_, worker_.config(), worker_.context().rt.stats)) {
    case ClientProxy::Step::Ready:
      return true;
    case ClientProxy::Step::Wait:
      rearm();
      return false;
    case ClientProxy::Step::Closed:
      close(Why::Done);
      return false;
    case ClientProxy::Step::Invalid:
      break;
  }
  close(Why::ReadError);
  return false;
}

bool DnsStreamConnection::readQueries() {
  uint8_t* buf = worker_.scratch();
  size_t have = pending_.size();
  if (have) std::memcpy(buf, pending_.data(), have);  // data() of an empty vector may be null
  ioWantsWrite_ = false;
  bool full = false;
  while (!peerClosed_ && !(full = have == TcpWorker::kScratchSize)) {
    size_t room = TcpWorker::kScratchSize - have, got = 0;
    IoStatus st = io_->read(fd_, buf + have, room, got);
    if (st == IoStatus::Ok) {
      have += got;
      if (got < room && !io_->hasBuffered()) break;  // drained: spare the EAGAIN
      continue;
    }
    if (st == IoStatus::WantWrite) ioWantsWrite_ = true;
    if (st == IoStatus::Closed) peerClosed_ = true;
    if (st == IoStatus::Error) {
      failed_ = true;
      why_ = Why::ReadError;
    }
    break;
  }
  size_t off = 0;
  // The answers of the queries of this read go out together: one write, one TLS record.
  batching_ = true;
  processPending(buf, off, have);
  batching_ = false;
  writeBatch();
  if (off == have) {
    std::vector<uint8_t>().swap(pending_);  // an idle connection holds no buffer
  } else {
    pending_.assign(buf + off, buf + have);
  }
  // Closed in the middle of a query (what is left is not a whole one): died reading.
  if (peerClosed_ && !pending_.empty() && canProcess()) {
    failed_ = true;
    why_ = Why::ReadError;
  }
  return full;
}

void DnsStreamConnection::processPending(const uint8_t* data, size_t& off, size_t have) {
  dns::FrameReader frames({data + off, have - off});
  std::span<const uint8_t> query;
  while (canProcess() && frames.next(query)) processQuery(query.data(), query.size());
  off += frames.consumed();
}

void DnsStreamConnection::processQuery(const uint8_t* query, size_t len) {
  ++queries_;
  bind_.stats->queries.inc();
  uint8_t* packet = worker_.queryBuffer();
  std::memcpy(packet, query, len);
  core::QueryContext q;
  q.packet = packet;
  q.length = len;
  q.capacity = TcpWorker::kScratchSize - 2;
  q.receivedUsec = core::monotonicUsec();
  core::Destination& d = q.destination;
  d.client = client_;
  d.local = local_;
  if (proxy_) proxy_->fill(q);
  d.sink = &worker_;
  d.cookie = (uint64_t(slot) << 32) | generation;
  d.stream = true;
  d.tls = tls_ != nullptr;  // DNSQuestion:getProtocol
  if (tls_ && sni_.empty())
    if (const char* n = SSL_get_servername(tls_->ssl(), TLSEXT_NAMETYPE_host_name)) sni_ = n;
  d.sni = sni_.empty() ? nullptr : &sni_;
  if (isTransferQuery(query, len)) {
    if (!transferClosed_) transferClosed_ = std::make_shared<std::atomic<bool>>(false);
    d.transferClosed = transferClosed_;
  }
  ++inFlight_;
  core::QueryAction a =
      core::processQuery(q, worker_.config(), worker_.context().rt.stats, worker_.sender());
  worker_.sender().flush();  // the datagram points into the query buffer
  if (a == core::QueryAction::Forwarded) return;
  --inFlight_;
  if (a == core::QueryAction::Answer) sendFrame(q.packet, q.length);
}

void DnsStreamConnection::sendFrame(const uint8_t* data, size_t len) {
  if (failed_ || len > 65535) return;
  uint8_t header[dns::kFrameHeaderSize];
  dns::writeFrameHeader(header, len);
  if (batching_ && batchLen_ + len + 2 > TcpWorker::kFrameBufferSize) writeBatch();
  if (!output_.empty() || ioWantsWrite_ || failed_) {
    if (failed_) return;
    output_.insert(output_.end(), header, header + 2);
    output_.insert(output_.end(), data, data + len);
    return;
  }
  uint8_t* frame = worker_.frameBuffer() + batchLen_;
  std::memcpy(frame, header, 2);
  if (len) std::memcpy(frame + 2, data, len);
  if (batching_) {
    batchLen_ += len + 2;
    return;
  }
  writeOut(frame, len + 2);
}

void DnsStreamConnection::writeBatch() {
  size_t len = batchLen_;
  batchLen_ = 0;
  if (len && !failed_) writeOut(worker_.frameBuffer(), len);
}

void DnsStreamConnection::writeOut(const uint8_t* frame, size_t total) {
  size_t sent = 0;
  while (sent < total) {
    size_t n = 0;
    IoStatus st = io_->write(fd_, frame + sent, total - sent, n);
    if (st == IoStatus::Ok) {
      sent += n;
      continue;
    }
    if (st == IoStatus::Error || st == IoStatus::Closed) {
      failed_ = true;
      why_ = Why::WriteError;
      return;
    }
    break;
  }
  if (sent < total) output_.assign(frame + sent, frame + total);
}

bool DnsStreamConnection::flushOutput() {
  size_t sent = 0;
  while (sent < output_.size()) {
    size_t n = 0;
    IoStatus st = io_->write(fd_, output_.data() + sent, output_.size() - sent, n);
    if (st == IoStatus::Ok) {
      sent += n;
      continue;
    }
    if (st == IoStatus::Error || st == IoStatus::Closed) {
      failed_ = true;
      why_ = Why::WriteError;
      return false;
    }
    break;
  }
  if (sent == output_.size())
    std::vector<uint8_t>().swap(output_);
  else
    output_.erase(output_.begin(), output_.begin() + long(sent));
  return true;
}

bool DnsStreamConnection::isTransferQuery(const uint8_t* query, size_t len) {
  // The qtype after the question's name, which a query writes uncompressed. Anything odd
  // is left to the pipeline's parser, which drops it.
  if (len < dns::kHeaderSize || dns::HeaderView(query).qdcount() == 0) return false;
  size_t off = dns::kHeaderSize;
  while (off < len && query[off] != 0) {
    if (query[off] & 0xC0) return false;
    off += size_t(query[off]) + 1;
  }
  if (off + 2 >= len) return false;
  return core::isTransferType(uint16_t(query[off + 1] << 8 | query[off + 2]));
}

void DnsStreamConnection::onAnswer(std::span<const uint8_t> response, core::AnswerPart part) {
  if (part == core::AnswerPart::More) {
    // A zone transfer's message: its query keeps its in-flight slot until the last.
    sendFrame(response.data(), response.size());
    if (output_.size() > kMaxTransferBacklog) {
      failed_ = true;
      why_ = Why::WriteError;
    }
    return settle();
  }
  if (inFlight_ > 0) --inFlight_;
  if (part == core::AnswerPart::Abort)
    ending_ = true;  // as dnsdist: what was answered is sent, then the connection closes
  else
    sendFrame(response.data(), response.size());
  // Room for another query: run the ones already read, then read on.
  if (canProcess() && (!pending_.empty() || io_->hasBuffered())) readQueries();
  settle();
}

void DnsStreamConnection::settle() {
  if (failed_) return close(why_);
  bool idle = inFlight_ == 0 && output_.empty();
  if (idle && ((peerClosed_ && pending_.empty()) || ending_)) return close(Why::Done);
  uint64_t maxQueries = worker_.context().settings.maxQueriesPerConnection;
  if (idle && maxQueries != 0 && queries_ >= maxQueries) return close(Why::TooManyQueries);
  rearm();
}

void DnsStreamConnection::rearm() {
  const TcpSettings& s = worker_.context().settings;
  short flags = 0;
  int64_t timeoutMs;
  if (awaitingProxy()) {
    flags = EV_READ;
    timeoutMs = s.recvTimeoutSec * 1000LL;
  } else if (handshaking_) {
    flags = ioWantsWrite_ ? EV_WRITE : EV_READ;
    timeoutMs = s.recvTimeoutSec * 1000LL;
  } else {
    if (wantsRead()) flags |= EV_READ;
    if (!output_.empty() || ioWantsWrite_) flags |= EV_WRITE;
    if (!output_.empty())
      timeoutMs = s.sendTimeoutSec * 1000LL;
    else if (inFlight_ > 0)  // waiting on backends: their timeout, then give up
      timeoutMs = worker_.config().settings.udpTimeoutMs + s.recvTimeoutSec * 1000LL;
    else
      timeoutMs = s.recvTimeoutSec * 1000LL;
  }
  if (s.maxConnectionDurationSec > 0)
    timeoutMs = std::max<int64_t>(
        0, std::min<int64_t>(timeoutMs, startMs_ + s.maxConnectionDurationSec * 1000LL - nowMs()));
  armConnectionEvent(event_, armed_, worker_.base(), fd_, flags, timeoutMs, onEvent, this);
  if (readAgain_ && (flags & EV_READ)) event_active(event_, EV_READ, 1);
  readAgain_ = false;
}

void DnsStreamConnection::close(Why why) {
  finishConnection(worker_, bind_, client_, startMs_, nowMs(), why, this);
}

void DnsStreamConnection::shutdown() {
  finishConnection(worker_, bind_, client_, startMs_, nowMs(), Why::Done, this);
}

void finishConnection(TcpWorker& worker, const StreamBind& bind, const core::Address& client,
                      int64_t startMs, int64_t nowMs, CloseReason why, StreamConnection* c) {
  auto& s = *bind.stats;
  auto& g = worker.context().global;
  switch (why) {
    case CloseReason::Done:
      break;
    case CloseReason::ReadError:
      s.diedReadingQuery.inc();
      break;
    case CloseReason::WriteError:
      s.diedSendingResponse.inc();
      break;
    case CloseReason::ClientTimeout:
      s.clientTimeouts.inc();
      break;
    case CloseReason::GaveUp:
      s.gaveUp.inc();
      break;
    case CloseReason::TooManyQueries:
      g.tooManyQueries.inc();
      break;
    case CloseReason::Duration:
      g.durationExceeded.inc();
      break;
    case CloseReason::Handshake:
      s.tlsHandshakeFailures.inc();
      break;
  }
  s.current.fetch_sub(1, std::memory_order_relaxed);
  s.durationMsSum.inc(uint64_t(std::max<int64_t>(0, nowMs - startMs)));
  worker.context().limiter.release(client);
  worker.release(c);  // destroys c
}

void armConnectionEvent(event* ev, short& armed, event_base* base, int fd, short flags,
                        int64_t timeoutMs, event_callback_fn cb, void* arg) {
  timeval tv{time_t(timeoutMs / 1000), suseconds_t((timeoutMs % 1000) * 1000)};
  // Persistent: the socket stays registered with epoll while the flags stay the same, so a
  // query costs no epoll_ctl (a non-persistent event is taken out of epoll each time it
  // fires and put back by the next event_add). event_add on a pending event only moves
  // its timeout.
  if (flags != armed) {
    event_del(ev);
    event_assign(ev, base, fd, short(flags | EV_PERSIST), cb, arg);
    armed = flags;
  }
  event_add(ev, &tv);
}

}  // namespace ballast::frontend
