// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/doh_connection.hh"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>

#include "core/clock.hh"
#include "core/pipeline.hh"
#include "core/rules/http.hh"
#include "dns/ecs.hh"
#include "dns/message.hh"
#include "dns/writer.hh"
#include "frontend/doh_request.hh"
#include "frontend/tcp_worker.hh"
#include "frontend/zero_pages.hh"

namespace ballast::frontend {

namespace {

constexpr size_t kMaxPath = 16384;  // a longer :path (a GET's query) is answered 413
// keepIncomingHeaders: what one request may make us keep (nghttp2 bounds each header).
constexpr size_t kMaxKeptHeaders = 64;
constexpr size_t kMaxKeptHeaderBytes = 16384;
constexpr uint16_t kAddedEdnsPayload = 4096;
// Frames gathered for one write (the worker's frame buffer holds them; an nghttp2 frame is
// at most 16 kB + 9).
constexpr size_t kFrameBatch = 65536;

DohConnection* self(void* user) {
  return static_cast<DohConnection*>(user);
}

DohConnection::Stream* streamOf(nghttp2_session* session, int32_t id) {
  return static_cast<DohConnection::Stream*>(nghttp2_session_get_stream_user_data(session, id));
}

int onBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* s = self(user)->beginStream(frame->hd.stream_id);
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s);
  return 0;
}

int onHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
             size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* s = streamOf(session, frame->hd.stream_id);
  if (!s) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":method")
    s->method = v;
  else if (n == ":path" && v.size() > kMaxPath)
    s->tooLarge = true;
  else if (n == ":path")
    s->path = v;
  else if (n == "content-type")
    s->contentType = v;
  else if ((n == ":authority" || (n == "host" && s->authority.empty())) && v.size() <= kMaxPath)
    s->authority = v;
  else if (n == "x-forwarded-for" && self(user)->settings().trustForwardedForHeader &&
           s->forwardedFor.size() + v.size() < kMaxKeptHeaderBytes)
    s->forwardedFor.append(s->forwardedFor.empty() ? "" : ",").append(v);
  if (!n.empty() && n[0] != ':' && self(user)->settings().keepIncomingHeaders &&
      s->headers.size() < kMaxKeptHeaders && n.size() + v.size() <= kMaxKeptHeaderBytes)
    s->headers.emplace_back(n, v);  // nghttp2 hands names lowercased (HTTP/2 requires it)
  return 0;
}

/// The right-most address of an X-Forwarded-For value ("a, b, c"), with its port if it has
/// one (`port` otherwise); nullopt if it is not an address.
std::optional<core::Address> forwardedClient(std::string_view header, uint16_t port) {
  size_t comma = header.rfind(',');
  std::string_view last = comma == std::string_view::npos ? header : header.substr(comma + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  if (last.empty()) return std::nullopt;
  try {
    // A bare IPv6 address has colons but no brackets: it has no port.
    bool bareV6 = last.find(':') != last.rfind(':') && last.front() != '[';
    return core::Address::parse(bareV6 ? "[" + std::string(last) + "]" : std::string(last), port);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int onDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len,
                void* user) {
  auto* s = streamOf(session, id);
  if (!s || s->tooLarge) return 0;
  if (s->body.size() + len > self(user)->settings().maxBodySize) {
    s->tooLarge = true;  // answered 413 at the end of the stream; nothing more is kept
    std::vector<uint8_t>().swap(s->body);
    return 0;
  }
  s->body.insert(s->body.end(), data, data + len);
  return 0;
}

int onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
  auto* s = streamOf(session, frame->hd.stream_id);
  if (s) self(user)->onRequest(*s);
  return 0;
}

int onStreamClose(nghttp2_session*, int32_t id, uint32_t, void* user) {
  self(user)->onStreamClose(id);
  return 0;
}

ssize_t readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                 nghttp2_data_source* source, void*) {
  auto* s = static_cast<DohConnection::Stream*>(source->ptr);
  size_t n = std::min(length, s->body.size() - s->sent);
  if (n) std::memcpy(buf, s->body.data() + s->sent, n);
  s->sent += n;
  if (s->sent == s->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return ssize_t(n);
}

// nghttp2 keeps one frame buffer of this size per session for the frames it writes
// (NGHTTP2_FRAMEBUF_CHUNKLEN, 16 kB of payload plus the frame header): our allocator spots it
// by size so an idle connection can give its pages back.
constexpr size_t kFrameBufferMin = 16384;
// How long a connection stays idle before it gives those pages back: a busy one keeps them.
constexpr int64_t kTrimAfterMs = 1000;
// HPACK dynamic tables, ours and the one we let the client fill (SETTINGS_HEADER_TABLE_SIZE,
// 4096 by default): DoH requests and answers have a handful of short headers, and every
// idle connection keeps what its tables hold.
constexpr uint32_t kHeaderTableSize = 512;

/// Session options, the same for every session: built once. Closed streams are forgotten
/// at once (they are kept for the priority tree otherwise), and our own header table is
/// small: a DoH response has a handful of short headers, an idle connection pays for it.
nghttp2_option* options() {
  static nghttp2_option* opt = [] {
    nghttp2_option* o;
    nghttp2_option_new(&o);
    nghttp2_option_set_no_closed_streams(o, 1);
    nghttp2_option_set_max_deflate_dynamic_table_size(o, kHeaderTableSize);
    return o;
  }();
  return opt;
}

/// The callbacks are the same for every session: built once.
nghttp2_session_callbacks* callbacks() {
  static nghttp2_session_callbacks* cbs = [] {
    nghttp2_session_callbacks* c;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_begin_headers_callback(c, onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(c, onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, onDataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, onFrameRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, onStreamClose);
    return c;
  }();
  return cbs;
}

nghttp2_nv header(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

DohConnection::DohConnection(TcpWorker& w, int fd, const core::Address& client,
                             const core::Address& local, const StreamBind& bind,
                             std::unique_ptr<TlsIo> tls)
    : worker_(w),
      fd_(fd),
      client_(client),
      local_(local),
      bind_(bind),
      doh_(*bind.doh),
      io_(tls ? static_cast<StreamIo*>(tls.get()) : &PlainIo::instance()),
      tls_(std::move(tls)),
      startMs_(nowMs()),
      handshaking_(tls_ != nullptr) {
  mem_ = nghttp2_mem{this, memMalloc, memFree, memCalloc, memRealloc};
}

// nghttp2's allocations: plain malloc below a page; from a page up, page-aligned blocks of
// their own (bigBlocks_), so that an idle connection can give their pages back: all of the
// frame buffer's, and whichever pages of the others hold only zeros (the stream map, 4 kB,
// is all zeros once its streams are gone).
void* DohConnection::memMalloc(size_t size, void* self) {
  if (size < kPageSize) return std::malloc(size);
  auto* c = static_cast<DohConnection*>(self);
  size_t rounded = (size + kPageSize - 1) & ~(kPageSize - 1);
  if (rounded < size) return nullptr;
  try {
    c->bigBlocks_.reserve(c->bigBlocks_.size() + 1);  // fails here, not after the allocation
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  void* p = std::aligned_alloc(kPageSize, rounded);
  if (!p) return nullptr;
  c->bigBlocks_.push_back({p, rounded});
  // The frame buffer is the big block nghttp2 makes with the session (see ensureSession).
  if (c->makingSession_ && size >= kFrameBufferMin && !c->frameBuffer_) c->frameBuffer_ = p;
  return p;
}

void DohConnection::memFree(void* ptr, void* self) {
  auto* c = static_cast<DohConnection*>(self);
  if (ptr && (reinterpret_cast<uintptr_t>(ptr) & (kPageSize - 1)) == 0) {
    auto it = std::find_if(c->bigBlocks_.begin(), c->bigBlocks_.end(),
                           [ptr](const BigBlock& b) { return b.ptr == ptr; });
    if (it != c->bigBlocks_.end()) {
      *it = c->bigBlocks_.back();
      c->bigBlocks_.pop_back();
    }
    if (ptr == c->frameBuffer_) c->frameBuffer_ = nullptr;
  }
  std::free(ptr);
}

void* DohConnection::memCalloc(size_t n, size_t size, void* self) {
  if (size && n > SIZE_MAX / size) return nullptr;
  if (n * size < kPageSize) return std::calloc(n, size);
  void* p = memMalloc(n * size, self);
  if (p) std::memset(p, 0, n * size);
  return p;
}

void* DohConnection::memRealloc(void* ptr, size_t size, void* self) {
  auto* c = static_cast<DohConnection*>(self);
  const BigBlock* big = nullptr;
  for (const BigBlock& b : c->bigBlocks_)
    if (ptr && b.ptr == ptr) big = &b;
  if (!big && size < kPageSize) return std::realloc(ptr, size);
  // To or from a page-aligned block: a new one, the old content copied.
  size_t old = big ? big->size : (ptr ? malloc_usable_size(ptr) : 0);
  void* p = memMalloc(size, self);
  if (!p) return nullptr;
  if (ptr) {
    std::memcpy(p, ptr, std::min(old, size));
    memFree(ptr, self);
  }
  return p;
}

// Between two sends the frame buffer holds nothing nghttp2 needs (flush() drains
// nghttp2_session_mem_send to 0, after which the next frame is written from the start), yet
// its pages stay resident: up to 20 kB per idle connection, more than anything else we
// hold. Its pages are its own (memMalloc), so all are dropped (MADV_DONTNEED: zero pages on
// the next touch); malloc's own bookkeeping lies outside them. The other big blocks keep
// what they hold: only their pages that are all zeros go (dropZeroPages), which changes
// nothing nghttp2 can read.
void DohConnection::trimIdle() {
  frameBufferDirty_ = false;
  for (const BigBlock& b : bigBlocks_) {
    if (b.ptr == frameBuffer_)
      madvise(b.ptr, b.size, MADV_DONTNEED);
    else
      dropZeroPages(b.ptr, b.size);
  }
}

DohConnection::~DohConnection() {
  if (session_) nghttp2_session_del(session_);
  if (event_) event_free(event_);
  tls_.reset();
  ::close(fd_);
}

int64_t DohConnection::nowMs() const {
  return core::monotonicUsec() / 1000;
}

void DohConnection::start() {
  bind_.stats->connections.inc();
  doh_.stats.httpConnects.inc();
  event_ = event_new(worker_.base(), fd_, 0, onEvent, this);
  if (!event_) return close(Why::ReadError);
  proxy_ = ClientProxy::forClient(client_, local_, worker_.config());
  handle(EV_READ);
}

// The session (~10 kB) is made when the client's first bytes arrive: a connection that only
// connected, or only shook hands, costs none. Our SETTINGS, the server preface, then go out
// in answer to the client's preface, which HTTP/2 allows.
bool DohConnection::ensureSession() {
  if (session_) return true;
  makingSession_ = true;
  int rv = nghttp2_session_server_new3(&session_, callbacks(), this, options(), &mem_);
  makingSession_ = false;
  if (rv != 0) {
    session_ = nullptr;
    return false;
  }
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, doh_.settings.maxInFlight},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, kHeaderTableSize}};
  return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, 2) == 0;
}

void DohConnection::onEvent(evutil_socket_t, short what, void* self) {
  static_cast<DohConnection*>(self)->handle(what);
}

void DohConnection::handle(short what) {
  if (what == EV_TIMEOUT && trimArmed_) {
    // Idle for kTrimAfterMs: give the frame buffer back, then wait out the idle timeout.
    trimArmed_ = false;
    trimIdle();
    trimmedIdle_ = true;
    return rearm();
  }
  trimArmed_ = false;
  trimmedIdle_ = false;
  bool awaitingProxy = proxy_ && proxy_->waiting();
  if (what & EV_TIMEOUT) {
    if (awaitingProxy) return close(Why::ClientTimeout);
    if (handshaking_) return close(Why::Handshake);
    if (waiting_ == 0 || !output_.empty()) return close(Why::ClientTimeout);
    // No answer from the backends in time: 502 on those streams, the connection stays.
    bind_.stats->gaveUp.inc();
    for (auto& [id, s] : streams_) {
      if (!s.waiting) continue;
      s.waiting = false;
      respond(s, 502, {});
    }
    waiting_ = 0;
  }
  if (awaitingProxy) {
    // The PROXY header comes before TLS and HTTP/2.
    switch (proxy_->advance(fd_, worker_.config(), worker_.context().rt.stats)) {
      case ClientProxy::Step::Ready:
        break;
      case ClientProxy::Step::Wait:
        return rearm();
      case ClientProxy::Step::Closed:
        return close(Why::Done);
      case ClientProxy::Step::Invalid:
        return close(Why::ReadError);
    }
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
  }
  flush();
  // Reading whenever the output is drained also picks up requests TLS already decrypted
  // while we stopped reading for a client slow to take its answers.
  if (!failed_ && output_.empty()) readInput();
  flush();
  settle();
}

void DohConnection::readInput() {
  uint8_t* buf = worker_.scratch();
  ioWantsWrite_ = false;
  // Requests answered from the cache are submitted while we read: stop once the socket
  // does not take their answers (a client that does not read gets no more of our time).
  while (!failed_ && !peerClosed_ && output_.empty()) {
    size_t got = 0;
    IoStatus st = io_->read(fd_, buf, TcpWorker::kScratchSize, got);
    if (st == IoStatus::Ok) {
      if (!ensureSession()) {
        failed_ = true;
        why_ = Why::ReadError;
        return;
      }
      ssize_t r = nghttp2_session_mem_recv(session_, buf, got);
      if (r < 0) {
        doh_.stats.protocolErrors.inc();
        failed_ = true;
        why_ = Why::ReadError;
        return;
      }
      flush();
      if (got < TcpWorker::kScratchSize && !io_->hasBuffered()) break;
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
}

// nghttp2_session_mem_send hands out one frame at a time: a response is at least a HEADERS
// and a DATA frame, and a read of many requests makes many responses. They are gathered in
// the worker's frame buffer and go out in one write (one TLS record, one send) per batch.
void DohConnection::flush() {
  if (failed_ || handshaking_ || !session_) return;
  if (!output_.empty()) {
    size_t sent = writeSome(output_.data(), output_.size());
    if (sent < output_.size()) {
      output_.erase(output_.begin(), output_.begin() + long(sent));
      return;
    }
    std::vector<uint8_t>().swap(output_);  // an idle connection holds no buffer
  }
  uint8_t* batch = worker_.frameBuffer();
  size_t len = 0;
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      failed_ = true;
      why_ = Why::WriteError;
      return;
    }
    if (n == 0) break;
    frameBufferDirty_ = true;
    if (len + size_t(n) > kFrameBatch) {
      if (!writeBatch(batch, len)) {
        output_.insert(output_.end(), data, data + n);  // nghttp2's frame is gone next call
        return;
      }
      len = 0;
    }
    std::memcpy(batch + len, data, size_t(n));
    len += size_t(n);
  }
  if (len) writeBatch(batch, len);
}

size_t DohConnection::writeSome(const uint8_t* data, size_t len) {
  size_t sent = 0;
  while (sent < len) {
    size_t w = 0;
    IoStatus st = io_->write(fd_, data + sent, len - sent, w);
    if (st == IoStatus::Ok) {
      sent += w;
      continue;
    }
    if (st == IoStatus::Error || st == IoStatus::Closed) {
      failed_ = true;
      why_ = Why::WriteError;
    }
    break;  // the socket is full (or failed): the caller keeps the rest
  }
  return sent;
}

bool DohConnection::writeBatch(const uint8_t* data, size_t len) {
  size_t sent = writeSome(data, len);
  if (sent == len) return true;
  output_.assign(data + sent, data + len);
  return false;
}

DohConnection::Stream* DohConnection::beginStream(int32_t id) {
  Stream& s = streams_[id];
  s.id = id;
  return &s;
}

void DohConnection::onStreamClose(int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  if (it->second.waiting) --waiting_;  // its answer, if it comes, finds no stream
  streams_.erase(it);
}

bool DohConnection::answerFromMap(Stream& s, std::string_view path) {
  std::shared_ptr<const DohResponsesMap> map = doh_.responses.load(std::memory_order_acquire);
  if (!map) return false;
  thread_local std::string subject;  // regexec wants a NUL-terminated string
  subject.assign(path);
  for (const auto& e : *map) {
    if (!e->regex.search(subject)) continue;
    respondHttp(s, e->status, e->content, {},
                e->headers ? *e->headers : doh_.settings.customResponseHeaders);
    return true;
  }
  return false;
}

void DohConnection::onRequest(Stream& s) {
  auto& st = doh_.stats;
  st.http2Queries.inc();
  if (s.method == "GET") st.getQueries.inc();
  if (s.method == "POST") st.postQueries.inc();
  core::HttpRequest http;
  std::string_view fullPath = s.path;
  size_t qmark = fullPath.find('?');
  http.path = fullPath.substr(0, qmark);
  if (qmark != std::string_view::npos) http.queryString = fullPath.substr(qmark + 1);
  http.headers = s.headers;
  http.host = s.authority;
  http.scheme = tls_ ? "https" : "http";
  if (tls_)
    if (const char* sni = SSL_get_servername(tls_->ssl(), TLSEXT_NAMETYPE_host_name))
      http.sni = sni;  // SNIRule
  // As dnsdist: the responses map sees the requests to the bind's URLs, before any DNS.
  if (!s.tooLarge && pathMatches(doh_.settings, http.path) && answerFromMap(s, http.path)) {
    HttpHeaders().swap(s.headers);  // s.body holds the response now
    return;
  }
  uint8_t* packet = worker_.queryBuffer();
  size_t len = 0;
  DohRequest r{s.method, s.path, s.contentType, s.body, s.tooLarge};
  int status = requestToQuery(doh_.settings, r, packet, TcpWorker::kScratchSize - 2, len);
  std::vector<uint8_t>().swap(s.body);
  if (status != 200) {
    HttpHeaders().swap(s.headers);
    return respond(s, status, {});
  }
  // As dnsdist: a query without EDNS gets an OPT (payload 4096), so the backend can answer
  // in full and UDP clients' cache entries serve it; the answer loses it again.
  if (dns::MessageView parsed; dns::MessageView::parse({packet, len}, parsed) ==
                               dns::ParseError::None) {
    if (size_t n = dns::addOptIfMissing(packet, len, TcpWorker::kScratchSize - 2, parsed,
                                        kAddedEdnsPayload)) {
      len = n;
      s.ednsAdded = true;
    }
  }
  bind_.stats->queries.inc();
  // The backend answers with the ID it was given: a tag of ours, unique among the
  // connection's streams at a backend, finds the stream when the answer comes back.
  s.clientId = uint16_t((packet[0] << 8) | packet[1]);
  bool used;
  do {
    used = false;
    for (const auto& [id, o] : streams_)
      if (o.waiting && o.tag == nextTag_) used = true;
    if (used) ++nextTag_;
  } while (used);
  s.tag = nextTag_++;
  packet[0] = uint8_t(s.tag >> 8);
  packet[1] = uint8_t(s.tag);
  core::QueryContext q;
  q.packet = packet;
  q.length = len;
  q.capacity = TcpWorker::kScratchSize - 2;
  q.receivedUsec = core::monotonicUsec();
  core::Destination& d = q.destination;
  d.client = client_;
  if (!s.forwardedFor.empty())
    if (auto a = forwardedClient(s.forwardedFor, client_.port())) d.client = *a;
  d.local = local_;
  if (proxy_) proxy_->fill(q);
  d.sink = &worker_;
  d.cookie = (uint64_t(slot) << 32) | generation;
  d.stream = true;
  q.http = &http;
  core::QueryAction a =
      core::processQuery(q, worker_.config(), worker_.context().rt.stats, worker_.sender());
  worker_.sender().flush();
  HttpHeaders().swap(s.headers);  // the rules have seen them; http.headers is stale now
  if (a == core::QueryAction::Forwarded) {
    s.waiting = true;
    ++waiting_;
    return;
  }
  if (a == core::QueryAction::Answer && http.status != 0)  // HTTPStatusAction
    return respondHttp(s, http.status, http.body, http.contentType,
                       doh_.settings.customResponseHeaders);
  if (a == core::QueryAction::Answer) return respond(s, 200, {q.packet, q.length});
  respond(s, 403, {});  // dropped by a rule or the ACL: as dnsdist does
}

void DohConnection::onAnswer(std::span<const uint8_t> response, core::AnswerPart) {
  // Always Whole: a DoH query never asks for a transfer's messages one by one.
  if (response.size() >= 2) {
    uint16_t tag = uint16_t((response[0] << 8) | response[1]);
    for (auto& [id, s] : streams_) {
      if (!s.waiting || s.tag != tag) continue;
      s.waiting = false;
      --waiting_;
      respond(s, 200, response);
      break;
    }
  }
  flush();
  settle();
}

void DohConnection::respond(Stream& s, int status, std::span<const uint8_t> dnsAnswer) {
  const DohSettings& cfg = doh_.settings;
  if (status != 200) {
    std::string_view text = statusText(status);
    s.body.assign(text.begin(), text.end());
    return submit(s, status, "text/plain; charset=utf-8", {}, cfg.customResponseHeaders);
  }
  s.body.assign(dnsAnswer.begin(), dnsAnswer.end());
  if (s.ednsAdded) {
    dns::MessageView m;
    if (dns::MessageView::parse(s.body, m) == dns::ParseError::None)
      s.body.resize(dns::removeOptRecord(s.body.data(), s.body.size(), m));
  }
  if (s.body.size() >= 2) {
    s.body[0] = uint8_t(s.clientId >> 8);
    s.body[1] = uint8_t(s.clientId);
  }
  std::string cacheControl;
  if (cfg.sendCacheControlHeaders) {
    if (auto age = answerMaxAge(s.body)) cacheControl = fmt::format("max-age={}", *age);
  }
  submit(s, 200, "application/dns-message", {"cache-control", cacheControl},
         cfg.customResponseHeaders);
}

void DohConnection::respondHttp(Stream& s, int status, std::string_view body,
                                std::string_view contentType, const HttpHeaders& custom) {
  if (status >= 300 && status < 400) {
    // The body is the URL (checked for control characters when the rule or entry was made).
    std::string page = fmt::format(
        "<!DOCTYPE html><title>Moved</title><p>This resource is at <a href=\"{}\">{}</a>.</p>\n",
        body, body);
    s.body.assign(page.begin(), page.end());
    return submit(s, status, "text/html; charset=utf-8", {"location", body}, custom);
  }
  s.body.assign(body.begin(), body.end());
  std::string_view type = contentType;
  if (status == 200 && type.empty()) type = "application/dns-message";  // as dnsdist
  if (status != 200 && type.empty() && !body.empty()) type = "text/plain; charset=utf-8";
  submit(s, status, type, {}, custom);
}

void DohConnection::submit(Stream& s, int status, std::string_view contentType,
                           std::pair<std::string_view, std::string_view> extra,
                           const HttpHeaders& custom) {
  doh_.stats.count(status);
  const DohSettings& cfg = doh_.settings;
  std::string statusStr = std::to_string(status);
  std::string length = std::to_string(s.body.size());
  bool customType = std::any_of(custom.begin(), custom.end(),
                                [](const auto& h) { return h.first == "content-type"; });
  nghttp2_nv nv[16];
  size_t n = 0;
  nv[n++] = header(":status", statusStr);
  if (!contentType.empty() && !customType) nv[n++] = header("content-type", contentType);
  if (!extra.second.empty()) nv[n++] = header(extra.first, extra.second);
  nv[n++] = header("content-length", length);
  if (!cfg.serverTokens.empty()) nv[n++] = header("server", cfg.serverTokens);
  for (const auto& [k, v] : custom) {
    if (n == std::size(nv)) break;
    nv[n++] = header(k, v);
  }
  s.sent = 0;
  nghttp2_data_provider body;
  body.source.ptr = &s;
  body.read_callback = readBody;
  if (nghttp2_submit_response(session_, s.id, nv, n, &body) != 0) {
    failed_ = true;
    why_ = Why::WriteError;
  }
}

void DohConnection::settle() {
  if (failed_) return close(why_);
  bool wantWrite = session_ && nghttp2_session_want_write(session_);
  bool busy = !session_ || nghttp2_session_want_read(session_) || wantWrite;
  if (!output_.empty()) busy = true;
  if (peerClosed_ && waiting_ == 0 && output_.empty() && !wantWrite) busy = false;
  if (!busy) return close(Why::Done);
  rearm();
}

void DohConnection::rearm() {
  const TcpSettings& s = worker_.context().settings;
  short flags = 0;
  int64_t timeoutMs;
  if (proxy_ && proxy_->waiting()) {
    flags = EV_READ;
    timeoutMs = s.recvTimeoutSec * 1000LL;
  } else if (handshaking_) {
    flags = ioWantsWrite_ ? EV_WRITE : EV_READ;
    timeoutMs = s.recvTimeoutSec * 1000LL;
  } else {
    trimArmed_ = false;
    if (output_.empty() && !peerClosed_) flags |= EV_READ;
    if (!output_.empty() || ioWantsWrite_) flags |= EV_WRITE;
    if (!output_.empty())
      timeoutMs = s.sendTimeoutSec * 1000LL;
    else if (waiting_ > 0)
      timeoutMs = worker_.config().settings.udpTimeoutMs + s.recvTimeoutSec * 1000LL;
    else
      timeoutMs = doh_.settings.idleTimeoutSec * 1000LL;
    bool idle = output_.empty() && waiting_ == 0;
    if (idle && frameBufferDirty_ && timeoutMs > kTrimAfterMs) {
      // First the idle-trim timer, then what is left of the idle timeout (see handle()).
      trimArmed_ = true;
      timeoutMs = kTrimAfterMs;
    } else if (idle && trimmedIdle_) {
      timeoutMs = std::max<int64_t>(timeoutMs - kTrimAfterMs, 1);
    }
  }
  armConnectionEvent(event_, armed_, worker_.base(), fd_, flags, timeoutMs, onEvent, this);
}

void DohConnection::close(Why why) {
  finishConnection(worker_, bind_, client_, startMs_, nowMs(), why, this);
}

void DohConnection::shutdown() {
  finishConnection(worker_, bind_, client_, startMs_, nowMs(), Why::Done, this);
}

}  // namespace ballast::frontend
