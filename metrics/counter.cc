// SPDX-License-Identifier: GPL-2.0-only
#include "metrics/counter.hh"

#include <mutex>
#include <vector>

namespace ballast::metrics {

namespace detail {

constinit thread_local size_t tlsSlot = kNoSlot;

namespace {

/// The slots below kSharedSlot not held by a live thread. The mutex orders a slot's last
/// update by the thread giving it back before the first update by the next holder.
struct FreeSlots {
  std::mutex mutex;
  std::vector<size_t> free;
  FreeSlots() {
    for (size_t s = kSharedSlot; s-- > 0;) free.push_back(s);  // slot 0 first
  }
};

FreeSlots& freeSlots() {
  static FreeSlots* f = new FreeSlots;  // never destroyed: threads may exit after main
  return *f;
}

/// Gives the thread's slot back when it exits.
struct SlotHolder {
  size_t slot = kNoSlot;
  ~SlotHolder() {
    if (slot == kNoSlot) return;
    FreeSlots& f = freeSlots();
    std::lock_guard lock(f.mutex);
    f.free.push_back(slot);
    // An update from a later thread_local destructor of this thread goes to the shared slot.
    tlsSlot = kSharedSlot;
  }
};

thread_local SlotHolder holder;

}  // namespace

size_t assignSlot() {
  FreeSlots& f = freeSlots();
  std::lock_guard lock(f.mutex);
  if (f.free.empty()) return tlsSlot = kSharedSlot;
  size_t s = f.free.back();
  f.free.pop_back();
  holder.slot = s;
  return tlsSlot = s;
}

}  // namespace detail

}  // namespace ballast::metrics
