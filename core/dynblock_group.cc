// SPDX-License-Identifier: GPL-2.0-only
#include "core/dynblock_group.hh"

#include <fmt/format.h>

#include <unordered_map>

#include "dns/types.hh"

namespace ballast::core {

namespace {

struct KeyHash {
  size_t operator()(const DynBlockTable::Key& k) const {
    uint64_t h = 1469598103934665603ULL;
    for (uint8_t c : k.b) h = (h ^ c) * 1099511628211ULL;
    return size_t(h);
  }
};

/// Over `rule` when the count in its window is above rate x seconds (warning: above the
/// warning rate).
void check(const DynBlockRate& rule, uint64_t count, const Address& net, int bits,
           std::vector<DynBlockDecision>& out) {
  double limit = rule.rate * rule.seconds;
  if (double(count) > limit) {
    out.push_back({net, bits, &rule, false, count});
  } else if (rule.warningRate > 0 && double(count) > rule.warningRate * rule.seconds) {
    out.push_back({net, bits, &rule, true, count});
  }
}

}  // namespace

bool DynBlockGroup::excluded(const Address& a) const {
  if (!included_.empty() && included_.match(a)) return false;
  return !excluded_.empty() && excluded_.match(a);
}

std::vector<DynBlockDecision> DynBlockGroup::evaluate(const Rings& rings, int64_t nowUsec) const {
  // One pass per ring; each rule counts only the entries within its own window.
  std::unordered_map<DynBlockTable::Key, std::pair<Address, std::vector<uint64_t>>, KeyHash> counts;
  // Counters per network: slot 0 queries (queryRate window), then one per rcode rate,
  // rcode ratio (matching and total), qtype rate, bytes.
  std::vector<const DynBlockRate*> windows;
  auto slotFor = [&](const DynBlockRate& r) {
    windows.push_back(&r);
    return windows.size() - 1;
  };
  std::optional<size_t> qSlot, bSlot;
  std::map<uint8_t, size_t> rcSlot, ratioSlot, ratioTotal;
  std::map<uint16_t, size_t> qtSlot;
  if (queryRate_) qSlot = slotFor(*queryRate_);
  for (const auto& [rc, r] : rcodeRate_) rcSlot[rc] = slotFor(r);
  for (const auto& [rc, r] : rcodeRatio_) {
    ratioSlot[rc] = slotFor(r);
    ratioTotal[rc] = slotFor(r);
  }
  for (const auto& [qt, r] : qtypeRate_) qtSlot[qt] = slotFor(r);
  if (byteRate_) bSlot = slotFor(*byteRate_);
  if (windows.empty()) return {};

  auto add = [&](const RingEntry& e, size_t slot, uint64_t n) {
    if (e.whenUsec < nowUsec - int64_t(windows[slot]->seconds) * 1000000 || e.whenUsec > nowUsec)
      return;
    if (excluded(e.requestor)) return;
    int bits = bitsFor(e.requestor);
    auto& c = counts[DynBlockTable::makeKey(e.requestor, bits)];
    if (c.second.empty()) {
      c.first = e.requestor;
      c.second.assign(windows.size(), 0);
    }
    c.second[slot] += n;
  };
  rings.forEachQuery([&](const RingEntry& e) {
    if (qSlot) add(e, *qSlot, 1);
    if (auto it = qtSlot.find(e.qtype); it != qtSlot.end()) add(e, it->second, 1);
  });
  rings.forEachResponse([&](const RingEntry& e) {
    if (auto it = rcSlot.find(e.rcode); it != rcSlot.end()) add(e, it->second, 1);
    for (const auto& [rc, slot] : ratioTotal) {
      add(e, slot, 1);
      if (e.rcode == rc) add(e, ratioSlot[rc], 1);
    }
    if (bSlot) add(e, *bSlot, e.size);
  });

  std::vector<DynBlockDecision> out;
  for (const auto& [key, entry] : counts) {
    const auto& [addr, v] = entry;
    int bits = bitsFor(addr);
    if (qSlot) check(*queryRate_, v[*qSlot], addr, bits, out);
    for (const auto& [rc, slot] : rcSlot) check(rcodeRate_.at(rc), v[slot], addr, bits, out);
    for (const auto& [qt, slot] : qtSlot) check(qtypeRate_.at(qt), v[slot], addr, bits, out);
    if (bSlot) check(*byteRate_, v[*bSlot], addr, bits, out);
    for (const auto& [rc, slot] : ratioSlot) {
      const DynBlockRate& r = rcodeRatio_.at(rc);
      uint64_t total = v[ratioTotal[rc]];
      if (total == 0 || total < r.minResponses) continue;
      double ratio = double(v[slot]) / double(total);
      if (ratio > r.rate)
        out.push_back({addr, bits, &r, false, v[slot]});
      else if (r.warningRate > 0 && ratio > r.warningRate)
        out.push_back({addr, bits, &r, true, v[slot]});
    }
  }
  return out;
}

StatNode DynBlockGroup::suffixTree(const Rings& rings, int64_t nowUsec) const {
  StatNode root;
  if (!suffixRule_) return root;
  int64_t cutoff = nowUsec - int64_t(suffixRule_->seconds) * 1000000;
  rings.forEachResponse([&](const RingEntry& e) {
    if (e.whenUsec >= cutoff && e.whenUsec <= nowUsec) root.submit(e.qname, e.rcode, e.size);
  });
  return root;
}

bool DynBlockGroup::domainExcluded(const dns::Name& name) const {
  for (const auto& d : excludedDomains_)
    if (name.isPartOf(d)) return true;
  return false;
}

std::shared_ptr<const DynBlockTable> DynBlockGroup::applyDecisions(
    const DynBlockTable& table, const std::vector<DynBlockDecision>& d, int64_t nowUsec) {
  std::shared_ptr<const DynBlockTable> next;
  const DynBlockTable* current = &table;
  for (const auto& dec : d) {
    const DynBlockRate& r = *dec.rule;
    next =
        current->with({{dec.network, dec.bits}}, r.reason,
                      nowUsec + int64_t(r.blockSeconds) * 1000000, r.action, dec.warning, nowUsec);
    current = next.get();
  }
  return next;
}

std::string DynBlockGroup::describe() const {
  std::string out;
  auto line = [&](const std::string& what, const DynBlockRate& r) {
    out += fmt::format("{}: {} over {}s, block {}s ({}, {})\n", what, r.rate, r.seconds,
                       r.blockSeconds, dynBlockActionName(r.action), r.reason);
  };
  if (queryRate_) line("Query rate", *queryRate_);
  for (const auto& [rc, r] : rcodeRate_) line("Rcode rate " + dns::rcodeToString(rc), r);
  for (const auto& [rc, r] : rcodeRatio_) line("Rcode ratio " + dns::rcodeToString(rc), r);
  for (const auto& [qt, r] : qtypeRate_) line("QType rate " + dns::qtypeToString(qt), r);
  if (byteRate_) line("Response byte rate", *byteRate_);
  if (suffixRule_)
    out += fmt::format("Suffix match rule: over {}s, block {}s ({}, {})\n", suffixRule_->seconds,
                       suffixRule_->blockSeconds, dynBlockActionName(suffixRule_->action),
                       suffixRule_->reason);
  for (const auto& d : excludedDomains_) out += "Excluded domain: " + d.toString() + "\n";
  return out;
}

}  // namespace ballast::core
