// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The HTTP/2 side of DNS over HTTPS to a backend (newServer{tls=..., dohPath=...}): one
/// nghttp2 client session per connection, each query a POST of application/dns-message on
/// its own stream, many streams at once. No I/O here: the TCP client feeds it the bytes
/// it read and writes what it produces, so the protocol is tested without sockets.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ballast::backends::remote {

class DohClientSession {
 public:
  /// `authority` is the :authority of every request (subjectName, or the address), `path`
  /// dohPath. Throws std::runtime_error if nghttp2 cannot make a session.
  DohClientSession(std::string authority, std::string path);
  ~DohClientSession();
  DohClientSession(const DohClientSession&) = delete;
  DohClientSession& operator=(const DohClientSession&) = delete;

  using Headers = std::vector<std::pair<std::string, std::string>>;
  /// Queues a POST of `query` on a new stream, with `extra` headers (X-Forwarded-*). The
  /// answer comes back as a Reply carrying `tag`. False if the session takes no more streams.
  bool submit(uint16_t tag, std::span<const uint8_t> query, const Headers& extra = {});
  /// Bytes from the server. False on a fatal error: close the connection. A protocol error
  /// queues a GOAWAY instead, after which alive() turns false.
  bool receive(const uint8_t* data, size_t len);
  /// Appends what should be sent to the server to `out`. False on error.
  bool produce(std::vector<uint8_t>& out);

  /// A finished stream: `ok` when the server answered 200 with a body (the DNS answer).
  struct Reply {
    uint16_t tag = 0;
    bool ok = false;
    int status = 0;
    std::vector<uint8_t> body;
  };
  /// The streams finished since the last call.
  std::vector<Reply> takeReplies() { return std::move(replies_); }
  /// False once the session has ended (a GOAWAY sent or received and nothing left to do):
  /// close the connection.
  bool alive() const;
  /// The server sent GOAWAY: no new streams on this connection.
  bool closing() const { return goaway_; }
  /// Streams open (sent, not yet finished).
  size_t openStreams() const { return streams_.size(); }

 private:
  struct Stream {
    uint16_t tag = 0;
    std::vector<uint8_t> request;
    size_t sent = 0;
    int status = 0;
    std::vector<uint8_t> response;
    bool tooLarge = false;
  };
  static ssize_t readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                          nghttp2_data_source* src, void*);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* self);
  static int onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void* self);
  static int onClose(nghttp2_session*, int32_t id, uint32_t error, void* self);
  static int onFrame(nghttp2_session*, const nghttp2_frame* frame, void* self);

  std::string authority_;
  std::string path_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  std::vector<Reply> replies_;
  bool goaway_ = false;
};

}  // namespace ballast::backends::remote
