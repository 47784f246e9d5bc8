// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The one assertion of the fuzz targets: an invariant that does not hold aborts, so
/// libFuzzer and the corpus replay both report the input.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
