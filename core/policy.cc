// SPDX-License-Identifier: GPL-2.0-only
#include "core/policy.hh"

#include <atomic>
#include <limits>
#include <tuple>

namespace ballast::core {

namespace {

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

class RoundRobin final : public Named {
 public:
  RoundRobin() : Named("roundrobin") {}
  Backend* select(std::span<Backend* const> servers, const QueryContext&) const override {
    size_t n = servers.size();
    if (n == 0) return nullptr;
    size_t start = next_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      Backend* b = servers[(start + i) % n];
      if (b->isUp()) return b;
    }
    return nullptr;
  }

 private:
  mutable std::atomic<size_t> next_{0};
};

}  // namespace

std::shared_ptr<const Policy> makePolicy(const std::string& name) {
  if (name == "leastOutstanding") return std::make_shared<LeastOutstanding>();
  if (name == "firstAvailable") return std::make_shared<FirstAvailable>();
  if (name == "roundrobin") return std::make_shared<RoundRobin>();
  return nullptr;
}

}  // namespace ballast::core
