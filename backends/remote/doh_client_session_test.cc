// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/doh_client_session.hh"

#include <doctest.h>
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

using ballast::backends::remote::DohClientSession;

namespace {

/// A minimal HTTP/2 server made with nghttp2's server session: it records each request's
/// headers and body and answers with `status` and the body reversed.
struct Server {
  struct Req {
    std::map<std::string, std::string> headers;
    std::vector<uint8_t> body;
    std::vector<uint8_t> answer;
    size_t sent = 0;
  };
  nghttp2_session* session = nullptr;
  std::map<int32_t, Req> reqs;
  std::vector<Req> done;
  int status = 200;

  Server() {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                const uint8_t* v, size_t vl, uint8_t, void* self) {
          static_cast<Server*>(self)
              ->reqs[f->hd.stream_id]
              .headers[std::string(reinterpret_cast<const char*>(n), nl)] =
              std::string(reinterpret_cast<const char*>(v), vl);
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cbs, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t l, void* self) {
          auto& b = static_cast<Server*>(self)->reqs[id].body;
          b.insert(b.end(), d, d + l);
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cbs, [](nghttp2_session* s, const nghttp2_frame* f, void* self) {
          if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
              !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
            return 0;
          auto* me = static_cast<Server*>(self);
          Req& r = me->reqs[f->hd.stream_id];
          r.answer.assign(r.body.rbegin(), r.body.rend());
          std::string st = std::to_string(me->status);
          nghttp2_nv nv[] = {{(uint8_t*)":status", (uint8_t*)st.data(), 7, st.size(), 0}};
          nghttp2_data_provider p;
          p.source.ptr = &r;
          p.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                               nghttp2_data_source* src, void*) -> ssize_t {
            auto* q = static_cast<Req*>(src->ptr);
            size_t n = std::min(len, q->answer.size() - q->sent);
            std::memcpy(buf, q->answer.data() + q->sent, n);
            q->sent += n;
            if (q->sent == q->answer.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
            return ssize_t(n);
          };
          nghttp2_submit_response(s, f->hd.stream_id, nv, 1, &p);
          return 0;
        });
    nghttp2_session_server_new(&session, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Server() { nghttp2_session_del(session); }
  void take(const std::vector<uint8_t>& in) {
    REQUIRE(nghttp2_session_mem_recv(session, in.data(), in.size()) == ssize_t(in.size()));
  }
  std::vector<uint8_t> give() {
    std::vector<uint8_t> out;
    const uint8_t* d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session, &d)) > 0) out.insert(out.end(), d, d + n);
    return out;
  }
};

void exchange(DohClientSession& c, Server& s) {
  for (int i = 0; i < 4; ++i) {
    std::vector<uint8_t> out;
    REQUIRE(c.produce(out));
    s.take(out);
    auto back = s.give();
    REQUIRE(c.receive(back.data(), back.size()));
  }
}

}  // namespace

TEST_CASE("queries go out as POSTs on streams of one session and come back by tag") {
  DohClientSession c("dns.example", "/dns-query");
  Server s;
  std::vector<uint8_t> q1 = {1, 2, 3}, q2 = {4, 5, 6, 7};
  REQUIRE(c.submit(11, q1, {{"x-forwarded-for", "192.0.2.1"}}));
  REQUIRE(c.submit(12, q2));
  CHECK(c.openStreams() == 2);
  exchange(c, s);
  auto replies = c.takeReplies();
  REQUIRE(replies.size() == 2);
  std::map<uint16_t, std::vector<uint8_t>> byTag;
  for (auto& r : replies) {
    CHECK(r.ok);
    byTag[r.tag] = r.body;
  }
  CHECK(byTag[11] == std::vector<uint8_t>{3, 2, 1});
  CHECK(byTag[12] == std::vector<uint8_t>{7, 6, 5, 4});
  CHECK(c.openStreams() == 0);
  REQUIRE(s.reqs.size() == 2);
  auto& h = s.reqs.begin()->second.headers;
  CHECK(h[":method"] == "POST");
  CHECK(h[":path"] == "/dns-query");
  CHECK(h[":authority"] == "dns.example");
  CHECK(h["content-type"] == "application/dns-message");
  CHECK(h["accept"] == "application/dns-message");
  CHECK(h["content-length"] == "3");
  CHECK(h["x-forwarded-for"] == "192.0.2.1");
}

TEST_CASE("an answer other than 200 fails its query only") {
  DohClientSession c("dns.example", "/dns-query");
  Server s;
  s.status = 403;
  std::vector<uint8_t> q = {9, 9};
  REQUIRE(c.submit(5, q));
  exchange(c, s);
  auto replies = c.takeReplies();
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].ok);
  CHECK(replies[0].status == 403);
  CHECK(replies[0].tag == 5);
}

TEST_CASE("garbage from the server is a protocol error") {
  DohClientSession c("dns.example", "/dns-query");
  std::vector<uint8_t> out;
  REQUIRE(c.produce(out));
  // A DATA frame on stream 0, where no DATA may be.
  const uint8_t junk[] = {0, 0, 1, 0, 0, 0, 0, 0, 0, 'x'};
  CHECK(c.alive());
  c.receive(junk, sizeof(junk));
  out.clear();
  REQUIRE(c.produce(out));  // the GOAWAY
  CHECK_FALSE(out.empty());
  CHECK_FALSE(c.alive());
}
