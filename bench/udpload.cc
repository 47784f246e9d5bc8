// SPDX-License-Identifier: GPL-2.0-only
// bench/udpload: a one-thread UDP DNS load generator that keeps up to -q queries in flight
// over one socket, sending and receiving in batches (sendmmsg/recvmmsg), so that it is not
// the bottleneck of a loopback benchmark. Queries are built once from a file of
// "name type" lines and sent in order, round after round; each gets the next 16-bit ID, so
// an answer is matched to its query by ID alone and its latency taken from the send time.
// A query unanswered after -t ms (default 500) is counted lost; a lost query holds its ID,
// not a place in the window. Prints one "key=value" line per figure.
//
//   udpload -s 127.0.0.1 -p 5391 -d names.txt [-l seconds] [-n passes] [-q outstanding]
//           [-b batch] [-t timeout_ms] [-Q qps] [-e]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

uint16_t typeCode(const std::string& t) {
  static const std::pair<const char*, uint16_t> kTypes[] = {
      {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"MX", 15},
      {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"DS", 43}, {"DNSKEY", 48}, {"ANY", 255}};
  for (const auto& [name, code] : kTypes)
    if (strcasecmp(name, t.c_str()) == 0) return code;
  return uint16_t(std::atoi(t.c_str()));
}

/// The wire form of a query for `name` (presentation form, dot-separated), ID 0, RD set.
bool buildQuery(const std::string& name, uint16_t qtype, bool edns, std::vector<uint8_t>& out) {
  out.assign({0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, uint8_t(edns ? 1 : 0)});
  std::stringstream ss(name);
  std::string label;
  while (std::getline(ss, label, '.')) {
    if (label.empty()) continue;
    if (label.size() > 63) return false;
    out.push_back(uint8_t(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  out.insert(out.end(), {0, uint8_t(qtype >> 8), uint8_t(qtype), 0, 1});
  if (edns) out.insert(out.end(), {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0});  // 1232 bytes
  return out.size() <= 512;
}

/// Latency histogram: 1 us buckets up to 20 ms, then 1 ms buckets up to 10 s.
struct Histogram {
  static constexpr size_t kFine = 20000, kCoarse = 10000;
  std::vector<uint64_t> counts = std::vector<uint64_t>(kFine + kCoarse + 1);
  uint64_t total = 0;
  void add(int64_t us) {
    size_t b = us < int64_t(kFine) ? size_t(std::max<int64_t>(us, 0))
                                   : std::min(kFine + size_t(us - kFine) / 1000, counts.size() - 1);
    ++counts[b];
    ++total;
  }
  double percentile(double p) const {
    if (total == 0) return 0;
    uint64_t rank = uint64_t(p / 100.0 * double(total) + 0.5);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < counts.size(); ++b) {
      seen += counts[b];
      if (seen >= rank) return b < kFine ? double(b) : double(kFine + (b - kFine) * 1000);
    }
    return 0;
  }
};

void usage() {
  std::fprintf(stderr,
               "usage: udpload -s ADDR -p PORT -d FILE [-l SECONDS] [-n PASSES] [-q OUTSTANDING]"
               " [-b BATCH] [-t TIMEOUT_MS] [-Q QPS] [-e]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string server = "127.0.0.1", file;
  int port = 53, opt;
  double seconds = 0;
  long passes = 0, outstanding = 2000, batch = 64, timeoutMs = 500;
  double rate = 0;  // queries per second; 0: as fast as the window allows
  bool edns = false;
  while ((opt = getopt(argc, argv, "s:p:d:l:n:q:b:t:Q:eh")) != -1) {
    switch (opt) {
      case 's': server = optarg; break;
      case 'p': port = std::atoi(optarg); break;
      case 'd': file = optarg; break;
      case 'l': seconds = std::atof(optarg); break;
      case 'n': passes = std::atol(optarg); break;
      case 'q': outstanding = std::atol(optarg); break;
      case 'b': batch = std::atol(optarg); break;
      case 't': timeoutMs = std::atol(optarg); break;
      case 'Q': rate = std::atof(optarg); break;
      case 'e': edns = true; break;
      default: usage(); return opt == 'h' ? 0 : 2;
    }
  }
  if (file.empty() || outstanding < 1 || outstanding > 60000 || batch < 1 || batch > 1024 ||
      (seconds <= 0 && passes <= 0)) {
    usage();
    return 2;
  }
  std::vector<std::vector<uint8_t>> queries;
  {
    std::ifstream in(file);
    std::string line, name, type;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      if (!(ls >> name)) continue;
      if (!(ls >> type)) type = "A";
      queries.emplace_back();
      if (!buildQuery(name, typeCode(type), edns, queries.back())) queries.pop_back();
    }
  }
  if (queries.empty()) {
    std::fprintf(stderr, "udpload: no usable query in %s\n", file.c_str());
    return 1;
  }

  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(uint16_t(port));
  if (inet_pton(AF_INET, server.c_str(), &to.sin_addr) != 1) {
    std::fprintf(stderr, "udpload: bad IPv4 address %s\n", server.c_str());
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    std::perror("udpload: connect");
    return 1;
  }

  // IDs are handed out in order; [tail, next) (mod 2^16) holds every ID that may be in
  // flight, so an ID is never reused while its query can still be answered. The window is
  // the count in flight, so a lost query does not stall it (only the ID space, after 65,536
  // more queries, until it times out).
  std::vector<int64_t> sentAt(65536, 0);  // 0: not in flight
  uint32_t next = 0, tail = 0, inFlight = 0;
  uint64_t sent = 0, received = 0, lost = 0, errors = 0, unexpected = 0;
  size_t qi = 0;
  const uint64_t maxSent = passes > 0 ? uint64_t(passes) * queries.size() : UINT64_MAX;
  Histogram hist;

  const size_t nb = size_t(batch);
  std::vector<std::vector<uint8_t>> out(nb, std::vector<uint8_t>(512));
  std::vector<std::vector<uint8_t>> in(nb, std::vector<uint8_t>(4096));
  std::vector<mmsghdr> smsgs(nb), rmsgs(nb);
  std::vector<iovec> siovs(nb), riovs(nb);
  for (long i = 0; i < batch; ++i) {
    riovs[size_t(i)] = {in[size_t(i)].data(), in[size_t(i)].size()};
  }

  const int64_t start = nowNs();
  const int64_t end = seconds > 0 ? start + int64_t(seconds * 1e9) : INT64_MAX;
  const int64_t timeoutNs = timeoutMs * 1000000;
  int64_t now = start;
  for (;;) {
    now = nowNs();
    // Expire the oldest queries.
    while (tail != next) {
      int64_t t = sentAt[tail & 0xffff];
      if (t != 0 && now - t < timeoutNs) break;
      if (t != 0) {
        ++lost;
        --inFlight;
        sentAt[tail & 0xffff] = 0;
      }
      ++tail;
    }
    bool sending = now < end && sent < maxSent;
    if (!sending && tail == next) break;
    if (seconds > 0 && now >= end + timeoutNs) break;  // after one timeout more

    uint64_t allowed = maxSent;
    if (rate > 0) allowed = std::min<uint64_t>(maxSent, uint64_t(double(now - start) * rate / 1e9) + 1);
    size_t k = 0;
    while (sending && k < size_t(batch) && inFlight < uint32_t(outstanding) &&
           next - tail < 65535 && sent + k < allowed) {
      const auto& q = queries[qi];
      qi = qi + 1 == queries.size() ? 0 : qi + 1;
      std::memcpy(out[k].data(), q.data(), q.size());
      out[k][0] = uint8_t(next >> 8);
      out[k][1] = uint8_t(next);
      sentAt[next & 0xffff] = now;
      ++next;
      ++inFlight;
      siovs[k] = {out[k].data(), q.size()};
      smsgs[k].msg_hdr = {};
      smsgs[k].msg_hdr.msg_iov = &siovs[k];
      smsgs[k].msg_hdr.msg_iovlen = 1;
      ++k;
    }
    if (k > 0) {
      size_t done = 0;
      while (done < k) {
        int r = sendmmsg(fd, smsgs.data() + done, unsigned(k - done), 0);
        if (r <= 0) break;
        done += size_t(r);
      }
      // What the kernel refused (full buffer) counts as sent and will time out as lost.
      sent += k;
    }

    int n = 0;
    int got = 0;
    do {
      for (long i = 0; i < batch; ++i) {
        rmsgs[size_t(i)].msg_hdr = {};
        rmsgs[size_t(i)].msg_hdr.msg_iov = &riovs[size_t(i)];
        rmsgs[size_t(i)].msg_hdr.msg_iovlen = 1;
      }
      n = recvmmsg(fd, rmsgs.data(), unsigned(batch), MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      int64_t t = nowNs();
      for (int i = 0; i < n; ++i) {
        const uint8_t* p = in[size_t(i)].data();
        if (rmsgs[size_t(i)].msg_len < 12 || !(p[2] & 0x80)) {
          ++unexpected;
          continue;
        }
        uint16_t id = uint16_t(p[0] << 8 | p[1]);
        if (sentAt[id] == 0) {
          ++unexpected;
          continue;
        }
        hist.add((t - sentAt[id]) / 1000);
        sentAt[id] = 0;
        --inFlight;
        ++received;
        if ((p[3] & 0x0f) != 0) ++errors;
      }
      got += n;
    } while (n == batch);

    if (k == 0 && got == 0) {
      // Nothing to send (window full or done) and nothing arrived: wait for an answer.
      pollfd pfd{fd, POLLIN, 0};
      poll(&pfd, 1, 1);
    }
  }
  double elapsed = double(std::min(now, end) - start) / 1e9;
  if (seconds <= 0) elapsed = double(now - start) / 1e9;
  std::printf("sent=%llu\nreceived=%llu\nlost=%llu\nrcode_errors=%llu\nunexpected=%llu\n",
              (unsigned long long)sent, (unsigned long long)received, (unsigned long long)lost,
              (unsigned long long)errors, (unsigned long long)unexpected);
  std::printf("elapsed_s=%.3f\nqps=%.0f\n", elapsed, elapsed > 0 ? double(received) / elapsed : 0);
  std::printf("p50_us=%.0f\np90_us=%.0f\np99_us=%.0f\np999_us=%.0f\n", hist.percentile(50),
              hist.percentile(90), hist.percentile(99), hist.percentile(99.9));
  close(fd);
  return 0;
}
