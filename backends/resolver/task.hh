// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The two coroutine types of the resolver. Task<T>: started when awaited, resumes its
/// awaiter when done (symmetric transfer, so deep chains do not grow the stack). Detached:
/// started at once, frees itself at the end; one per client query, on the instance thread.
/// Their frames are counted against the instance whose thread creates them (its memory
/// bound); an exception in a Task reaches its awaiter, and the query's Detached catches it.
#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <utility>

namespace ballast::backends::resolver {

/// The frame bytes counter of the instance running on this thread (null elsewhere).
/// Frames are created and destroyed on their instance's thread only.
inline thread_local std::atomic<int64_t>* tFrameBytes = nullptr;

/// Coroutine frames allocated through the promise: counted exactly, with their real size.
/// Defined out of line (event_loop.cc): inlined, GCC's -Wmismatched-new-delete misreads the
/// pairing in coroutine bodies.
struct CountedFrame {
  static void* operator new(std::size_t n);
  static void operator delete(void* p, std::size_t n) noexcept;
};

template <typename T>
class [[nodiscard]] Task {
 public:
  struct promise_type : CountedFrame {
    std::optional<T> value;
    std::exception_ptr error;
    std::coroutine_handle<> continuation;

    Task get_return_object() { return Task{Handle::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct Final {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        auto c = h.promise().continuation;
        return c ? c : std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    Final final_suspend() noexcept { return {}; }
    void return_value(T v) { value = std::move(v); }
    // The resolver does not throw on the query path: an escape is a bug, which ends the
    // instance's loop (instance.cc) so the supervisor restarts it.
    void unhandled_exception() { error = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  Task& operator=(Task&&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation = awaiter;
    return h_;
  }
  T await_resume() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
    return std::move(*h_.promise().value);
  }

 private:
  explicit Task(Handle h) : h_(h) {}
  Handle h_;
};

struct Detached {
  struct promise_type : CountedFrame {
    Detached get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

}  // namespace ballast::backends::resolver
