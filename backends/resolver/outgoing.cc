// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/outgoing.hh"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/clock.hh"
#include "dns/header.hh"
#include "dns/message.hh"
#include "dns/types.hh"
#include "dns/writer.hh"

namespace ballast::backends::resolver {

namespace {

constexpr size_t kMaxMessage = 65535;

/// Closes the socket when the exchange ends, whichever way.
struct Socket {
  int fd;
  ~Socket() {
    if (fd >= 0) close(fd);
  }
};

int64_t leftUsec(int64_t deadline) {
  return deadline - core::monotonicUsec();
}

Task<Reply> overTcp(EventLoop& loop, const OutgoingQuery& q, const std::vector<uint8_t>& query,
                    int64_t deadline) {
  Reply r;
  r.overTcp = true;
  Socket s{socket(q.server.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) co_return r;
  if (connect(s.fd, q.server.sockaddr_(), q.server.length()) != 0 && errno != EINPROGRESS)
    co_return r;
  if (!co_await loop.wait(s.fd, EV_WRITE, leftUsec(deadline))) {
    r.status = Reply::Status::Timeout;
    co_return r;
  }
  int err = 0;
  socklen_t errLen = sizeof(err);
  if (getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &errLen) != 0 || err != 0) co_return r;
  std::vector<uint8_t> out(query.size() + 2);
  out[0] = uint8_t(query.size() >> 8);
  out[1] = uint8_t(query.size());
  std::copy(query.begin(), query.end(), out.begin() + 2);
  // A query is far below any socket buffer: one send writes it whole or fails.
  if (send(s.fd, out.data(), out.size(), MSG_NOSIGNAL) != ssize_t(out.size())) co_return r;
  std::vector<uint8_t> in;
  size_t want = 2;
  uint8_t buf[4096];
  while (in.size() < want) {
    ssize_t n = recv(s.fd, buf, sizeof(buf), 0);
    if (n == 0) co_return r;
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) co_return r;
      if (!co_await loop.wait(s.fd, EV_READ, leftUsec(deadline))) {
        r.status = Reply::Status::Timeout;
        co_return r;
      }
      continue;
    }
    in.insert(in.end(), buf, buf + n);
    if (want == 2 && in.size() >= 2) want = 2 + ((size_t(in[0]) << 8) | in[1]);
  }
  r.packet.assign(in.begin() + 2, in.begin() + long(want));
  if (!answersQuery(r.packet, r.packet.size(), q)) {
    r.packet.clear();
    ++r.mismatched;
    co_return r;
  }
  r.status = Reply::Status::Answer;
  co_return r;
}

}  // namespace

std::vector<uint8_t> buildQuery(const OutgoingQuery& q) {
  std::vector<uint8_t> buf;
  dns::MessageWriter w(buf, q.id, q.qname, q.qtype);
  w.header().setRd(q.rd);
  if (q.edns) w.addOpt(q.ednsBufferSize, q.dnssecOk);
  return buf;
}

bool answersQuery(const std::vector<uint8_t>& packet, size_t len, const OutgoingQuery& q) {
  if (len < dns::kHeaderSize) return false;
  dns::HeaderView h(packet.data());
  if (!h.qr() || h.id() != q.id || h.opcode() != dns::opcode::Query) return false;
  dns::MessageView m;
  if (dns::MessageView::parse({packet.data(), len}, m) != dns::ParseError::None) return false;
  // A FORMERR from a server that did not understand the query may come without a question.
  if (!m.hasQuestion()) return h.rcode() == dns::rcode::FormErr;
  return m.question().qtype == q.qtype && m.question().qclass == dns::qclass::IN &&
         m.question().name.equals(q.qname);
}

Task<Reply> exchange(EventLoop& loop, OutgoingQuery q) {
  const int64_t start = core::monotonicUsec();
  const int64_t deadline = start + q.timeoutUsec;
  std::vector<uint8_t> query = buildQuery(q);
  Reply r;
  Socket s{socket(q.server.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0 || connect(s.fd, q.server.sockaddr_(), q.server.length()) != 0 ||
      send(s.fd, query.data(), query.size(), 0) != ssize_t(query.size()))
    co_return r;
  // Datagrams are read into the thread's one scratch buffer (a resolution only reads
  // while it runs, and nothing else runs meanwhile on this thread); only ours is copied out.
  thread_local std::vector<uint8_t> buf(kMaxMessage);
  size_t got = 0;
  for (;;) {
    if (!co_await loop.wait(s.fd, EV_READ, leftUsec(deadline))) {
      r.status = Reply::Status::Timeout;
      r.rttUsec = core::monotonicUsec() - start;
      co_return r;
    }
    ssize_t n = recv(s.fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      co_return r;  // ECONNREFUSED and friends: nothing listens there
    }
    if (!answersQuery(buf, size_t(n), q)) {
      ++r.mismatched;  // a spoofing attempt or a late answer: keep waiting for ours
      continue;
    }
    got = size_t(n);
    break;
  }
  if (dns::HeaderView(buf.data()).tc()) {
    Reply t = co_await overTcp(loop, q, query, core::monotonicUsec() + q.timeoutUsec);
    t.mismatched += r.mismatched;
    t.rttUsec = core::monotonicUsec() - start;
    co_return t;
  }
  r.status = Reply::Status::Answer;
  r.packet.assign(buf.begin(), buf.begin() + long(got));
  r.rttUsec = core::monotonicUsec() - start;
  co_return r;
}

}  // namespace ballast::backends::resolver
