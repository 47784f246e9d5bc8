// SPDX-License-Identifier: GPL-2.0-only
#include "core/dynblock.hh"

#include <algorithm>
#include <cstring>

namespace ballast::core {

const char* dynBlockActionName(DynBlockAction a) {
  switch (a) {
    case DynBlockAction::Drop:
      return "Drop";
    case DynBlockAction::Refused:
      return "Refused";
    case DynBlockAction::NXDomain:
      return "Nxdomain";
    case DynBlockAction::Truncate:
      return "Truncate";
    case DynBlockAction::NoOp:
      return "NoOp";
  }
  return "?";
}

DynBlockTable::Key DynBlockTable::makeKey(const Address& a, int bits) {
  Key k;
  k.b[0] = a.isV4() ? 4 : 6;
  const uint8_t* src = a.bytes();
  for (size_t i = 0; i < a.byteLength(); ++i) {
    int keep = std::clamp(bits - int(i) * 8, 0, 8);
    k.b[i + 1] = uint8_t(src[i] & uint8_t(0xff00 >> keep));
  }
  return k;
}

size_t DynBlockTable::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (uint8_t c : k.b) h = (h ^ c) * 1099511628211ULL;
  return size_t(h);
}

const DynBlock* DynBlockTable::find(const Address& a, int64_t nowUsec) const {
  int family = a.isV4() ? 0 : 256;
  for (const auto& [tag, map] : byPrefix_) {
    if ((tag >= 256) != (family == 256)) continue;
    auto it = map.find(makeKey(a, tag - family));
    if (it != map.end() && it->second->untilUsec > nowUsec) return it->second.get();
  }
  return nullptr;
}

DynBlockTable::Map& DynBlockTable::mapFor(int tag) {
  auto it = std::find_if(byPrefix_.begin(), byPrefix_.end(),
                         [tag](const auto& p) { return p.first == tag; });
  if (it != byPrefix_.end()) return it->second;
  byPrefix_.emplace_back(tag, Map{});
  std::sort(byPrefix_.begin(), byPrefix_.end(), [](const auto& x, const auto& y) {
    return (x.first % 256) > (y.first % 256);  // most specific first
  });
  return std::find_if(byPrefix_.begin(), byPrefix_.end(),
                      [tag](const auto& p) { return p.first == tag; })
      ->second;
}

const DynBlock* DynBlockTable::findName(const dns::Name& qname, int64_t nowUsec) const {
  if (byName_.empty()) return nullptr;
  dns::Name n = qname.toLower();
  auto w = n.wire();
  for (size_t o = 0;; o += size_t(w[o]) + 1) {
    auto it = byName_.find(o == 0 ? n : dns::Name::fromWire(w.subspan(o)));
    if (it != byName_.end() && it->second->untilUsec > nowUsec) return it->second.get();
    if (w[o] == 0) return nullptr;
  }
}

std::shared_ptr<DynBlockTable> DynBlockTable::active(int64_t nowUsec) const {
  auto next = std::make_shared<DynBlockTable>();
  for (const auto& [tag, map] : byPrefix_)
    for (const auto& [key, block] : map)
      if (block->untilUsec > nowUsec) next->mapFor(tag).emplace(key, block);
  for (const auto& [name, block] : byName_)
    if (block->untilUsec > nowUsec) next->byName_.emplace(name, block);
  return next;
}

std::shared_ptr<const DynBlockTable> DynBlockTable::withNames(
    const std::vector<std::pair<dns::Name, std::string>>& names, const std::string& reason,
    int64_t untilUsec, DynBlockAction action, int64_t nowUsec) const {
  auto next = active(nowUsec);
  for (const auto& [name, own] : names) {
    auto& slot = next->byName_[name.toLower()];
    if (slot && slot->untilUsec >= untilUsec) continue;
    auto b = std::make_shared<DynBlock>();
    b->network = name.toLower().toString();
    b->reason = own.empty() ? reason : own;
    b->untilUsec = untilUsec;
    b->action = action;
    slot = std::move(b);
  }
  return next;
}

std::shared_ptr<const DynBlockTable> DynBlockTable::with(
    const std::vector<std::pair<Address, int>>& nets, const std::string& reason, int64_t untilUsec,
    DynBlockAction action, bool warning, int64_t nowUsec) const {
  auto next = active(nowUsec);
  for (const auto& [addr, bits] : nets) {
    int tag = bits + (addr.isV4() ? 0 : 256);
    Key key = makeKey(addr, bits);
    auto& slot = next->mapFor(tag)[key];
    // A longer block stays; a warning never replaces a real block.
    if (slot && (slot->untilUsec >= untilUsec || (warning && !slot->warning))) continue;
    auto b = std::make_shared<DynBlock>();
    Address masked = addr;
    std::memcpy(const_cast<uint8_t*>(masked.bytes()), key.b.data() + 1, addr.byteLength());
    b->network = masked.toString() + "/" + std::to_string(bits);
    b->reason = reason;
    b->untilUsec = untilUsec;
    b->action = action;
    b->warning = warning;
    slot = std::move(b);
  }
  return next;
}

std::shared_ptr<const DynBlockTable> DynBlockTable::withoutExpired(int64_t nowUsec) const {
  bool any = false;
  for (const auto& [tag, map] : byPrefix_)
    for (const auto& [key, block] : map) any |= block->untilUsec <= nowUsec;
  for (const auto& [name, block] : byName_) any |= block->untilUsec <= nowUsec;
  if (!any) return nullptr;
  return active(nowUsec);
}

size_t DynBlockTable::size() const {
  size_t n = 0;
  for (const auto& [tag, map] : byPrefix_) n += map.size();
  return n;
}

std::vector<std::shared_ptr<const DynBlock>> DynBlockTable::all() const {
  std::vector<std::shared_ptr<const DynBlock>> out;
  for (const auto& [tag, map] : byPrefix_)
    for (const auto& [key, block] : map) out.push_back(block);
  for (const auto& [name, block] : byName_) out.push_back(block);
  return out;
}

}  // namespace ballast::core
