// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/zero_pages.hh"

#include <sys/mman.h>

#include <cstdint>

namespace ballast::frontend {

bool pageIsZero(const void* page) {
  // OR of 64-bit words, 8 at a time (the compiler makes it vector code); the first nonzero
  // block of 64 bytes ends the test, so a page in use costs little.
  const auto* w = static_cast<const uint64_t*>(page);
  for (size_t i = 0; i < kPageSize / sizeof(uint64_t); i += 8) {
    uint64_t acc = 0;
    for (size_t j = 0; j < 8; ++j) acc |= w[i + j];
    if (acc) return false;
  }
  return true;
}

size_t dropZeroPages(void* p, size_t size) {
  auto begin = reinterpret_cast<uintptr_t>(p);
  uintptr_t first = (begin + kPageSize - 1) & ~(kPageSize - 1);
  uintptr_t end = (begin + size) & ~(kPageSize - 1);
  size_t dropped = 0;
  // Runs of zero pages go to the kernel in one call each.
  uintptr_t run = 0;
  for (uintptr_t a = first; a < end; a += kPageSize) {
    if (pageIsZero(reinterpret_cast<const void*>(a))) {
      if (!run) run = a;
      ++dropped;
      continue;
    }
    if (run) madvise(reinterpret_cast<void*>(run), a - run, MADV_DONTNEED);
    run = 0;
  }
  if (run) madvise(reinterpret_cast<void*>(run), end - run, MADV_DONTNEED);
  return dropped;
}

}  // namespace ballast::frontend
