// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/resolver.hh"

#include <ctime>

#include "backends/resolver/shared_tier.hh"
#include "core/clock.hh"

namespace ballast::backends::resolver {

std::vector<core::Address> builtinRootHints() {
  static const char* const kRoots[] = {
      "198.41.0.4",   "170.247.170.2", "192.33.4.12",   "199.7.91.13",   "192.203.230.10",
      "192.5.5.241",  "192.112.36.4",  "198.97.190.53", "192.36.148.17", "192.58.128.30",
      "193.0.14.129", "199.7.83.42",   "202.12.27.33",
  };
  std::vector<core::Address> out;
  for (const char* a : kRoots) out.push_back(core::Address::parse(a));
  return out;
}

namespace {
dnssec::ValidatorOptions validatorOptions() {
  dnssec::ValidatorOptions o;
  o.now = [] { return int64_t(time(nullptr)); };
  return o;
}
}  // namespace

Resolver::Resolver(ResolverConfig cfg)
    : config_(std::move(cfg)),
      cache_(config_.cache),
      validator_(validatorOptions()),
      denial_(validator_.options().maxNsec3Iterations) {
  if (config_.rootHints.empty()) config_.rootHints = builtinRootHints();
  if (!config_.trustAnchors)
    config_.trustAnchors =
        std::make_shared<const dnssec::TrustAnchors>(dnssec::TrustAnchors::builtIn());
  if (!config_.negativeTrustAnchors)
    config_.negativeTrustAnchors = std::make_shared<const dnssec::NegativeTrustAnchors>();
}

void Resolver::setSharedTier(std::shared_ptr<core::KeyValueTier> t) {
  sharedTier_ = std::move(t);
  core::KeyValueTier* tier = sharedTier_.get();
  bool dnssecData = config_.dnssec != DnssecMode::Off;
  // Answer ranks only: what clients are given (and DS/DNSKEY asked as questions). Referral
  // NS sets and glue stay local. Called under the entry's shard lock: a copy and a queue.
  cache_.setStoreHook([tier, dnssecData](const RecordCache::EntryView& e) {
    if (!answersClients(e.rank) || e.ttl == 0) return;
    tier->set(sharedKey(e.key, dnssecData), encodeSharedValue(e, core::unixSeconds()),
              uint64_t(e.ttl) * 1000);
  });
}

std::optional<ZoneTrust> ZoneTrustCache::get(const dns::Name& zone, int64_t nowSec) const {
  std::lock_guard lock(mutex_);
  auto it = map_.find(zone.toLower());
  if (it == map_.end() || it->second.expires <= nowSec) return std::nullopt;
  return it->second.trust;
}

void ZoneTrustCache::put(const dns::Name& zone, ZoneTrust t, uint32_t ttl, int64_t nowSec) {
  if (ttl == 0) return;
  std::lock_guard lock(mutex_);
  if (map_.size() >= kMaxEntries)
    std::erase_if(map_, [&](auto& e) { return e.second.expires <= nowSec; });
  if (map_.size() >= kMaxEntries) map_.clear();
  map_[zone.toLower()] = Entry{std::move(t), nowSec + ttl};
}

const ForwardZone* Resolver::forwardZoneFor(const dns::Name& name) const {
  const ForwardZone* best = nullptr;
  for (const auto& z : config_.forwardZones) {
    if (name.isPartOf(z.zone) && (!best || z.zone.labelCount() > best->zone.labelCount()))
      best = &z;
  }
  return best;
}

}  // namespace ballast::backends::resolver
