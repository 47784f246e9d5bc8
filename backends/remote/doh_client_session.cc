// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/doh_client_session.hh"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace ballast::backends::remote {

namespace {
constexpr size_t kMaxAnswer = 65535;  // a DNS message is never larger
constexpr uint32_t kWindow = 1 << 20;

nghttp2_nv header(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}
}  // namespace

DohClientSession::DohClientSession(std::string authority, std::string path)
    : authority_(std::move(authority)), path_(std::move(path)) {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) throw std::runtime_error("nghttp2 callbacks");
  nghttp2_session_callbacks_set_on_header_callback(cbs, onHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, onData);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, onClose);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, onFrame);
  int rv = nghttp2_session_client_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) throw std::runtime_error("nghttp2 client session");
  // A larger window than the 64 kB default, so several large answers at once do not wait
  // for WINDOW_UPDATEs.
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                       {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kWindow}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, int32_t(kWindow));
}

DohClientSession::~DohClientSession() {
  nghttp2_session_del(session_);
}

bool DohClientSession::submit(uint16_t tag, std::span<const uint8_t> query, const Headers& extra) {
  if (goaway_) return false;
  auto s = std::make_unique<Stream>();
  s->tag = tag;
  s->request.assign(query.begin(), query.end());
  std::string length = std::to_string(query.size());
  std::vector<nghttp2_nv> nv = {header(":method", "POST"),
                                header(":scheme", "https"),
                                header(":authority", authority_),
                                header(":path", path_),
                                header("accept", "application/dns-message"),
                                header("content-type", "application/dns-message"),
                                header("content-length", length)};
  for (const auto& [name, value] : extra) nv.push_back(header(name, value));
  nghttp2_data_provider body;
  body.source.ptr = s.get();
  body.read_callback = readBody;
  int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), &body, nullptr);
  if (id < 0) return false;
  streams_.emplace(id, std::move(s));
  return true;
}

ssize_t DohClientSession::readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t len,
                                   uint32_t* flags, nghttp2_data_source* src, void*) {
  auto* s = static_cast<Stream*>(src->ptr);
  size_t n = std::min(len, s->request.size() - s->sent);
  std::memcpy(buf, s->request.data() + s->sent, n);
  s->sent += n;
  if (s->sent == s->request.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return ssize_t(n);
}

int DohClientSession::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                               size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                               void* self) {
  auto* me = static_cast<DohClientSession*>(self);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto it = me->streams_.find(frame->hd.stream_id);
  if (it == me->streams_.end()) return 0;
  if (std::string_view(reinterpret_cast<const char*>(name), namelen) == ":status") {
    int status = 0;
    for (size_t i = 0; i < valuelen && value[i] >= '0' && value[i] <= '9'; ++i)
      status = status * 10 + (value[i] - '0');
    it->second->status = status;
  }
  return 0;
}

int DohClientSession::onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                             void* self) {
  auto* me = static_cast<DohClientSession*>(self);
  auto it = me->streams_.find(id);
  if (it == me->streams_.end()) return 0;
  Stream& s = *it->second;
  if (s.response.size() + len > kMaxAnswer) {
    s.tooLarge = true;
    return 0;
  }
  s.response.insert(s.response.end(), data, data + len);
  return 0;
}

int DohClientSession::onClose(nghttp2_session*, int32_t id, uint32_t error, void* self) {
  auto* me = static_cast<DohClientSession*>(self);
  auto it = me->streams_.find(id);
  if (it == me->streams_.end()) return 0;
  Stream& s = *it->second;
  Reply r;
  r.tag = s.tag;
  r.status = s.status;
  r.ok = error == NGHTTP2_NO_ERROR && s.status == 200 && !s.tooLarge && !s.response.empty();
  if (r.ok) r.body = std::move(s.response);
  me->replies_.push_back(std::move(r));
  me->streams_.erase(it);
  return 0;
}

int DohClientSession::onFrame(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  if (frame->hd.type == NGHTTP2_GOAWAY) static_cast<DohClientSession*>(self)->goaway_ = true;
  return 0;
}

bool DohClientSession::receive(const uint8_t* data, size_t len) {
  return nghttp2_session_mem_recv(session_, data, len) == ssize_t(len);
}

bool DohClientSession::alive() const {
  return nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0;
}

bool DohClientSession::produce(std::vector<uint8_t>& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return false;
    if (n == 0) return true;
    out.insert(out.end(), data, data + n);
  }
}

}  // namespace ballast::backends::remote
