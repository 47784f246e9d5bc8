// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Connections run by a TcpWorker. StreamConnection is what the worker knows (start, an
/// answer from a backend, shut down); DnsStreamConnection is DNS over TCP and over TLS
/// (RFC 7766 framing, pipelined queries answered as their answers come). DoH adds its own
/// StreamConnection over the same worker and StreamIo.
#include <event2/event.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/address.hh"
#include "core/query_context.hh"
#include "frontend/client_proxy.hh"
#include "frontend/stream_io.hh"
#include "frontend/tcp_config.hh"

namespace ballast::frontend {

class TcpWorker;

class StreamConnection {
 public:
  virtual ~StreamConnection() = default;
  virtual void start() = 0;
  /// The answer to one of this connection's queries, on the worker's thread; `part` is
  /// Whole but for the messages of a zone transfer (DNS over TCP/TLS only).
  virtual void onAnswer(std::span<const uint8_t> response, core::AnswerPart part) = 0;
  /// The worker is stopping: close without waiting.
  virtual void shutdown() = 0;

  uint32_t slot = 0;
  uint32_t generation = 0;
};

/// Why a stream connection closed, for showTCPStats.
enum class CloseReason : uint8_t {
  Done,
  ReadError,
  WriteError,
  ClientTimeout,
  GaveUp,
  TooManyQueries,
  Duration,
  Handshake
};

/// What every stream connection (DNS over TCP/TLS, DoH) does at its end: counts why it
/// closed and how long it lived, frees its client's slot and hands itself back to the
/// worker, which destroys it.
void finishConnection(TcpWorker& worker, const StreamBind& bind, const core::Address& client,
                      int64_t startMs, int64_t nowMs, CloseReason why, StreamConnection* c);

/// Arms a connection's event for `flags` with a timeout, reassigning it only when the flags
/// changed since the last call (`armed` remembers them).
void armConnectionEvent(event* ev, short& armed, event_base* base, int fd, short flags,
                        int64_t timeoutMs, event_callback_fn cb, void* arg);

class DnsStreamConnection final : public StreamConnection {
 public:
  DnsStreamConnection(TcpWorker& w, int fd, const core::Address& client, const core::Address& local,
                      const StreamBind& bind, std::unique_ptr<TlsIo> tls);
  ~DnsStreamConnection() override;

  void start() override;
  void onAnswer(std::span<const uint8_t> response, core::AnswerPart part) override;
  void shutdown() override;

 private:
  using Why = CloseReason;
  static void onEvent(evutil_socket_t, short what, void* self);
  void handle(short what);
  /// Reads and runs queries; true when it stopped because the worker's buffer was full.
  bool readQueries();
  /// Runs the complete frames at the front of `pending_` while in-flight room remains.
  void processPending(const uint8_t* data, size_t& off, size_t have);
  void processQuery(const uint8_t* query, size_t len);
  void sendFrame(const uint8_t* data, size_t len);
  /// Writes the answers gathered while batching_ (in the worker's frame buffer).
  void writeBatch();
  /// Writes a run of frames; what the socket does not take is kept in output_.
  void writeOut(const uint8_t* frames, size_t len);
  bool flushOutput();  ///< false when the connection was closed
  void rearm();
  /// Closes (and destroys) the connection if it failed or is finished, else re-arms it.
  void settle();
  void close(Why why);
  /// Room to work on another query (in flight, output, lifetime limits).
  bool canProcess() const;
  bool wantsRead() const { return canProcess() && !peerClosed_; }
  /// An AXFR or IXFR query: its answer comes as several messages.
  static bool isTransferQuery(const uint8_t* query, size_t len);
  bool awaitingProxy() const { return proxy_ && proxy_->waiting(); }
  /// Reads the client's PROXY header; false when the connection is closed or must wait.
  bool readProxyHeader();
  int64_t nowMs() const;

  TcpWorker& worker_;
  int fd_;
  core::Address client_;
  core::Address local_;
  const StreamBind& bind_;
  StreamIo* io_;
  std::unique_ptr<TlsIo> tls_;
  std::string sni_;  ///< the TLS server name, read once (DNSQuestion:getServerNameIndication)
  std::unique_ptr<ClientProxy> proxy_;  ///< the client is in setProxyProtocolACL
  event* event_ = nullptr;
  int64_t startMs_;
  uint64_t queries_ = 0;
  uint32_t inFlight_ = 0;
  bool handshaking_;
  bool peerClosed_ = false;
  bool ioWantsWrite_ = false;  ///< TLS: a read needs the socket writable
  bool failed_ = false;
  /// A transfer broke off: no more queries; close once the others are answered and sent.
  bool ending_ = false;
  bool readAgain_ = false;  ///< the buffer filled while TLS held more: run again (rearm)
  bool batching_ = false;   ///< answers are gathered in the worker's frame buffer
  size_t batchLen_ = 0;     ///< bytes gathered there
  Why why_ = Why::Done;
  short armed_ = -1;              ///< the events the libevent event is assigned for
  std::vector<uint8_t> pending_;  ///< bytes of queries not yet processed (usually empty)
  std::vector<uint8_t> output_;   ///< framed answers the socket did not take yet
  /// Set when the connection closes, for the backends relaying its transfers (made at the
  /// first AXFR or IXFR query).
  std::shared_ptr<std::atomic<bool>> transferClosed_;
};

}  // namespace ballast::frontend
