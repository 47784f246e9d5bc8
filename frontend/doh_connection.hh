// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// DNS over HTTPS (RFC 8484) on one client connection: an nghttp2 server session over the
/// worker's StreamIo (TLS with ALPN h2, or plain HTTP/2 behind a TLS terminator). Every
/// request stream becomes a query through core::processQuery; answers from backends come
/// back through the worker (its (slot, generation) cookie finds this connection) and carry
/// a per-connection tag in the DNS ID that finds the stream, so many streams are in flight
/// at once and each is answered when its answer is ready.
#include <event2/event.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/address.hh"
#include "frontend/doh_config.hh"
#include "frontend/stream_io.hh"
#include "frontend/tcp_config.hh"
#include "frontend/tcp_connection.hh"

namespace ballast::frontend {

class TcpWorker;

class DohConnection final : public StreamConnection {
 public:
  DohConnection(TcpWorker& w, int fd, const core::Address& client, const core::Address& local,
                const StreamBind& bind, std::unique_ptr<TlsIo> tls);
  ~DohConnection() override;

  void start() override;
  void onAnswer(std::span<const uint8_t> response, core::AnswerPart part) override;
  void shutdown() override;

  /// One request stream: what was received, then the response body being sent.
  struct Stream {
    int32_t id = 0;
    std::string method;
    std::string path;
    std::string contentType;
    std::vector<uint8_t> body;  ///< request body, then response body
    HttpHeaders headers;        ///< kept for the rules with keepIncomingHeaders only
    size_t sent = 0;            ///< response bytes handed to nghttp2
    uint16_t clientId = 0;      ///< the DNS ID the client chose, restored in the answer
    uint16_t tag = 0;           ///< the DNS ID while the query is with a backend
    bool waiting = false;       ///< forwarded, answer not back yet
    bool tooLarge = false;
    bool ednsAdded = false;     ///< the query had no OPT; ours is taken off the answer
    std::string forwardedFor;   ///< X-Forwarded-For, kept with trustForwardedForHeader only
    std::string authority;      ///< :authority (or Host), for DNSQuestion:getHTTPHost
  };

  // nghttp2 callbacks' entry points (public for the C callbacks).
  Stream* beginStream(int32_t id);
  void onRequest(Stream& s);
  void onStreamClose(int32_t id);
  const DohSettings& settings() const { return doh_.settings; }

 private:
  using Why = CloseReason;
  static void onEvent(evutil_socket_t, short what, void* self);
  void handle(short what);
  void readInput();
  /// Makes the nghttp2 session on the first bytes from the client; false if it cannot.
  bool ensureSession();
  /// Moves nghttp2's pending frames to the socket; keeps what the socket did not take.
  void flush();
  /// Writes until the socket is full; returns how much went (failed_ set on an error).
  size_t writeSome(const uint8_t* data, size_t len);
  /// Writes a batch of frames; what the socket did not take is kept in output_ (false).
  bool writeBatch(const uint8_t* data, size_t len);
  /// A DNS answer (200) or one of our own error statuses.
  void respond(Stream& s, int status, std::span<const uint8_t> dnsAnswer);
  /// A response a rule or the responses map chose (dnsdist's: a 3xx redirects to `body`).
  void respondHttp(Stream& s, int status, std::string_view body, std::string_view contentType,
                   const HttpHeaders& custom);
  /// Submits s.body with `status`; `extra` is one more header (cache-control, location).
  void submit(Stream& s, int status, std::string_view contentType,
              std::pair<std::string_view, std::string_view> extra, const HttpHeaders& custom);
  /// True when the bind's responses map answered the request.
  bool answerFromMap(Stream& s, std::string_view path);
  void settle();
  void rearm();
  /// An idle connection gives back the pages of nghttp2's 16 kB frame buffer and the zero
  /// pages of its other blocks of a page or more (see .cc).
  void trimIdle();
  static void* memMalloc(size_t size, void* self);
  static void memFree(void* ptr, void* self);
  static void* memCalloc(size_t n, size_t size, void* self);
  static void* memRealloc(void* ptr, size_t size, void* self);
  void close(Why why);
  int64_t nowMs() const;

  TcpWorker& worker_;
  int fd_;
  core::Address client_;
  core::Address local_;
  const StreamBind& bind_;
  DohBind& doh_;
  StreamIo* io_;
  std::unique_ptr<TlsIo> tls_;
  std::unique_ptr<ClientProxy> proxy_;  ///< the client is in setProxyProtocolACL
  event* event_ = nullptr;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, Stream> streams_;
  int64_t startMs_;
  uint32_t waiting_ = 0;  ///< streams with a query at a backend
  uint16_t nextTag_ = 0;
  bool handshaking_;
  bool ioWantsWrite_ = false;
  bool peerClosed_ = false;
  bool failed_ = false;
  Why why_ = Why::Done;
  short armed_ = -1;
  std::vector<uint8_t> output_;  ///< frames the socket did not take yet
  nghttp2_mem mem_;              ///< nghttp2 allocates through us (memMalloc...)
  struct BigBlock {
    void* ptr;
    size_t size;  ///< whole pages
  };
  std::vector<BigBlock> bigBlocks_;  ///< nghttp2's allocations of a page or more, page-aligned
  void* frameBuffer_ = nullptr;      ///< the one of them that is nghttp2's frame buffer
  bool makingSession_ = false;       ///< in nghttp2_session_server_new3
  bool frameBufferDirty_ = false;  ///< written since it was last trimmed
  bool trimArmed_ = false;         ///< the timer now running is the idle-trim one
  bool trimmedIdle_ = false;       ///< trimmed, no event since: the idle timer is shorter
};

}  // namespace ballast::frontend
