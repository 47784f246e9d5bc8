// SPDX-License-Identifier: GPL-2.0-only
#include "core/policy.hh"

#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>

namespace ballast::core {

namespace {

/// splitmix64's finaliser: spreads FNV's weak low bits before they are reduced.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

uint64_t stringHash(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

class Named : public Policy {
 public:
  explicit Named(std::string n) : name_(std::move(n)) {}
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
};

/// dnsdist's default: fewest outstanding queries, then lowest order, then lowest latency.
class LeastOutstanding final : public Named {
 public:
  LeastOutstanding() : Named("leastOutstanding") {}
  Backend* select(std::span<Backend* const> servers, const QueryContext&) const override {
    Backend* best = nullptr;
    std::tuple<uint32_t, int, double> bestKey{};
    for (Backend* b : servers) {
      if (!b->isUp()) continue;
      std::tuple<uint32_t, int, double> key{b->outstanding(), b->order(),
                                            b->stats.latencyUsec.value()};
      if (!best || key < bestKey) {
        best = b;
        bestKey = key;
      }
    }
    return best;
  }
};

/// The first server, by order, that is up and under its qps limit; when all are over their
/// limits, leastOutstanding (as dnsdist).
class FirstAvailable final : public Named {
 public:
  FirstAvailable() : Named("firstAvailable") {}
  Backend* select(std::span<Backend* const> servers, const QueryContext& q) const override {
    // Pools keep their servers sorted by order (rebuildPools).
    for (Backend* b : servers)
      if (b->isUp() && b->qpsAllows(q.receivedUsec)) return b;
    return fallback_.select(servers, q);
  }

 private:
  LeastOutstanding fallback_;
};

/// Each up server in turn. With none up, dnsdist turns to all servers unless
/// setRoundRobinFailOnNoServer(true).
class RoundRobin final : public Named {
 public:
  explicit RoundRobin(bool failOnNoServer) : Named("roundrobin"), fail_(failOnNoServer) {}
  Backend* select(std::span<Backend* const> servers, const QueryContext&) const override {
    size_t up = 0;
    for (Backend* b : servers) up += b->isUp() ? 1 : 0;
    size_t turn = next_.fetch_add(1, std::memory_order_relaxed);
    if (up == 0) {
      if (fail_ || servers.empty()) return nullptr;
      return servers[turn % servers.size()];
    }
    // The k-th up server, so a down server's turn is shared out evenly rather than
    // falling to its neighbour.
    size_t k = turn % up;
    Backend* last = nullptr;
    for (Backend* b : servers) {
      if (!b->isUp()) continue;
      if (k-- == 0) return b;
      last = b;
    }
    return last;  // one went down between the two passes
  }

 private:
  bool fail_;
  mutable std::atomic<size_t> next_{0};
};

/// A per-thread generator: no lock and no shared cache line on the query path.
uint64_t threadRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

class WRandom final : public Named {
 public:
  explicit WRandom(double factor) : Named("wrandom"), factor_(factor) {}
  Backend* select(std::span<Backend* const> servers, const QueryContext&) const override {
    return pickWeighted(servers, threadRandom(), factor_);
  }

 private:
  double factor_;
};

class WHashed final : public Named {
 public:
  WHashed(uint32_t perturbation, double factor)
      : Named("whashed"), perturbation_(perturbation), factor_(factor) {}
  Backend* select(std::span<Backend* const> servers, const QueryContext& q) const override {
    return pickWeighted(servers, qnameHash(q, perturbation_), factor_);
  }

 private:
  uint32_t perturbation_;
  double factor_;
};

class CHashed final : public Named {
 public:
  CHashed(uint32_t perturbation, double factor)
      : Named("chashed"), perturbation_(perturbation), factor_(factor) {}
  Backend* select(std::span<Backend* const> servers, const QueryContext& q) const override {
    return pickConsistent(servers, qnameHash(q, perturbation_), factor_);
  }

 private:
  uint32_t perturbation_;
  double factor_;
};

constexpr std::array<const char*, 6> kNames = {"leastOutstanding", "firstAvailable", "roundrobin",
                                               "wrandom",          "whashed",        "chashed"};

}  // namespace

namespace {

/// Outstanding queries a server of weight 1 may have under a balancing factor (dnsdist's
/// bounded load): factor x (1 + all outstanding) / all weights; infinite when off.
double loadBound(std::span<Backend* const> servers, double factor) {
  if (factor <= 0) return std::numeric_limits<double>::infinity();
  // Counting the query at hand, as dnsdist does, so an idle pool bounds nobody out.
  double load = 1, weights = 0;
  for (Backend* b : servers) {
    if (!b->isUp()) continue;
    load += b->outstanding();
    weights += b->weight();
  }
  return weights > 0 ? load / weights * factor : std::numeric_limits<double>::infinity();
}

Backend* pickWeightedUnder(std::span<Backend* const> servers, uint64_t r, double bound) {
  auto eligible = [bound](const Backend* b, int w) {
    return b->isUp() && w > 0 && double(b->outstanding()) <= bound * w;
  };
  uint64_t total = 0;
  for (Backend* b : servers) {
    int w = b->weight();
    if (eligible(b, w)) total += uint64_t(w);
  }
  if (total == 0) return nullptr;
  uint64_t point = mix(r) % total;
  Backend* last = nullptr;
  for (Backend* b : servers) {
    int w = b->weight();  // read once: setWeight may run at the same time
    if (!eligible(b, w)) continue;
    if (point < uint64_t(w)) return b;
    point -= uint64_t(w);
    last = b;
  }
  return last;  // a server went down, lost weight or gained load between the two passes
}

}  // namespace

Backend* pickWeighted(std::span<Backend* const> servers, uint64_t r, double balancingFactor) {
  double bound = loadBound(servers, balancingFactor);
  Backend* b = pickWeightedUnder(servers, r, bound);
  if (!b && balancingFactor > 0) b = pickWeightedUnder(servers, r, loadBound(servers, 0));
  return b;
}

Backend* pickConsistent(std::span<Backend* const> servers, uint64_t hash, double balancingFactor) {
  double target = loadBound(servers, balancingFactor);
  Backend* best = nullptr;
  Backend* bestAny = nullptr;
  double bestScore = -1, bestAnyScore = -1;
  for (Backend* b : servers) {
    if (!b->isUp() || b->weight() <= 0) continue;
    // Weighted rendezvous hashing: -w / ln(u) with u uniform in (0, 1) from the pair.
    uint64_t h = mix(hash ^ mix(stringHash(b->name())));
    double u = (double(h >> 11) + 0.5) * 0x1.0p-53;
    double score = -double(b->weight()) / std::log(u);
    if (score > bestAnyScore) {
      bestAnyScore = score;
      bestAny = b;
    }
    if (score > bestScore && double(b->outstanding()) <= target * b->weight()) {
      bestScore = score;
      best = b;
    }
  }
  return best ? best : bestAny;
}

uint64_t qnameHash(const QueryContext& q, uint32_t perturbation) {
  return mix(uint64_t(q.message.question().name.hash()) ^
             (uint64_t(perturbation) << 32 | perturbation));
}

std::span<const char* const> policyNames() {
  return kNames;
}

std::shared_ptr<const Policy> makePolicy(const std::string& name, const PolicySettings& s) {
  if (name == "leastOutstanding") return std::make_shared<LeastOutstanding>();
  if (name == "firstAvailable") return std::make_shared<FirstAvailable>();
  if (name == "roundrobin") return std::make_shared<RoundRobin>(s.roundRobinFailOnNoServer);
  if (name == "wrandom") return std::make_shared<WRandom>(s.weightedBalancing);
  if (name == "whashed") return std::make_shared<WHashed>(s.hashPerturbation, s.weightedBalancing);
  if (name == "chashed")
    return std::make_shared<CHashed>(s.hashPerturbation, s.consistentHashBalancing);
  return nullptr;
}

}  // namespace ballast::core
