// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Giving back the pages of a block that hold only zero bytes. A private anonymous page that
/// MADV_DONTNEED dropped reads as zeros again (the kernel maps the shared zero page on the
/// next read, a fresh zeroed page on the next write), so dropping a page whose bytes are all
/// zero changes nothing the program can read: it only lowers the resident size. The caller
/// must be the only one writing the block while this runs (a write between the test and
/// madvise would be lost).
#include <cstddef>

namespace ballast::frontend {

inline constexpr size_t kPageSize = 4096;

/// True when the kPageSize bytes at `page` (aligned) are all zero.
bool pageIsZero(const void* page);

/// Drops every whole page of [p, p + size) that holds only zeros; returns how many.
size_t dropZeroPages(void* p, size_t size);

}  // namespace ballast::frontend
