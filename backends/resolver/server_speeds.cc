// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/server_speeds.hh"

#include <algorithm>
#include <cstring>

namespace ballast::backends::resolver {

namespace {
constexpr int64_t kMaxUsec = 10'000'000;
constexpr int64_t kHalfLifeUsec = 60'000'000;  // an estimate halves every minute unrefreshed
}  // namespace

size_t ServerSpeeds::KeyHash::operator()(const core::Address& a) const {
  size_t h = 1469598103934665603ull;
  const uint8_t* b = a.bytes();
  for (size_t i = 0; i < a.byteLength(); ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h ^ a.port();
}

int64_t ServerSpeeds::decayed(const Entry& e, int64_t nowUsec) {
  int64_t age = nowUsec - e.updatedUsec;
  if (age <= 0) return e.srttUsec;
  int64_t halvings = age / kHalfLifeUsec;
  return halvings >= 62 ? 0 : e.srttUsec >> halvings;
}

void ServerSpeeds::recordAnswer(const core::Address& a, int64_t rttUsec, int64_t nowUsec) {
  Shard& s = shardOf(a);
  std::lock_guard lock(s.mutex);
  Entry& e = s.map[a];
  int64_t old = decayed(e, nowUsec);
  e.srttUsec = old == 0 ? rttUsec : (old * 7 + rttUsec * 3) / 10;
  e.updatedUsec = nowUsec;
}

void ServerSpeeds::recordTimeout(const core::Address& a, int64_t timeoutUsec, int64_t nowUsec) {
  Shard& s = shardOf(a);
  std::lock_guard lock(s.mutex);
  Entry& e = s.map[a];
  e.srttUsec =
      std::min(kMaxUsec, std::max({timeoutUsec, decayed(e, nowUsec) * 2, kUnknownUsec * 2}));
  e.updatedUsec = nowUsec;
}

int64_t ServerSpeeds::estimate(const core::Address& a, int64_t nowUsec) const {
  Shard& s = shardOf(a);
  std::lock_guard lock(s.mutex);
  auto it = s.map.find(a);
  return it == s.map.end() ? 0 : decayed(it->second, nowUsec);
}

void ServerSpeeds::setNoEdns(const core::Address& a) {
  Shard& s = shardOf(a);
  std::lock_guard lock(s.mutex);
  s.map[a].noEdns = true;
}

bool ServerSpeeds::noEdns(const core::Address& a) const {
  Shard& s = shardOf(a);
  std::lock_guard lock(s.mutex);
  auto it = s.map.find(a);
  return it != s.map.end() && it->second.noEdns;
}

void ServerSpeeds::order(std::vector<core::Address>& servers, int64_t nowUsec, uint32_t random,
                         uint32_t explorePercent) const {
  std::vector<std::pair<int64_t, core::Address>> keyed;
  keyed.reserve(servers.size());
  // Ties (unknown servers) are broken by the random draw, so load spreads among equals.
  for (size_t i = 0; i < servers.size(); ++i) {
    int64_t e = estimate(servers[i], nowUsec);
    keyed.emplace_back((e ? e : kUnknownUsec) * 64 + int64_t((random >> (i % 24)) & 63),
                       servers[i]);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  for (size_t i = 0; i < keyed.size(); ++i) servers[i] = keyed[i].second;
  if (servers.size() > 1 && (random % 100) < explorePercent) std::swap(servers[0], servers[1]);
}

int64_t ServerSpeeds::retransmitAfter(const core::Address& a, int64_t nowUsec, int64_t maxUsec,
                                      int round) const {
  int64_t e = estimate(a, nowUsec);
  int64_t wait = e ? e * 2 + 10'000 : maxUsec / 4;
  return std::min(maxUsec, wait << std::min(round, 8));
}

namespace {
std::string lameKey(const core::Address& a, const dns::Name& zone) {
  std::string k(reinterpret_cast<const char*>(a.bytes()), a.byteLength());
  k += char(a.port() >> 8);
  k += char(a.port());
  const dns::Name lower = zone.toLower();
  auto w = lower.wire();
  k.append(reinterpret_cast<const char*>(w.data()), w.size());
  return k;
}
}  // namespace

void ServerSpeeds::markLame(const core::Address& a, const dns::Name& zone, int64_t nowUsec) {
  std::lock_guard lock(lameMutex_);
  if (lame_.size() > 100000)  // bounded: drop what expired, else start over
    std::erase_if(lame_, [&](const auto& e) { return e.second <= nowUsec; });
  if (lame_.size() > 100000) lame_.clear();
  lame_[lameKey(a, zone)] = nowUsec + kLameUsec;
}

bool ServerSpeeds::isLame(const core::Address& a, const dns::Name& zone, int64_t nowUsec) const {
  std::lock_guard lock(lameMutex_);
  if (lame_.empty()) return false;
  auto it = lame_.find(lameKey(a, zone));
  return it != lame_.end() && it->second > nowUsec;
}

}  // namespace ballast::backends::resolver
