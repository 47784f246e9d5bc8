// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/ecs_actions.hh"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/query_context.hh"
#include "core/runtime_config.hh"
#include "dns/ecs.hh"
#include "dns/header.hh"
#include "dns/types.hh"
#include "metrics/counter.hh"

namespace ballast::core::rules {

namespace {

/// "192.0.2.0/24" or an address alone, as the subnet ECS carries.
dns::ClientSubnet parseSubnet(const std::string& text) {
  auto slash = text.find('/');
  Address a = Address::parse(text.substr(0, slash), 0);
  size_t max = a.byteLength() * 8;
  size_t bits = max;
  if (slash != std::string::npos) {
    std::string b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(b) > max)
      throw std::invalid_argument(fmt::format("'{}' is not a netmask", text));
    bits = std::stoul(b);
  }
  return dns::makeClientSubnet(a.bytes(), a.byteLength(), uint8_t(bits));
}

std::string subnetText(const std::string& s) {
  return s.find('/') == std::string::npos ? s + (s.find(':') == std::string::npos ? "/32" : "/128")
                                          : s;
}

/// Sets fields of the query the pipeline reads after the rules; goes on with the next rule.
template <typename Fn>
class QueryFieldAction : public Action {
 public:
  QueryFieldAction(std::string d, Fn fn) : d_(std::move(d)), fn_(std::move(fn)) {}
  Verdict apply(DQ& dq) const override {
    if (dq.query) fn_(*dq.query, dq);
    return Verdict::None;
  }
  std::string describe() const override { return d_; }

 private:
  std::string d_;
  Fn fn_;
};

template <typename Fn>
std::shared_ptr<const Action> make(std::string d, Fn fn) {
  return std::make_shared<QueryFieldAction<Fn>>(std::move(d), std::move(fn));
}

class TeeAction : public Action {
 public:
  TeeAction(const Address& remote, bool addEcs) : remote_(remote), addEcs_(addEcs) {
    fd_ = ::socket(remote.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) throw std::invalid_argument(fmt::format("socket: {}", std::strerror(errno)));
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_ < 0 || ::connect(fd_, remote.sockaddr_(), remote.length()) != 0) {
      std::string why = std::strerror(errno);
      ::close(fd_);
      if (wake_ >= 0) ::close(wake_);
      throw std::invalid_argument(
          fmt::format("cannot send to {}: {}", remote.toStringWithPort(), why));
    }
    reader_ = std::thread([this] { readAnswers(); });
  }
  ~TeeAction() override {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    reader_.join();
    ::close(fd_);
    ::close(wake_);
  }

  Verdict apply(DQ& dq) const override {
    if (dq.tcp) {
      tcpDrops_.inc();
      return Verdict::None;
    }
    queries_.inc();
    const uint8_t* send = dq.packet;
    size_t len = dq.length;
    // The copy is made in a buffer of this thread's, reused: no allocation per query.
    thread_local std::vector<uint8_t> copy;
    if (addEcs_ && dq.remote && dq.config) {
      copy.resize(65535);
      std::memcpy(copy.data(), dq.packet, dq.length);
      const Settings& s = dq.config->settings;
      auto subnet =
          dns::makeClientSubnet(dq.remote->bytes(), dq.remote->byteLength(),
                                dq.remote->isV4() ? s.ecsSourcePrefixV4 : s.ecsSourcePrefixV6);
      uint8_t option[dns::kMaxEcsOptionSize];
      size_t n = dns::writeClientSubnetOption(subnet, option);
      // The copy has the query's layout, so the query's parse describes it; an option the
      // client sent is kept.
      dns::addClientSubnet(copy.data(), len, copy.size(), dq.message, {option, n}, false);
      send = copy.data();
    }
    if (::send(fd_, send, len, MSG_DONTWAIT) < 0) sendErrors_.inc();
    return Verdict::None;
  }

  std::string describe() const override {
    return fmt::format("tee to {}{}", remote_.toStringWithPort(), addEcs_ ? " with ECS" : "");
  }

  std::vector<std::pair<std::string, uint64_t>> stats() const override {
    return {{"noerrors", noErrors_.value()},      {"nxdomains", nxDomains_.value()},
            {"other-rcode", otherRcode_.value()}, {"queries", queries_.value()},
            {"recv-errors", recvErrors_.value()}, {"refuseds", refuseds_.value()},
            {"responses", responses_.value()},    {"send-errors", sendErrors_.value()},
            {"servfails", servFails_.value()},    {"tcp-drops", tcpDrops_.value()}};
  }

 private:
  void readAnswers() {
    std::vector<uint8_t> buf(65535);
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      for (;;) {
        ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) recvErrors_.inc();
          break;
        }
        if (size_t(n) < dns::kHeaderSize) {
          recvErrors_.inc();
          continue;
        }
        responses_.inc();
        switch (dns::HeaderView(buf.data()).rcode()) {
          case dns::rcode::NoError:
            noErrors_.inc();
            break;
          case dns::rcode::NXDomain:
            nxDomains_.inc();
            break;
          case dns::rcode::ServFail:
            servFails_.inc();
            break;
          case dns::rcode::Refused:
            refuseds_.inc();
            break;
          default:
            otherRcode_.inc();
            break;
        }
      }
    }
  }

  Address remote_;
  bool addEcs_;
  int fd_ = -1;
  int wake_ = -1;
  std::thread reader_;
  mutable metrics::Counter queries_, sendErrors_, tcpDrops_;
  metrics::Counter responses_, recvErrors_, noErrors_, nxDomains_, servFails_, refuseds_,
      otherRcode_;
};

}  // namespace

std::shared_ptr<const Action> setEcsAction(const std::string& v4, const std::string& v6) {
  dns::ClientSubnet a = parseSubnet(v4);
  bool both = !v6.empty();
  dns::ClientSubnet b = both ? parseSubnet(v6) : a;
  std::string d = "set ECS to " + subnetText(v4) + (both ? " / " + subnetText(v6) : "");
  return make(std::move(d), [a, b, both](QueryContext& q, const DQ& dq) {
    q.ecsSet = true;
    q.ecsSubnet = both && dq.remote && !dq.remote->isV4() ? b : a;
  });
}

std::shared_ptr<const Action> setEcsPrefixLengthAction(uint8_t v4, uint8_t v6) {
  if (v4 > 32 || v6 > 128)
    throw std::invalid_argument("the prefix lengths are at most 32 (IPv4) and 128 (IPv6)");
  return make(fmt::format("set ECS prefix length to {}/{}", v4, v6),
              [v4, v6](QueryContext& q, const DQ& dq) {
                q.ecsPrefixLength = !dq.remote || dq.remote->isV4() ? v4 : v6;
              });
}

std::shared_ptr<const Action> setEcsOverrideAction(bool override) {
  return make(fmt::format("set ECS override to {}", override),
              [override](QueryContext& q, const DQ&) { q.ecsOverride = override; });
}

std::shared_ptr<const Action> setDisableEcsAction() {
  return make("disable ECS", [](QueryContext& q, const DQ&) { q.useECS = false; });
}

std::shared_ptr<const Action> teeAction(const Address& remote, bool addEcs) {
  return std::make_shared<TeeAction>(remote, addEcs);
}

}  // namespace ballast::core::rules
