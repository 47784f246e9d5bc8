// SPDX-License-Identifier: GPL-2.0-only
#include "backends/remote/inflight_table.hh"

#include <stdexcept>

namespace ballast::backends::remote {

namespace {
constexpr int kProbes = 16;  // slots tried before a claim gives up
}

InFlightTable::InFlightTable(size_t capacity)
    : slots_(capacity), words_(new std::atomic<uint64_t>[capacity]) {
  if (capacity == 0 || capacity > 65536)
    throw std::invalid_argument("the in-flight table holds 1 to 65536 queries");
  for (size_t i = 0; i < capacity; ++i) words_[i].store(0, std::memory_order_relaxed);
}

int InFlightTable::claim() {
  for (int probe = 0; probe < kProbes; ++probe) {
    size_t i = next_.fetch_add(1, std::memory_order_relaxed) % slots_.size();
    uint64_t w = words_[i].load(std::memory_order_relaxed);
    if (stateOf(w) != Free) continue;
    if (words_[i].compare_exchange_strong(w, word(Claimed, 0), std::memory_order_acquire)) {
      outstanding_.fetch_add(1, std::memory_order_relaxed);
      return int(i);
    }
  }
  return -1;
}

void InFlightTable::publish(size_t i, int64_t nowMs) {
  words_[i].store(word(Waiting, nowMs), std::memory_order_release);
}

bool InFlightTable::take(size_t i) {
  uint64_t w = words_[i].load(std::memory_order_acquire);
  if (stateOf(w) != Waiting) return false;
  return words_[i].compare_exchange_strong(w, word(Taken, int64_t(w >> 8)),
                                           std::memory_order_acquire);
}

void InFlightTable::putBack(size_t i) {
  uint64_t w = words_[i].load(std::memory_order_relaxed);
  words_[i].store(word(Waiting, int64_t(w >> 8)), std::memory_order_release);
}

void InFlightTable::release(size_t i) {
  words_[i].store(word(Free, 0), std::memory_order_release);
  outstanding_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace ballast::backends::remote
