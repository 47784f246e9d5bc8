// SPDX-License-Identifier: GPL-2.0-only
#include "backends/resolver/event_loop.hh"

#include <stdexcept>

#include "backends/resolver/task.hh"

namespace ballast::backends::resolver {

void* CountedFrame::operator new(std::size_t n) {
  void* p = ::operator new(n);
  if (auto* c = tFrameBytes) c->fetch_add(int64_t(n), std::memory_order_relaxed);
  return p;
}

void CountedFrame::operator delete(void* p, std::size_t n) noexcept {
  if (auto* c = tFrameBytes) c->fetch_sub(int64_t(n), std::memory_order_relaxed);
  ::operator delete(p, n);
}

EventLoop::EventLoop() : base_(event_base_new()) {
  if (!base_) throw std::runtime_error("event_base_new failed");
}

EventLoop::~EventLoop() {
  event_base_free(base_);
}

bool EventLoop::FdWait::await_suspend(std::coroutine_handle<> h) {
  h_ = h;
  // A baton wait is a plain timer that poke() activates by hand.
  ev_ = event_new(loop_.base_, fd_, baton_ ? 0 : what_, &FdWait::fired, this);
  timeval tv{time_t(timeoutUsec_ / 1000000), suseconds_t(timeoutUsec_ % 1000000)};
  if (!ev_ || event_add(ev_, &tv) != 0) return false;  // resume at once, as timed out
  loop_.waiters_.insert(this);
  if (baton_) baton_->waiter_ = this;
  return true;
}

bool EventLoop::FdWait::await_resume() {
  if (ev_) event_free(ev_);
  ev_ = nullptr;
  if (baton_) {
    baton_->waiter_ = nullptr;
    // Poked before the wait began (await_ready): that poke is this wait's wake-up.
    if (baton_->poked_) ready_ = !loop_.stopping_;
    baton_->poked_ = false;
  }
  return ready_;
}

void EventLoop::Baton::poke() {
  if (waiter_ && waiter_->ev_) {
    event_active(waiter_->ev_, EV_READ, 0);
    waiter_ = nullptr;
  } else {
    poked_ = true;
  }
}

void EventLoop::FdWait::fired(evutil_socket_t, short what, void* arg) {
  auto* self = static_cast<FdWait*>(arg);
  self->ready_ = (what & self->what_) != 0;
  self->loop_.waiters_.erase(self);
  self->h_.resume();
}

void EventLoop::cancelAll() {
  stopping_ = true;
  while (!waiters_.empty()) {
    FdWait* w = *waiters_.begin();
    waiters_.erase(waiters_.begin());
    event_del(w->ev_);
    w->ready_ = false;
    w->h_.resume();
  }
}

}  // namespace ballast::backends::resolver
