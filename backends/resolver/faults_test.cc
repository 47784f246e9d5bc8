// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/faults.hh"

#include <doctest.h>

using namespace ballast::backends::resolver;
using ballast::dns::Name;

TEST_CASE("fault names match exactly, in any case, and nothing else") {
  TestFaults f;
  CHECK(f.actionFor(Name::fromString("hang.test.")) == TestFaults::Action::None);
  f.hang.push_back(Name::fromString("hang.test."));
  f.raise.push_back(Name::fromString("throw.test."));
  CHECK(f.actionFor(Name::fromString("HANG.test.")) == TestFaults::Action::Hang);
  CHECK(f.actionFor(Name::fromString("throw.test.")) == TestFaults::Action::Throw);
  CHECK(f.actionFor(Name::fromString("x.hang.test.")) == TestFaults::Action::None);
  CHECK(f.actionFor(Name::fromString("test.")) == TestFaults::Action::None);
}
