// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Load-balancing policies: choose one backend of a pool for a query.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/backend.hh"

namespace ballast::core {

/// The process-wide knobs some policies read (dnsdist's setWHashedPertubation,
/// setConsistentHashingBalancingFactor, setRoundRobinFailOnNoServer). A policy copies them
/// when it is made, so the query path reads plain members; changing a knob means making
/// the policies again (see RuntimeConfig::rebindPolicies).
struct PolicySettings {
  uint32_t hashPerturbation = 0;       ///< seeds whashed's and chashed's qname hash
  double consistentHashBalancing = 0;  ///< chashed: 0 off, else skip servers above f x average
  double weightedBalancing = 0;        ///< wrandom, whashed: the same bound
  bool roundRobinFailOnNoServer = false;
  bool operator==(const PolicySettings&) const = default;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual const std::string& name() const = 0;
  /// Returns a backend that is up, or null when none is (roundrobin may, as dnsdist, pick
  /// among all servers when none is up).
  virtual Backend* select(std::span<Backend* const> servers, const QueryContext& q) const = 0;
};

/// The policy of that dnsdist name ("leastOutstanding", "firstAvailable", "roundrobin",
/// "wrandom", "whashed", "chashed") with those settings, or null when there is none of
/// that name.
std::shared_ptr<const Policy> makePolicy(const std::string& name, const PolicySettings& s = {});

/// The names makePolicy knows, for the Lua globals.
std::span<const char* const> policyNames();

/// Weighted pick among the servers that are up: `r` (any 64-bit value) lands in one
/// server's share of the summed weights. Null when none is up. wrandom and whashed. With
/// `balancingFactor` > 0, servers over the bound pickConsistent describes are left out
/// (dnsdist's setWeightedBalancingFactor), unless all are.
Backend* pickWeighted(std::span<Backend* const> servers, uint64_t r, double balancingFactor = 0);

/// Consistent hashing (weighted rendezvous): every up server scores the hash, the highest
/// score wins, so a name stays on its server and only the names of a server that leaves
/// move. With `balancingFactor` > 0 a server whose outstanding queries exceed
/// factor x (1 + total outstanding) / total weight x its weight is passed over (dnsdist's
/// bound); when all are, the best-scoring up server is used anyway.
Backend* pickConsistent(std::span<Backend* const> servers, uint64_t hash, double balancingFactor);

/// The qname hash whashed and chashed use: case-insensitive, seeded by `perturbation`.
uint64_t qnameHash(const QueryContext& q, uint32_t perturbation);

}  // namespace ballast::core
