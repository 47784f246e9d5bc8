// SPDX-License-Identifier: GPL-2.0-only
#include "frontend/zero_pages.hh"

#include <doctest/doctest.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <vector>

using namespace ballast::frontend;

namespace {

// Which of the n pages at p are resident (mincore).
std::vector<bool> resident(void* p, size_t n) {
  std::vector<unsigned char> v(n);
  REQUIRE(mincore(p, n * kPageSize, v.data()) == 0);
  std::vector<bool> r;
  for (unsigned char c : v) r.push_back(c & 1);
  return r;
}

}  // namespace

TEST_CASE("pageIsZero finds any nonzero byte") {
  alignas(kPageSize) static uint8_t page[kPageSize];
  std::memset(page, 0, sizeof(page));
  CHECK(pageIsZero(page));
  for (size_t i : {size_t(0), size_t(7), size_t(63), size_t(64), size_t(2049), kPageSize - 1}) {
    page[i] = 0x80;
    CHECK_FALSE(pageIsZero(page));
    page[i] = 0;
  }
  CHECK(pageIsZero(page));
}

TEST_CASE("dropZeroPages gives back the zero pages only, and they still read as zeros") {
  constexpr size_t n = 6;
  void* m =
      mmap(nullptr, n * kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(m != MAP_FAILED);
  auto* b = static_cast<uint8_t*>(m);
  std::memset(b, 0, n * kPageSize);  // all resident
  b[1 * kPageSize + 100] = 1;
  b[4 * kPageSize + kPageSize - 1] = 2;
  CHECK(resident(m, n) == std::vector<bool>(n, true));

  CHECK(dropZeroPages(m, n * kPageSize) == 4);
  CHECK(resident(m, n) == std::vector<bool>{false, true, false, false, true, false});
  CHECK(b[1 * kPageSize + 100] == 1);
  CHECK(b[4 * kPageSize + kPageSize - 1] == 2);
  for (size_t page : {0u, 2u, 3u, 5u}) CHECK(pageIsZero(b + page * kPageSize));
  // Written again after the drop: an ordinary page.
  b[2 * kPageSize] = 3;
  CHECK(b[2 * kPageSize] == 3);
  munmap(m, n * kPageSize);
}

TEST_CASE("dropZeroPages leaves partial pages at either end") {
  constexpr size_t n = 3;
  void* m =
      mmap(nullptr, n * kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(m != MAP_FAILED);
  auto* b = static_cast<uint8_t*>(m);
  std::memset(b, 0, n * kPageSize);
  // [16, 3 pages - 16) holds one whole page only, the middle one.
  CHECK(dropZeroPages(b + 16, n * kPageSize - 32) == 1);
  CHECK(resident(m, n) == std::vector<bool>{true, false, true});
  CHECK(dropZeroPages(b + 16, kPageSize) == 0);
  munmap(m, n * kPageSize);
}
