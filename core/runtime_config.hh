// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The runtime configuration: everything the query path reads, as one immutable snapshot
/// (see Published). Changing anything means building a new snapshot and publishing it.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/backend.hh"
#include "core/dynblock.hh"
#include "core/netmask.hh"
#include "core/packet_cache.hh"
#include "core/policy.hh"
#include "core/rings.hh"
#include "core/rules/rule.hh"

namespace ballast::core {

struct Settings {
  bool servFailWhenNoServer = false;
  bool truncateTC = false;
  bool fixupCase = false;
  bool allowEmptyResponse = false;
  bool dropEmptyQueries = false;
  uint32_t udpTimeoutMs = 2000;
  /// setStaleCacheEntriesTTL: how long past expiry a cached answer may still be served
  /// when backends fail (0: never).
  uint32_t staleCacheEntriesTTL = 0;
  /// Serve stale also when the chosen backend times out or answers SERVFAIL while up
  /// (RFC 8767), not only when the whole pool is down.
  bool staleOnBackendFailure = true;
  uint32_t cacheCleaningDelaySec = 60;  ///< setCacheCleaningDelay: how often expired entries go
  /// setDynBlocksPurgeInterval: how often expired dynamic blocks leave the table (0: never
  /// by time; they still match nothing and leave at the next change of the table).
  uint32_t dynBlocksPurgeIntervalSec = 60;
  /// setCacheCleaningPercentage: the share of each cache the cleaning pass goes through
  /// looking for expired entries (100: all of it).
  uint32_t cacheCleaningPercentage = 100;
  /// How many entries of a cache of `maxEntries` the cleaning pass leaves at most (0: it
  /// removes every expired one).
  size_t cleaningTarget(size_t maxEntries) const {
    return cacheCleaningPercentage >= 100 ? 0
                                          : maxEntries - maxEntries * cacheCleaningPercentage / 100;
  }
  /// setPayloadSizeOnSelfGeneratedAnswers: the EDNS payload size of answers ballast makes
  /// itself (spoofed, rcode, NegativeAndSOA), at least 512.
  uint16_t payloadSizeSelfGenerated = 1232;
  /// setAddEDNSToSelfGeneratedResponses: such answers carry an OPT record when the query did.
  bool addEDNSToSelfGenerated = true;
  /// setECSSourcePrefixV4 / V6: how much of the client's address the ECS option added to
  /// queries for useClientSubnet servers carries.
  uint8_t ecsSourcePrefixV4 = 24;
  uint8_t ecsSourcePrefixV6 = 56;
  /// setECSOverride: replace an ECS option the client sent (false: keep the client's).
  bool ecsOverride = false;
  /// setProxyProtocolMaximumPayloadSize: the largest PROXY header accepted from a client
  /// (the whole header, at least 16).
  uint32_t proxyProtocolMaxSize = 512;
  /// setProxyProtocolApplyACL: the ACL also applies to the address a PROXY header names.
  bool proxyProtocolApplyACL = false;
};

/// A pool's servers, kept alive by the snapshot that lists them.
struct Pool {
  std::vector<std::shared_ptr<Backend>> owners;
  std::vector<Backend*> servers;  ///< same order as owners; what policies iterate
  std::shared_ptr<const Policy> policy;  ///< null: the global policy
  /// Owned by the Runtime's cache registry: in-flight queries may still insert into a cache
  /// after it left the pool.
  PacketCache* cache = nullptr;
  /// ServerPool:setECS: add ECS before the cache lookup even when no server of the pool
  /// asks for it (so answers cached with ECS are found while those servers are down).
  bool ecs = false;
  /// Derived from the servers when the pool is built (rebuildPools), so the query path does
  /// not walk them: one of them has useClientSubnet; none with it has disableZeroScope.
  bool serversWantEcs = false;
  bool ecsZeroScopeAllowed = true;
};

struct RuntimeConfig {
  NetmaskGroup acl = defaultAcl();
  /// setProxyProtocolACL: clients whose queries must start with a PROXY v2 header.
  NetmaskGroup proxyProtocolACL;
  Settings settings;
  std::shared_ptr<const Policy> policy = makePolicy("leastOutstanding");
  PolicySettings policySettings;  ///< the knobs every policy here was made with
  std::unordered_map<std::string, std::shared_ptr<const Pool>> pools;
  rules::RuleChains rules;  ///< addAction, addResponseAction... (core/rules)
  /// Recent queries and responses (setRingBuffersSize); written by the query path.
  std::shared_ptr<Rings> rings = std::make_shared<Rings>();
  std::shared_ptr<const DynBlockTable> dynBlocks = std::make_shared<DynBlockTable>();
  DynBlockAction dynBlockAction = DynBlockAction::Drop;  ///< setDynBlocksAction: the default

  const Pool* findPool(const std::string& name) const {
    auto it = pools.find(name);
    return it == pools.end() ? nullptr : it->second.get();
  }
};

/// `p` made again with `s` (a fresh object of the same name), or `p` itself when
/// makePolicy does not know its name.
std::shared_ptr<const Policy> bindPolicy(const std::shared_ptr<const Policy>& p,
                                         const PolicySettings& s);

/// Makes the global and every per-pool policy again with cfg.policySettings, after a
/// knob changed.
void rebindPolicies(RuntimeConfig& cfg);

/// Sets the policy of pool `name` (made with cfg.policySettings), creating the pool empty
/// if it does not exist; null policy: the pool follows the global one again.
void setPoolPolicy(RuntimeConfig& cfg, const std::string& name, std::shared_ptr<const Policy> p);

/// Builds the pools map from the server list (each server in each of its pools, the default
/// pool "" when it names none), keeping the per-pool policies already in `cfg`.
void rebuildPools(RuntimeConfig& cfg, const std::vector<std::shared_ptr<Backend>>& servers);

}  // namespace ballast::core
