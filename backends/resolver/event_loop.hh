// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// An instance's libevent loop seen from coroutines: `co_await loop.wait(fd, EV_READ, t)`
/// suspends only the calling resolution until the socket is ready or the timeout passes.
/// On shutdown cancelAll() resumes every waiter as timed out, and later waits do not
/// suspend, so every resolution runs to its end and frees its frames.
#include <event2/event.h>

#include <coroutine>
#include <cstdint>
#include <unordered_set>

namespace ballast::backends::resolver {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  event_base* base() { return base_; }
  bool stopping() const { return stopping_; }

  class FdWait;
  /// Lets one coroutine end another's wait early: the other waits with
  /// `co_await loop.wait(baton, timeout)` (true when poked, false on timeout), and poke()
  /// ends that wait from the next loop iteration (or the next wait at once).
  class Baton {
   public:
    void poke();

   private:
    friend class EventLoop;
    FdWait* waiter_ = nullptr;
    bool poked_ = false;
  };

  class FdWait {
   public:
    FdWait(EventLoop& loop, int fd, short what, int64_t timeoutUsec)
        : loop_(loop), fd_(fd), what_(what), timeoutUsec_(timeoutUsec) {}
    FdWait(EventLoop& loop, Baton& baton, int64_t timeoutUsec)
        : loop_(loop), fd_(-1), what_(EV_READ), timeoutUsec_(timeoutUsec), baton_(&baton) {}
    bool await_ready() const noexcept {
      return loop_.stopping_ || timeoutUsec_ <= 0 || (baton_ && baton_->poked_);
    }
    bool await_suspend(std::coroutine_handle<> h);
    /// True when the socket is ready; false on timeout or cancellation.
    bool await_resume();

   private:
    static void fired(evutil_socket_t, short what, void* arg);
    friend class EventLoop;
    EventLoop& loop_;
    int fd_;
    short what_;
    int64_t timeoutUsec_;
    event* ev_ = nullptr;
    Baton* baton_ = nullptr;
    std::coroutine_handle<> h_;
    bool ready_ = false;
  };

  /// Awaitable: true when `fd` is ready for `what` (EV_READ or EV_WRITE) within `timeoutUsec`.
  FdWait wait(int fd, short what, int64_t timeoutUsec) { return {*this, fd, what, timeoutUsec}; }
  /// Awaitable: true when `baton` is poked within `timeoutUsec` (and the poke is consumed).
  FdWait wait(Baton& baton, int64_t timeoutUsec) { return {*this, baton, timeoutUsec}; }
  /// Resumes every waiting resolution as timed out; from then on waits fail at once.
  void cancelAll();
  size_t waiting() const { return waiters_.size(); }

 private:
  event_base* base_;
  bool stopping_ = false;
  std::unordered_set<FdWait*> waiters_;
};

}  // namespace ballast::backends::resolver
