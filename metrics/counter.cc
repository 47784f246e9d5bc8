// SPDX-License-Identifier: GPL-2.0-only
#include "metrics/counter.hh"

namespace ballast::metrics {

size_t threadSlot() {
  static std::atomic<size_t> next{0};
  thread_local size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kCounterShards;
  return slot;
}

}  // namespace ballast::metrics
