// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/event_loop.hh"

#include <doctest.h>

#include <optional>

#include "backends/resolver/task.hh"

using namespace ballast::backends::resolver;

namespace {

Detached waitOn(EventLoop* loop, EventLoop::Baton* baton, int64_t timeoutUsec,
                std::optional<bool>* out) {
  *out = co_await loop->wait(*baton, timeoutUsec);
}

}  // namespace

TEST_CASE("a baton ends a wait early; unpoked, the wait times out") {
  EventLoop loop;
  EventLoop::Baton baton;
  std::optional<bool> woke;
  waitOn(&loop, &baton, 10'000'000, &woke);
  CHECK_FALSE(woke);
  baton.poke();
  CHECK_FALSE(woke);  // from the next loop iteration, not inside poke()
  event_base_loop(loop.base(), EVLOOP_ONCE);
  REQUIRE(woke);
  CHECK(*woke);

  woke.reset();
  waitOn(&loop, &baton, 1000, &woke);  // 1 ms, nobody pokes
  while (!woke) event_base_loop(loop.base(), EVLOOP_ONCE);
  CHECK_FALSE(*woke);

  woke.reset();
  baton.poke();  // before the wait: the wait ends at once
  waitOn(&loop, &baton, 10'000'000, &woke);
  REQUIRE(woke);
  CHECK(*woke);

  woke.reset();
  waitOn(&loop, &baton, 10'000'000, &woke);
  loop.cancelAll();  // shutdown: resumed as not poked
  REQUIRE(woke);
  CHECK_FALSE(*woke);
}
